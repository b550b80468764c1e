using Microsoft.Win32.SafeHandles;

namespace EpollTransport.SendFile;

/// <summary>
/// A region of a file queued into a connection's output, sent with <c>sendfile(2)</c> once every pipe byte before
/// <see cref="Position"/> is on its way.
/// </summary>
/// <remarks>
/// The region holds its own reference to the descriptor from the moment it is queued until it is sent or dropped,
/// so the caller may close its handle at any time without the loop ever using a closed (or reused) descriptor.
/// </remarks>
internal sealed class FileRegion
{
    private readonly SafeFileHandle _file;
    private int _released;

    public FileRegion(SafeFileHandle file, long offset, long count, long position)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        _file = file;
        FileDescriptor = (int)file.DangerousGetHandle();
        Offset = offset;
        Count = count;
        Position = position;
    }

    /// <summary>The number of pipe bytes (over the connection's life) that precede the region.</summary>
    public long Position { get; }

    public long Offset { get; }

    public long Count { get; }

    public int FileDescriptor { get; }

    /// <summary>Bytes handed to the socket so far. Loop only.</summary>
    public long Sent { get; set; }

    public long Remaining => Count - Sent;

    /// <summary>Gives the descriptor reference back (once; sent, or dropped when the output ended).</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _file.DangerousRelease();
        }
    }
}
