using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Interop;

/// <summary>
/// Opens a regular file for <c>sendfile(2)</c> with one <c>open</c> and one <c>statx</c>.
/// </summary>
/// <remarks>
/// <see cref="File.OpenHandle(string, FileMode, FileAccess, FileShare, FileOptions, long)"/> also takes and releases an
/// advisory <c>flock</c> to emulate Windows sharing modes and calls <c>fstat</c> twice when the length is asked for
/// separately: three system calls per static response that a file sent straight to a socket does not need.
/// <c>statx</c> (glibc 2.28+, unlike an exported <c>fstat</c>) has one layout on every architecture.
/// Failures raise the same exception types as <see cref="File.OpenHandle(string, FileMode, FileAccess, FileShare, FileOptions, long)"/>.
/// The file is opened with <c>O_NONBLOCK</c> and <c>O_NOCTTY</c> before its type is known: a FIFO put where a file was
/// expected must not block the opening thread (in Inline mode, a whole epoll loop) waiting for a writer, and a
/// terminal must not become the process's controlling terminal. Neither flag changes reads of a regular file.
/// </remarks>
internal static unsafe class FileOpener
{
    public static SafeFileHandle OpenRegularFile(string path, out long length)
    {
        int fd = Libc.Open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
        {
            throw ToException(NativeErrors.LastErrno, path);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        byte* statx = stackalloc byte[StatxLayout.BufferSize];
        byte emptyPath = 0;
        if (Libc.StatX(fd, &emptyPath, StatxLayout.AtEmptyPath, StatxLayout.MaskType | StatxLayout.MaskSize, statx) != 0)
        {
            int errno = NativeErrors.LastErrno;
            handle.Dispose();
            throw ToException(errno, path);
        }

        var status = new ReadOnlySpan<byte>(statx, StatxLayout.BufferSize);
        if (StatxLayout.FileType(status) != StatxLayout.TypeRegular)
        {
            handle.Dispose();
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied: it is not a regular file.");
        }

        length = StatxLayout.Size(status);
        return handle;
    }

    private static Exception ToException(int errno, string path)
    {
        string message = $"{Marshal.GetPInvokeErrorMessage(errno)} : '{path}'";
        return errno switch
        {
            Errno.ENOENT => new FileNotFoundException(message, path),
            Errno.ENOTDIR => new DirectoryNotFoundException(message),
            Errno.EACCES or Errno.EPERM or Errno.EISDIR => new UnauthorizedAccessException(message),
            Errno.ENAMETOOLONG => new PathTooLongException(message),
            _ => new IOException(message, errno),
        };
    }
}
