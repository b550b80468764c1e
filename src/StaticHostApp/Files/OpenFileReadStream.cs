using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Files;

/// <summary>
/// A read-only, seekable stream over an already open file that reads with positional reads (<c>pread</c>), so it
/// neither moves nor depends on the descriptor's file offset. It holds a reference on the handle while it is open,
/// so the request closing its files cannot close the descriptor under a stream still reading it.
/// </summary>
internal sealed class OpenFileReadStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private readonly bool _ownsHandle;
    private bool _referenced;
    private long _position;

    /// <summary>Creates the stream over <paramref name="handle"/>, whose length is <paramref name="length"/>.</summary>
    public OpenFileReadStream(SafeFileHandle handle, long length, bool ownsHandle = false)
    {
        _handle = handle;
        _length = length;
        _ownsHandle = ownsHandle;
        handle.DangerousAddRef(ref _referenced);
    }

    /// <inheritdoc />
    public override bool CanRead => _referenced;

    /// <inheritdoc />
    public override bool CanSeek => _referenced;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(!_referenced, this);
        int read = RandomAccess.Read(_handle, buffer, _position);
        _position += read;
        return read;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(!_referenced, this);
        int read = await RandomAccess.ReadAsync(_handle, buffer, _position, cancellationToken).ConfigureAwait(false);
        _position += read;
        return read;
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _referenced)
        {
            _referenced = false;
            _handle.DangerousRelease();
            if (_ownsHandle)
            {
                _handle.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
