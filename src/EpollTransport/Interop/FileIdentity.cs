using System.Text;

namespace EpollTransport.Interop;

/// <summary>
/// What a path refers to right now: device and inode numbers, from <c>statx(2)</c> without following a final link.
/// Two paths (or one path at two moments) name the same file exactly when their identities are equal.
/// </summary>
internal readonly unsafe record struct FileIdentity(ulong Device, ulong Inode)
{
    /// <summary>The identity of the file at <paramref name="path"/>; false when there is none (or it cannot be seen).</summary>
    public static bool TryGet(string path, out FileIdentity identity)
    {
        int length = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        byte* pathBytes = stackalloc byte[length];
        int written = Encoding.UTF8.GetBytes(path, new Span<byte>(pathBytes, length - 1));
        pathBytes[written] = 0;

        byte* statx = stackalloc byte[StatxLayout.BufferSize];
        if (Libc.StatX(LinuxConstants.AT_FDCWD, pathBytes, StatxLayout.AtSymlinkNoFollow, StatxLayout.MaskInode, statx) != 0)
        {
            identity = default;
            return false;
        }

        var status = new ReadOnlySpan<byte>(statx, StatxLayout.BufferSize);
        identity = new FileIdentity(StatxLayout.Device(status), StatxLayout.Inode(status));
        return true;
    }
}
