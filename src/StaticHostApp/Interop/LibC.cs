using System.Runtime.InteropServices;

namespace StaticHostApp.Interop;

/// <summary>
/// The few libc calls .NET has no portable API for: resolving every symbolic link in a path (realpath), asking
/// the kernel whether the server may read a file (faccessat with AT_EACCESS) and a file's type (statx).
/// </summary>
internal static partial class LibC
{
    public const int EACCES = 13;
    public const int EPERM = 1;

    private const int AtFdCwd = -100;
    private const int AtEAccess = 0x200;
    private const int ROk = 4;
    private const uint StatxType = 0x0001;
    private const int StatxModeOffset = 28; // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode
    private const int StatxSize = 256;
    private const int TypeMask = 0xF000;

    /// <summary>File types from <c>st_mode &amp; S_IFMT</c>.</summary>
    public enum FileType
    {
        /// <summary>The type could not be read.</summary>
        Unknown = 0,
        /// <summary>S_IFDIR.</summary>
        Directory = 0x4000,
        /// <summary>S_IFREG.</summary>
        Regular = 0x8000,
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

    /// <summary>
    /// Whether the process's effective user may open <paramref name="path"/> for reading; 0 if so, the errno otherwise
    /// (EACCES when permissions forbid it).
    /// </summary>
    public static int CanRead(string path) =>
        faccessat(AtFdCwd, path, ROk, AtEAccess) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The type of the file at <paramref name="path"/>, following symbolic links.</summary>
    public static FileType GetFileType(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return FileType.Unknown;
        }

        var mode = BitConverter.ToUInt16(buffer.Slice(StatxModeOffset, sizeof(ushort)));
        return (mode & TypeMask) switch
        {
            (int)FileType.Directory => FileType.Directory,
            (int)FileType.Regular => FileType.Regular,
            _ => FileType.Unknown,
        };
    }

#pragma warning disable IDE1006 // libc's own names
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int faccessat(int dirfd, string path, int mode, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
#pragma warning restore IDE1006
}
