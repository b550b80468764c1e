using System.Runtime.InteropServices;
using EpollTransport.Interop;
using static EpollTransport.Interop.LinuxConstants;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Interop;

/// <summary>
/// The few Linux calls .NET has no API for: opening a path confined beneath a directory descriptor (openat2),
/// describing an open descriptor (statx with AT_EMPTY_PATH) and resolving every symbolic link in a path (realpath).
/// The calls, errno values and flags are the transport's declarations (Interop/Libc.cs, Errno.cs, LinuxConstants.cs,
/// StatxLayout.cs, linked into this project); this class turns them into what the file provider needs.
/// </summary>
internal static unsafe class FileCalls
{
    /// <summary>File types from <c>st_mode &amp; S_IFMT</c> (the ones the server tells apart).</summary>
    public enum FileType
    {
        /// <summary>Any other type: FIFO, socket, device, symbolic link.</summary>
        Other = 0,

        /// <summary>S_IFDIR.</summary>
        Directory = StatxLayout.TypeDirectory,

        /// <summary>S_IFREG.</summary>
        Regular = StatxLayout.TypeRegular,
    }

    /// <summary>What one statx call tells about an open file: its type, size, modification time and identity.</summary>
    public readonly record struct FileStatus(FileType Type, long Length, DateTimeOffset LastModified, ulong Device, ulong Inode);

    /// <summary>
    /// Opens <paramref name="relativePath"/> beneath the directory <paramref name="directory"/> with openat2(2), the
    /// kernel applying <paramref name="resolve"/> to every component as it walks them (so nothing can change between
    /// a check and the open). Returns the descriptor, or -1 with the errno (EXDEV when the path would leave the
    /// directory, ELOOP for a forbidden symbolic link, ENOSYS on kernels before 5.6).
    /// </summary>
    public static int OpenBeneath(SafeFileHandle directory, string relativePath, int flags, ulong resolve, out int errno)
    {
        var how = new Libc.OpenHow { Flags = (ulong)flags, Resolve = resolve };
        bool added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            long fd = Libc.OpenAt2(SYS_openat2, (int)directory.DangerousGetHandle(), relativePath, &how, (nuint)sizeof(Libc.OpenHow));
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)fd;
        }
        finally
        {
            if (added)
            {
                directory.DangerousRelease();
            }
        }
    }

    /// <summary>Opens a directory as an <c>O_PATH</c> descriptor (a handle to walk from, not to read), or throws.</summary>
    public static SafeFileHandle OpenDirectoryPath(string path)
    {
        int fd = Libc.Open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new DirectoryNotFoundException($"The directory '{path}' cannot be opened: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Describes the open descriptor <paramref name="file"/> in one statx(2); 0 on success, the errno otherwise.</summary>
    public static int Stat(SafeFileHandle file, out FileStatus status)
    {
        byte* buffer = stackalloc byte[StatxLayout.BufferSize];
        bool added = false;
        int result;
        try
        {
            file.DangerousAddRef(ref added);
            // The empty path as a constant C string: the string overload would marshal string.Empty on every call,
            // and this runs on every hit of the open-file cache.
            fixed (byte* emptyPath = "\0"u8)
            {
                result = Libc.StatX((int)file.DangerousGetHandle(), emptyPath, StatxLayout.AtEmptyPath,
                    StatxLayout.MaskType | StatxLayout.MaskSize | StatxLayout.MaskModificationTime | StatxLayout.MaskInode,
                    buffer);
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }

        if (result != 0)
        {
            status = default;
            return Marshal.GetLastPInvokeError();
        }

        status = ToStatus(new ReadOnlySpan<byte>(buffer, StatxLayout.BufferSize));
        return 0;
    }

    private static FileStatus ToStatus(ReadOnlySpan<byte> buffer)
    {
        var type = StatxLayout.FileType(buffer) switch
        {
            StatxLayout.TypeDirectory => FileType.Directory,
            StatxLayout.TypeRegular => FileType.Regular,
            _ => FileType.Other,
        };
        return new FileStatus(type, StatxLayout.Size(buffer), StatxLayout.ModificationTime(buffer), StatxLayout.Device(buffer), StatxLayout.Inode(buffer));
    }

    /// <summary>
    /// Describes what <paramref name="path"/> names, following symbolic links (statx(2) on a path); 0 on success, the
    /// errno otherwise. Used only to notice that a site's root path now names another directory, never to check a
    /// file that is then opened.
    /// </summary>
    public static int StatPath(string path, out FileStatus status)
    {
        byte* buffer = stackalloc byte[StatxLayout.BufferSize];
        if (Libc.StatX(AT_FDCWD, path, 0, StatxLayout.MaskType | StatxLayout.MaskInode, buffer) != 0)
        {
            status = default;
            return Marshal.GetLastPInvokeError();
        }

        status = ToStatus(new ReadOnlySpan<byte>(buffer, StatxLayout.BufferSize));
        return 0;
    }

    /// <summary>
    /// The canonical absolute path of <paramref name="path"/> with every symbolic link resolved, or
    /// <see langword="null"/> with the errno (ENOENT, ENOTDIR, EACCES, ELOOP, ENAMETOOLONG, ...).
    /// </summary>
    public static string? RealPath(string path, out int errno)
    {
        var resolved = Libc.RealPath(path, 0);
        if (resolved == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        try
        {
            errno = 0;
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Libc.Free(resolved);
        }
    }
}
