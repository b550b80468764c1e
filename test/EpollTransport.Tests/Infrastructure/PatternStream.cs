namespace EpollTransport.Tests.Infrastructure;

/// <summary>
/// A read-only stream of deterministic pseudo-random bytes (xorshift), so large bodies can be produced on one side
/// and verified on the other without holding them in memory.
/// </summary>
internal sealed class PatternStream(long length, ulong seed = 0x9E3779B97F4A7C15) : Stream
{
    private ulong _state = seed;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int produced = (int)Math.Min(count, length - _position);
        for (int i = 0; i < produced; i++)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            buffer[offset + i] = (byte)_state;
        }

        _position += produced;
        return produced;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
