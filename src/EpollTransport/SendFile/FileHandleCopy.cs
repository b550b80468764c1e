using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EpollTransport.Interop;
using Microsoft.Win32.SafeHandles;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.SendFile;

/// <summary>
/// Copies a region of an already open file into a response body writer: the path a file body takes when
/// <c>sendfile(2)</c> cannot carry it (TLS, HTTP/2, compression, another transport, a test server).
/// </summary>
/// <remarks>
/// Reads go straight into the writer's memory with positional reads, so the file's offset is never moved and the
/// same descriptor can serve several regions. Each read first asks for the bytes without waiting for the disk
/// (<c>preadv2(RWF_NOWAIT)</c>, answered from the page cache on the calling thread); only a read that would wait is
/// handed to the thread pool, so neither an epoll thread nor a batch of queued requests waits for a disk. The file
/// is read from the descriptor the caller holds, never reopened by path: what is sent is the file the caller checked.
/// </remarks>
internal static class FileHandleCopy
{
    // Large enough to keep the number of reads and flushes low. A pipe asked for more than its pool's 4 KiB blocks
    // hands out arrays from ArrayPool.Shared, which overflow under load (about 400 KB allocated per 1 MiB response
    // on the Sockets transport); copying through one rented buffer into 4 KiB blocks instead allocated 16 KB but
    // cost about a third more CPU per response (0.76 -> 1.01 ms per 1 MiB on Sockets), so the direct read stays.
    private const int ChunkSize = 64 * 1024;

    // The block size of Kestrel's memory pool: a writer asked for no more than this serves it from its pool.
    private const int PoolBlockSize = 4096;

    // The largest TLS record's payload (and HTTP/2's default frame size): a layer that writes each segment it is
    // given as one record then sends full records.
    private const int RecordSize = 16 * 1024;

