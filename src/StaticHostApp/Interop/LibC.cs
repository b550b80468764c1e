using System.Runtime.InteropServices;
using EpollTransport.Interop;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Interop;

/// <summary>
/// The few Linux calls .NET has no API for: opening a path confined beneath a directory descriptor (openat2),
/// describing an open descriptor (statx with AT_EMPTY_PATH) and resolving every symbolic link in a path (realpath).
/// </summary>
internal static unsafe partial class LibC
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EXDEV = 18;
    public const int ENOTDIR = 20;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;

    // open(2) flags. O_DIRECTORY differs between architectures; the others are the same on x86-64 and arm64.
    public const int O_RDONLY = 0;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;
    public static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;

    // openat2(2) resolve flags.
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;
    public const ulong RESOLVE_BENEATH = 0x08;

    // The system call number of openat2 is the same on every architecture (it came after the numbers were unified);
    // glibc has no wrapper for it.
    private const long SysOpenAt2 = 437;

    // The "current directory" descriptor of the *at calls: a relative path starts there, an absolute one ignores it.
    private const int AtCurrentDirectory = -100;

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

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>
    /// Opens <paramref name="relativePath"/> beneath the directory <paramref name="directory"/> with openat2(2), the
    /// kernel applying <paramref name="resolve"/> to every component as it walks them (so nothing can change between
    /// a check and the open). Returns the descriptor, or -1 with the errno (EXDEV when the path would leave the
    /// directory, ELOOP for a forbidden symbolic link, ENOSYS on kernels before 5.6).
    /// </summary>
    public static int OpenBeneath(SafeFileHandle directory, string relativePath, int flags, ulong resolve, out int errno)
    {
        var how = new OpenHow { Flags = (ulong)flags, Resolve = resolve };
        bool added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            long fd = syscall(SysOpenAt2, (int)directory.DangerousGetHandle(), relativePath, &how, (nuint)sizeof(OpenHow));
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
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
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
        Span<byte> buffer = stackalloc byte[StatxLayout.BufferSize];
        bool added = false;
        int result;
        try
        {
            file.DangerousAddRef(ref added);
            result = statx((int)file.DangerousGetHandle(), string.Empty, StatxLayout.AtEmptyPath,
                StatxLayout.MaskType | StatxLayout.MaskSize | StatxLayout.MaskModificationTime | StatxLayout.MaskInode,
                ref MemoryMarshal.GetReference(buffer));
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

        status = ToStatus(buffer);
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
        Span<byte> buffer = stackalloc byte[StatxLayout.BufferSize];
        if (statx(AtCurrentDirectory, path, 0, StatxLayout.MaskType | StatxLayout.MaskInode, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            status = default;
            return Marshal.GetLastPInvokeError();
        }

        status = ToStatus(buffer);
        return 0;
    }

    /// <summary>
    /// The canonical absolute path of <paramref name="path"/> with every symbolic link resolved, or
    /// <see langword="null"/> with the errno (ENOENT, ENOTDIR, EACCES, ELOOP, ENAMETOOLONG, ...).
    /// </summary>
    public static string? RealPath(string path, out int errno)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
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
            free(resolved);
        }
    }

#pragma warning disable IDE1006 // libc's own names
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long syscall(long number, int directory, string path, OpenHow* how, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
#pragma warning restore IDE1006
}
