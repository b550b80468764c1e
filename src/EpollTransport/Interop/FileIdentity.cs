using System.Runtime.CompilerServices;
using System.Text;

namespace EpollTransport.Interop;

/// <summary>
/// What a path refers to right now: device and inode numbers, from <c>statx(2)</c> without following a final link.
/// Two paths (or one path at two moments) name the same file exactly when their identities are equal.
/// </summary>
internal readonly unsafe record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode)
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_INO = 0x100;
    private const int StatxSize = 256;
    private const int InodeOffset = 32;        // stx_ino (u64)
    private const int DeviceMajorOffset = 136; // stx_dev_major (u32)
    private const int DeviceMinorOffset = 140; // stx_dev_minor (u32)

    /// <summary>The identity of the file at <paramref name="path"/>; false when there is none (or it cannot be seen).</summary>
    public static bool TryGet(string path, out FileIdentity identity)
    {
        int length = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        byte* pathBytes = stackalloc byte[length];
        int written = Encoding.UTF8.GetBytes(path, new Span<byte>(pathBytes, length - 1));
        pathBytes[written] = 0;

        byte* statx = stackalloc byte[StatxSize];
        if (Libc.StatX(AT_FDCWD, pathBytes, AT_SYMLINK_NOFOLLOW, STATX_INO, statx) != 0)
        {
            identity = default;
            return false;
        }

        identity = new FileIdentity(
            Unsafe.ReadUnaligned<uint>(statx + DeviceMajorOffset),
            Unsafe.ReadUnaligned<uint>(statx + DeviceMinorOffset),
            Unsafe.ReadUnaligned<ulong>(statx + InodeOffset));
        return true;
    }
}