    /// <summary>
    /// Writes <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/>, flushing after
    /// every chunk so back-pressure and the minimum data rate apply. Stops quietly when the writer's reader has gone
    /// (the client disconnected): like any other write to a closed response, that is not an error.
    /// </summary>
    /// <param name="file">The open file.</param>
    /// <param name="offset">Where the region starts in the file.</param>
    /// <param name="count">The region's length.</param>
    /// <param name="writer">The response body writer.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <param name="throughBuffer">
    /// Read each chunk into a per-thread buffer and copy it into the writer in pieces of one TLS record's payload
    /// (16 KiB), instead of straight into a 64 KiB chunk of the writer's memory. For writers whose bytes wait in a
    /// pipe of their own before they reach the socket (TLS, HTTP/2), which hand each of their segments to the layer
    /// below as one write: asked for 64 KiB, such a pipe hands out arrays from ArrayPool.Shared that ran dry with
    /// many responses in flight (1.26 MB allocated per 1 MiB HTTPS response on the epoll transport, against 60 KB on
    /// Sockets); given 4 KiB pool blocks, TLS sent one 4 KiB record, one flush and one wake-up of the loop per block
    /// (256 per MiB). The copy costs a memcpy per chunk, small next to encrypting it.
    /// </param>
    /// <exception cref="EndOfStreamException">The file ended before <paramref name="count"/> bytes were read.</exception>
    public static async Task CopyAsync(SafeFileHandle file, long offset, long count, PipeWriter writer, CancellationToken cancellationToken, bool throughBuffer = false)
    {
        long remaining = count;
        while (remaining > 0)
        {
            // A chunk that fits a pool block comes from the writer's pool either way: read it straight in.
            int read = throughBuffer && remaining > PoolBlockSize ? CopyChunkThroughBuffer(file, offset, remaining, writer) : NotReadYet;
            if (read < 0)
            {
                // Straight into the writer's memory; when the buffered read already found the bytes not cached, go to
                // the thread pool at once instead of asking the page cache a second time.
                var memory = NextChunk(writer, remaining);
                read = read == WouldWaitForDisk
                    ? await RandomAccess.ReadAsync(file, memory, offset, cancellationToken).ConfigureAwait(false)
                    : await ReadChunkAsync(file, memory, offset, cancellationToken).ConfigureAwait(false);
                writer.Advance(read);
            }

            if (read == 0)
            {
                throw new EndOfStreamException(
                    $"The file ended {remaining} bytes before the {count} bytes announced for it were read.");
            }

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
    /// <paramref name="writer"/>'s memory and advances it, without flushing: meant for small regions of regular files.
    /// Bytes in the page cache are read on the calling thread (the common case, one <c>pread</c>); if some must come
    /// from the disk, they are read on the thread pool, so an epoll thread running the application inline never waits
    /// for a disk. Returns the number of bytes the file was short of <paramref name="count"/> (0 when all were read);
    /// the bytes that did exist are advanced.
    /// </summary>
    public static async ValueTask<long> ReadIntoAsync(SafeFileHandle file, long offset, long count, PipeWriter writer, CancellationToken cancellationToken)
    {
        long remaining = count;
        while (remaining > 0)
        {
            int read = await ReadChunkAsync(file, NextChunk(writer, remaining), offset, cancellationToken).ConfigureAwait(false);
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

    // PositionalRead's answer when the bytes are not in the page cache.
    private const int WouldWaitForDisk = -1;

    // CopyAsync's marker for a chunk not read through the buffer.
    private const int NotReadYet = -2;

    // Set once preadv2(RWF_NOWAIT) turns out to be unsupported (a kernel or file system without it): plain pread then.
    private static volatile bool s_noWaitUnsupported;

    // The buffer of CopyChunkThroughBuffer: used only between a read and the copy that follows it on the same thread.
    [ThreadStatic]
    private static byte[]? t_chunkBuffer;

    /// <summary>
    /// Reads the next chunk from the page cache into this thread's buffer and writes it into <paramref name="writer"/>
    /// in pieces of <see cref="RecordSize"/> (advanced, not flushed); <see cref="WouldWaitForDisk"/>, with nothing
    /// written, when the bytes are not cached.
    /// </summary>
    private static int CopyChunkThroughBuffer(SafeFileHandle file, long offset, long remaining, PipeWriter writer)
    {
        var buffer = t_chunkBuffer ??= GC.AllocateUninitializedArray<byte>(ChunkSize);
        var chunk = buffer.AsSpan(0, (int)Math.Min(ChunkSize, remaining));
        int read = PositionalRead(file, chunk, offset);
        if (read > 0)
        {
            WriteInRecordPieces(writer, chunk[..read]);
        }

        return read;
    }

    /// <summary>Writes <paramref name="bytes"/> into <paramref name="writer"/> asking for at most <see cref="RecordSize"/> at a time.</summary>
    private static void WriteInRecordPieces(PipeWriter writer, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var piece = writer.GetSpan(Math.Min(bytes.Length, RecordSize));
            int length = Math.Min(piece.Length, bytes.Length);
            bytes[..length].CopyTo(piece);
            writer.Advance(length);
            bytes = bytes[length..];
        }
    }

    /// <summary>The writer's memory for the next chunk of at most <paramref name="remaining"/> bytes.</summary>
    private static Memory<byte> NextChunk(PipeWriter writer, long remaining)
    {
        var memory = writer.GetMemory((int)Math.Min(ChunkSize, remaining));
        return memory.Length > remaining ? memory[..(int)remaining] : memory;
    }

    /// <summary>
    /// Reads into <paramref name="memory"/> from the page cache on this thread; only bytes that must come from the
    /// disk are read on the thread pool (<see cref="RandomAccess.ReadAsync(SafeFileHandle, Memory{byte}, long, CancellationToken)"/>
    /// on a handle not opened for asynchronous I/O runs a blocking pread there: a hop and about 1 KB of state machines
    /// per response, worth it only when it avoids a wait). Completes synchronously in the common case.
    /// </summary>
    private static ValueTask<int> ReadChunkAsync(SafeFileHandle file, Memory<byte> memory, long offset, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int read = PositionalRead(file, memory.Span, offset);
        return read == WouldWaitForDisk ? RandomAccess.ReadAsync(file, memory, offset, cancellationToken) : new ValueTask<int>(read);
    }

    /// <summary>
    /// One positional read, <c>preadv2(RWF_NOWAIT)</c>: <see cref="WouldWaitForDisk"/> when the bytes are not all in
    /// the page cache. (<see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/> would also <c>lseek</c> every
    /// new handle to learn whether it is seekable: a system call per response.)
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
                    nint read;
                    bool noWait = !s_noWaitUnsupported;
                    if (noWait)
                    {
                        var vector = new Libc.IoVector { Base = pointer, Length = (nuint)buffer.Length };
                        read = Libc.PReadV2(fd, &vector, 1, offset, RWF_NOWAIT);
                    }
                    else
                    {
                        read = Libc.PRead(fd, pointer, (nuint)buffer.Length, offset);
                    }

                    if (read >= 0)
                    {
                        return (int)read;
                    }

                    int errno = NativeErrors.LastErrno;
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (noWait && errno == Errno.EAGAIN)
                    {
                        return WouldWaitForDisk;
                    }

                    if (noWait && errno == Errno.EOPNOTSUPP)
                    {
                        s_noWaitUnsupported = true;
                        continue;
                    }

                    throw new IOException($"{Marshal.GetPInvokeErrorMessage(errno)} (pread of a file body)", errno);
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
