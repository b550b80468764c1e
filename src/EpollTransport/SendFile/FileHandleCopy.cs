using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EpollTransport.Interop;
using Microsoft.Win32.SafeHandles;

namespace EpollTransport.SendFile;

/// <summary>
/// Copies a region of an already open file into a response body writer: the path a file body takes when
/// <c>sendfile(2)</c> cannot carry it (TLS, HTTP/2, compression, another transport, a test server).
/// </summary>
/// <remarks>
/// Reads go straight into the writer's memory with synchronous positional reads (<c>pread</c>, mostly served from
/// the page cache; only the flushes wait asynchronously), so the file's offset is never
/// moved and the same descriptor can serve several regions. The file is read from the descriptor the caller holds,
/// never reopened by path: what is sent is the file the caller checked.
/// </remarks>
internal static class FileHandleCopy
{
    // Large enough to keep the number of reads and flushes low, small enough to stay in the pool's segments.
    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Writes <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/>, flushing after
    /// every chunk so back-pressure and the minimum data rate apply. Stops quietly when the writer's reader has gone
    /// (the client disconnected): like any other write to a closed response, that is not an error.
    /// </summary>
    /// <exception cref="EndOfStreamException">The file ended before <paramref name="count"/> bytes were read.</exception>
    public static async Task CopyAsync(SafeFileHandle file, long offset, long count, PipeWriter writer, CancellationToken cancellationToken)
    {
        long remaining = count;
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(ChunkSize, remaining));
            if (memory.Length > remaining)
            {
                memory = memory[..(int)remaining];
            }

            // A synchronous pread, as nginx reads files: RandomAccess.ReadAsync on a handle not opened for
            // asynchronous I/O runs the same pread on another thread-pool thread, which costs a hop and an
            // asynchronous completion (about 1 KB of state machines) per response and blocks a thread all the same.
            cancellationToken.ThrowIfCancellationRequested();
            int read = PositionalRead(file, memory.Span, offset);
            if (read == 0)
            {
                throw new EndOfStreamException(
                    $"The file ended {remaining} bytes before the {count} bytes announced for it were read.");
            }

            writer.Advance(read);
            offset += read;
            remaining -= read;

            var flush = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted)
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> straight into
    /// <paramref name="writer"/>'s memory and advances it, without flushing. Synchronous: meant for small regions of
    /// regular files, whose reads complete from the page cache. Returns the number of bytes the file was short of
    /// <paramref name="count"/> (0 when all were read); the bytes that did exist are advanced.
    /// </summary>
    public static long ReadInto(SafeFileHandle file, long offset, long count, PipeWriter writer)
    {
        long remaining = count;
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(ChunkSize, remaining));
            if (memory.Length > remaining)
            {
                memory = memory[..(int)remaining];
            }

            int read = PositionalRead(file, memory.Span, offset);
            if (read == 0)
            {
                break;
            }

            writer.Advance(read);
            offset += read;
            remaining -= read;
        }

        return remaining;
    }

    /// <summary>
    /// One <c>pread</c>. <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/> would do the same after an
    /// <c>lseek</c> on every new handle to learn whether it is seekable: a system call per response for a small body.
    /// </summary>
    private static unsafe int PositionalRead(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        bool added = false;
        file.DangerousAddRef(ref added); // Throws ObjectDisposedException when the caller already closed it.
        try
        {
            int fd = (int)file.DangerousGetHandle();
            fixed (byte* pointer = buffer)
            {
                while (true)
                {
                    nint read = Libc.PRead(fd, pointer, (nuint)buffer.Length, offset);
                    if (read >= 0)
                    {
                        return (int)read;
                    }

                    int errno = NativeErrors.LastErrno;
                    if (errno != Errno.EINTR)
                    {
                        throw new IOException($"{Marshal.GetPInvokeErrorMessage(errno)} (pread of a file body)", errno);
                    }
                }
            }
        }
        finally
        {
            file.DangerousRelease();
        }
    }

    /// <summary>
    /// The length of the region of <paramref name="file"/> that starts at <paramref name="offset"/>: <paramref name="count"/>
    /// when given (a file shorter than that is found out while sending it), otherwise the rest of the file, which
    /// takes an <c>fstat</c>. Arguments are checked as <c>HttpResponse.SendFileAsync</c> checks them.
    /// </summary>
    public static long RegionLength(SafeFileHandle file, long offset, long? count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (count is { } length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            return length;
        }

        return RegionLength(RandomAccess.GetLength(file), offset, count: null);
    }

    /// <summary>
    /// The length of the region <paramref name="offset"/>..<paramref name="count"/> of a file of
    /// <paramref name="fileLength"/> bytes, with the same argument checks as <c>HttpResponse.SendFileAsync</c>.
    /// </summary>
    public static long RegionLength(long fileLength, long offset, long? count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, fileLength);
        long length = count ?? fileLength - offset;
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, fileLength - offset);
        return length;
    }
}
