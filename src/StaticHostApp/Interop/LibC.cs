using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace StaticHostApp.Interop;

/// <summary>
/// The few libc calls .NET has no portable API for: resolving every symbolic link in a path (realpath), asking
/// the kernel whether the server may read a file (faccessat with AT_EACCESS) and a file's type, size and
/// modification time in one call (statx).
/// </summary>
internal static partial class LibC
{
    public const int EACCES = 13;
    public const int EPERM = 1;

    private const int AtFdCwd = -100;
    private const int AtEAccess = 0x200;
    private const int ROk = 4;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x0001;
    private const uint StatxMtime = 0x0040;
    private const uint StatxSizeField = 0x0200;

    // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode, u16 pad, u64 ino,
    // u64 size, u64 blocks, u64 attributes_mask, then {s64 sec, u32 nsec, s32 pad} for atime, btime, ctime, mtime.
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;
    private const int StatxMtimeOffset = 112;
    private const int StatxBufferSize = 256;
    private const int TypeMask = 0xF000;
    private const uint NanosecondsPerTick = 100;

    /// <summary>File types from <c>st_mode &amp; S_IFMT</c> (the ones the server tells apart).</summary>
    public enum FileType
    {
        /// <summary>Any other type: FIFO, socket, device.</summary>
        Other = 0,
        /// <summary>S_IFDIR.</summary>
        Directory = 0x4000,
        /// <summary>S_IFREG.</summary>
        Regular = 0x8000,
        /// <summary>S_IFLNK (only seen when links are not followed).</summary>
        SymbolicLink = 0xA000,
    }

    /// <summary>What one statx call tells about a file.</summary>
    public readonly record struct FileStatus(FileType Type, long Length, DateTimeOffset LastModified);

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

    /// <summary>
    /// The type, size and modification time of <paramref name="path"/> in one statx(2); 0 on success, the errno otherwise.
    /// With <paramref name="followLinks"/> false it describes a symbolic link itself, as lstat(2) does.
    /// </summary>
    public static int Stat(string path, bool followLinks, out FileStatus status)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferSize];
        if (statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType | StatxSizeField | StatxMtime, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            status = default;
            return Marshal.GetLastPInvokeError();
        }

        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[StatxModeOffset..]);
        var type = (mode & TypeMask) switch
        {
            (int)FileType.Directory => FileType.Directory,
            (int)FileType.Regular => FileType.Regular,
            (int)FileType.SymbolicLink => FileType.SymbolicLink,
            _ => FileType.Other,
        };
        var length = BinaryPrimitives.ReadInt64LittleEndian(buffer[StatxSizeOffset..]);
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(buffer[StatxMtimeOffset..]);
        var nanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(buffer[(StatxMtimeOffset + sizeof(long))..]);
        status = new FileStatus(type, length, DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / NanosecondsPerTick));
        return 0;
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
