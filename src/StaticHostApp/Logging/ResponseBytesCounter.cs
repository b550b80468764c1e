using System.IO.Pipelines;
using EpollTransport;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Logging;

/// <summary>
/// Wraps the response body feature to count the body bytes the application hands to the server, whichever way it
/// writes them: through <see cref="Stream"/>, through <see cref="Writer"/>, or with one of the <c>SendFileAsync</c> methods.
/// </summary>
/// <remarks>
/// A file body counts once <c>SendFileAsync</c> has completed, because the call is passed on unchanged to
/// the feature underneath: on the epoll transport that is the zero-copy sendfile path, which completes once the
/// kernel has taken all but the last write window of the region (as a copied body's write completes once the pipe
/// has room), so the count is what was handed to the socket, not what was read from disk.
/// Kestrel discards body bytes of HEAD, 204 and 304 responses, so the access log reports 0 for those whatever was
/// counted here. When the client goes away mid-body the count includes what was handed over before the server
/// noticed, which may be more than the client received.
/// </remarks>
internal sealed class ResponseBytesCounter(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature, IFileHandleResponseBodyFeature
{
    private CountingStream? _stream;
    private CountingPipeWriter? _writer;

    /// <summary>Body bytes handed to the server so far.</summary>
    public long BytesWritten { get; private set; }

    /// <inheritdoc />
    public Stream Stream => _stream ??= new CountingStream(inner.Stream, this);

    /// <inheritdoc />
    public PipeWriter Writer => _writer ??= new CountingPipeWriter(inner.Writer, this);

    /// <inheritdoc />
    public void DisableBuffering() => inner.DisableBuffering();

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    /// <inheritdoc />
    public Task CompleteAsync() => inner.CompleteAsync();

    /// <inheritdoc />
    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);

        // StaticFiles always passes the count; only a caller that sends "the rest of the file" needs the stat.
        Add(count ?? (new FileInfo(path).Length - offset));
    }

    /// <inheritdoc />
    public async Task SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        // Passed on as a file (not copied through Writer), so the transport can still send it with sendfile.
        await inner.SendFileAsync(file, offset, count, cancellationToken).ConfigureAwait(false);
        Add(count ?? (RandomAccess.GetLength(file) - offset));
    }

    /// <summary>Adds bytes written through one of the wrappers.</summary>
    internal void Add(long bytes) => BytesWritten += bytes;

    private sealed class CountingStream(Stream inner, ResponseBytesCounter counter) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            counter.Add(count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            counter.Add(buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            counter.Add(buffer.Length);
        }
    }

    private sealed class CountingPipeWriter(PipeWriter inner, ResponseBytesCounter counter) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            counter.Add(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            counter.Add(source.Length);
            return inner.WriteAsync(source, cancellationToken);
        }
    }
}
