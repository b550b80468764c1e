using System.Buffers.Binary;

namespace EpollTransport.Interop;

/// <summary>
/// The layout of <c>struct statx</c> (statx(2)), which, unlike <c>struct stat</c>, is the same on every Linux
/// architecture. Shared by the transport and StaticHostApp (linked into both, so it is written down once).
/// </summary>
/// <remarks>
/// u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode, u16 pad, u64 ino, u64 size,
/// u64 blocks, u64 attributes_mask, then {s64 sec, u32 nsec, s32 pad} for atime, btime, ctime and mtime, then u32
/// rdev_major, rdev_minor, dev_major, dev_minor.
/// </remarks>
internal static class StatxLayout
{
    /// <summary>Bytes to reserve for one <c>struct statx</c> (the kernel's size, with room it keeps for growth).</summary>
    public const int BufferSize = 256;

    /// <summary><c>AT_EMPTY_PATH</c>: describe the descriptor itself (with an empty path).</summary>
    public const int AtEmptyPath = 0x1000;

    /// <summary><c>AT_SYMLINK_NOFOLLOW</c>: describe a symbolic link itself, as lstat(2) does.</summary>
    public const int AtSymlinkNoFollow = 0x100;

    /// <summary><c>STATX_TYPE</c>.</summary>
    public const uint MaskType = 0x0001;

    /// <summary><c>STATX_MTIME</c>.</summary>
    public const uint MaskModificationTime = 0x0040;

    /// <summary><c>STATX_INO</c>.</summary>
    public const uint MaskInode = 0x0100;

    /// <summary><c>STATX_SIZE</c>.</summary>
    public const uint MaskSize = 0x0200;

    /// <summary><c>S_IFMT</c>: the file type bits of the mode.</summary>
    public const int TypeMask = 0xF000;

    /// <summary><c>S_IFDIR</c>.</summary>
    public const int TypeDirectory = 0x4000;

    /// <summary><c>S_IFREG</c>.</summary>
    public const int TypeRegular = 0x8000;

    /// <summary><c>S_IFLNK</c>.</summary>
    public const int TypeSymbolicLink = 0xA000;

    private const int ModeOffset = 28;
    private const int InodeOffset = 32;
    private const int SizeOffset = 40;
    private const int ModificationTimeOffset = 112;
    private const int DeviceMajorOffset = 136;
    private const int DeviceMinorOffset = 140;

    /// <summary>The file type bits (<c>stx_mode &amp; S_IFMT</c>).</summary>
    public static int FileType(ReadOnlySpan<byte> statx) => BinaryPrimitives.ReadUInt16LittleEndian(statx[ModeOffset..]) & TypeMask;

    /// <summary><c>stx_size</c>.</summary>
    public static long Size(ReadOnlySpan<byte> statx) => BinaryPrimitives.ReadInt64LittleEndian(statx[SizeOffset..]);

    /// <summary><c>stx_ino</c>.</summary>
    public static ulong Inode(ReadOnlySpan<byte> statx) => BinaryPrimitives.ReadUInt64LittleEndian(statx[InodeOffset..]);

    /// <summary><c>stx_dev_major</c> and <c>stx_dev_minor</c> in one number: with the inode, what makes a file the same file.</summary>
    public static ulong Device(ReadOnlySpan<byte> statx) =>
        ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(statx[DeviceMajorOffset..]) << 32)
        | BinaryPrimitives.ReadUInt32LittleEndian(statx[DeviceMinorOffset..]);

    /// <summary><c>stx_mtime</c>, to the 100 ns tick.</summary>
    public static DateTimeOffset ModificationTime(ReadOnlySpan<byte> statx)
    {
        long seconds = BinaryPrimitives.ReadInt64LittleEndian(statx[ModificationTimeOffset..]);
        uint nanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(statx[(ModificationTimeOffset + sizeof(long))..]);
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100);
    }
}
