using System.IO.Pipelines;
using EpollTransport.Internal;
using EpollTransport.Interop;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Win32.SafeHandles;

namespace EpollTransport.SendFile;

/// <summary>
/// Wraps Kestrel's response body feature so that <c>SendFileAsync</c> sends the file with <c>sendfile(2)</c>
/// through the connection (zero copy) when the response allows it, and otherwise hands the call to Kestrel.
/// </summary>
/// <remarks>
/// Kestrel's HTTP/1.1 layer frames the response and counts every body byte, so the file's bytes must still pass
/// through its body writer as far as it can tell: the file region is queued on the connection first, then the
/// region's length in stand-in bytes is written to the body writer (the transport's writer takes them into a scratch
/// buffer and drops them; no file byte is copied). Content-Length checks, MinResponseDataRate, keep-alive and
/// pipelining then work unchanged. Bodies up to <see cref="EpollTransportOptions.SendFileCopyThreshold"/> bytes are
/// cheaper to copy: they are read into the output pipe behind the headers instead (<see cref="SendCopiedAsync"/>).
/// </remarks>
internal sealed class SendFileResponseBodyFeature : IHttpResponseBodyFeature, IFileHandleResponseBodyFeature
{
    // What the stand-ins are written from; their content never reaches the wire (see TransportOutputWriter).
    private static readonly byte[] s_standIns = new byte[64 * 1024];

    private readonly EpollConnection _connection;
    private IHttpResponseBodyFeature _inner;
    private HttpContext _context;

    public SendFileResponseBodyFeature(IHttpResponseBodyFeature inner, HttpContext context, EpollConnection connection)
    {
        _inner = inner;
        _context = context;
        _connection = connection;
    }

    /// <summary>
    /// The wrapper for a request on <paramref name="connection"/>. HTTP/1.x runs one request at a time on a
    /// connection, so one wrapper per connection serves all of them (no allocation per request, as Kestrel reuses
    /// its own features); HTTP/2 streams run side by side and each gets its own.
    /// </summary>
    public static SendFileResponseBodyFeature For(IHttpResponseBodyFeature inner, HttpContext context, EpollConnection connection)
    {
        string protocol = context.Request.Protocol;
        if (!HttpProtocol.IsHttp11(protocol) && !HttpProtocol.IsHttp10(protocol))
        {
            return new SendFileResponseBodyFeature(inner, context, connection);
        }

        if (connection.Http1BodyFeature is { } feature)
        {
            feature._inner = inner;
            feature._context = context;
            return feature;
        }

        return connection.Http1BodyFeature = new SendFileResponseBodyFeature(inner, context, connection);
    }

    public Stream Stream => _inner.Stream;

    public PipeWriter Writer => _inner.Writer;

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => _inner.CompleteAsync();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        string? reason = WhyNotZeroCopy(count);
        if (reason is not null)
        {
            _connection.Context.Metrics.SendFileFellBack(reason);
            return _inner.SendFileAsync(path, offset, count, cancellationToken);
        }

        return SendPathAsync(path, offset, count, cancellationToken);
    }

    /// <summary>
    /// Sends a region of a file the caller has already opened (and checked): zero-copy when the response allows it,
    /// otherwise copied from the same descriptor into Kestrel's body writer. Never opens anything by path.
    /// </summary>
    public Task SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        string? reason = WhyNotZeroCopy(count);
        if (reason is not null)
        {
            _connection.Context.Metrics.SendFileFellBack(reason);
            return CopyAsync(file, offset, count, cancellationToken);
        }

        // With an explicit count the file's length is not needed: a file shorter than announced aborts the
        // connection once sendfile reaches its end, as a file truncated while being sent does.
        return SendZeroCopyAsync(file, offset, FileHandleCopy.RegionLength(file, offset, count), cancellationToken);
    }

    private Task CopyAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken) =>
        FileHandleCopy.CopyAsync(file, offset, FileHandleCopy.RegionLength(file, offset, count), _inner.Writer, cancellationToken);

    /// <summary>The reason the file must be copied instead, or null when sendfile can carry it.</summary>
    private string? WhyNotZeroCopy(long? count)
    {
        var request = _context.Request;
        var response = _context.Response;
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol))
        {
            return "protocol"; // HTTP/2 and HTTP/3 frame the body themselves.
        }

        if (HttpMethods.IsHead(request.Method))
        {
            return "head";
        }

        if (HasNoBody(response))
        {
            return "status";
        }

        if (response.HasStarted)
        {
            return "started";
        }

        if (response.ContentLength is not { } contentLength || IsFramed(response))
        {
            return "no-content-length";
        }

        if (count is { } length && length != contentLength)
        {
            return "length-mismatch";
        }

        if (_context.Features.Get<ITlsConnectionFeature>() is not null || _context.Features.Get<ITlsHandshakeFeature>() is not null)
        {
            return "tls";
        }

        if (!_connection.CanSendFile)
        {
            return "wrapped-transport";
        }

        return null;
    }

    private string? WhyNotZeroCopyAfterStart(long length)
    {
        var response = _context.Response;
        if (HasNoBody(response))
        {
            return "status";
        }

        return response.ContentLength != length || IsFramed(response) ? "changed-on-start" : null;
    }

    private static bool HasNoBody(HttpResponse response) =>
        response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status304NotModified;

    /// <summary>A Transfer-Encoding makes Kestrel frame the body (chunks), so stand-ins would not map to file bytes.</summary>
    private static bool IsFramed(HttpResponse response) =>
        response.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.TransferEncoding);

    /// <summary>
    /// Sends a small body by copying it into the output pipe, right behind the headers: cheaper than a file region
    /// for a few KiB, and the response leaves in the same <c>sendmsg</c> as its headers (and as the responses to
    /// any other pipelined requests). A choice, not a fallback, so it is not counted as one; its bytes count as
    /// pipe bytes in <c>epoll.io</c>, and Kestrel counts them towards MinResponseDataRate as any written body.
    /// </summary>
    /// <remarks>
    /// The whole body is read from the caller's descriptor before this returns, so the caller may close it then.
    /// </remarks>
    private async Task SendCopiedAsync(SafeFileHandle file, long offset, long length, CancellationToken cancellationToken)
    {
        // Headers first, so the body is read into the pipe's memory right after them rather than into a buffer
        // Kestrel keeps until the response starts. OnStarting callbacks that change the response are harmless
        // here: these are ordinary body writes, framed and checked by Kestrel.
        await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
        if (length == 0)
        {
            return;
        }

        var writer = _inner.Writer;
        long missing = await FileHandleCopy.ReadIntoAsync(file, offset, length, writer, cancellationToken).ConfigureAwait(false);
        if (missing > 0)
        {
            // The file is shorter than announced: end the connection with RST, as when sendfile finds the end of a
            // file early, rather than let the peer wait for bytes that do not exist.
            _connection.Abort(new ConnectionAbortedException(
                $"The file ended {missing} bytes before the {length} bytes announced for it were read."));
            await _connection.ConnectionClosedFired.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }

        // A completed flush means the client has gone: like any write to a closed response, not an error.
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task SendPathAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        // The same checks and exceptions as Kestrel's own SendFileAsync, in fewer system calls.
        using var file = FileOpener.OpenRegularFile(path, out long fileLength);
        long length = FileHandleCopy.RegionLength(fileLength, offset, count);
        await SendZeroCopyAsync(file, offset, length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="length"/> bytes of <paramref name="file"/> with sendfile, or copies them when the response turns out not to allow it.</summary>
    private async Task SendZeroCopyAsync(SafeFileHandle file, long offset, long length, CancellationToken cancellationToken)
    {
        if (_context.Response.ContentLength != length)
        {
            _connection.Context.Metrics.SendFileFellBack("length-mismatch");
            await FileHandleCopy.CopyAsync(file, offset, length, _inner.Writer, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (length <= _connection.Context.Options.SendFileCopyThreshold)
        {
            await SendCopiedAsync(file, offset, length, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Headers are written into the transport's pipe here (not flushed), so the file region queued next sits
        // right after them and both leave together.
        await _inner.StartAsync(cancellationToken).ConfigureAwait(false);

        // OnStarting callbacks ran inside StartAsync and may have changed the response: stand-ins would then be
        // framed or refused. Copying from the same descriptor still works on a started response.
        if (WhyNotZeroCopyAfterStart(length) is { } reason)
        {
            _connection.Context.Metrics.SendFileFellBack(reason);
            await FileHandleCopy.CopyAsync(file, offset, length, _inner.Writer, cancellationToken).ConfigureAwait(false);
            return;
        }

        // One response's region at a time: the last window of the previous one may still be on its way (its
        // response completed without waiting for it). Waiting bounds what a pipelining client that does not read
        // can make the connection hold to one region and one window; waiting in a flush (which sends these
        // headers ahead, behind that region) lets Kestrel cut such a client off at MinResponseDataRate.
        if (_connection.WaitForPreviousRegionInNextFlush())
        {
            var flush = await _inner.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                await EndAfterDisconnectAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        _connection.QueueFileRegion(file, offset, length);
        bool outputEnded = false;
        try
        {
            var writer = _inner.Writer;
            int chunk = (int)Math.Min(_connection.Context.FileWindow, s_standIns.Length);
            long remaining = length;
            while (remaining > 0)
            {
                // Stand-ins for up to one window of the file. They are written, not just advanced: Kestrel counts
                // written bytes (as for a copied body) to earn the response time at MinResponseDataRate, so a reader
                // that pauses after a good start keeps its download, as on the Sockets transport. The flush inside
                // the write waits until sendfile has caught up to within the window.
                int count = (int)Math.Min(remaining, chunk);
                var flush = await writer.WriteAsync(s_standIns.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                remaining -= count;
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    outputEnded = true;
                    break;
                }
            }
        }
        finally
        {
            _connection.EndFileRegion();
        }

        // The last flush waited until all but the last window of the region was sent (or the connection ended);
        // the response completes without waiting for the rest, as with a copied body. The region holds its own
        // reference to the descriptor, so the caller may close its handle now.
        if (outputEnded)
        {
            await EndAfterDisconnectAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends a file response whose connection ended first (the client went away, or it was aborted). Kestrel's own
    /// copy, writing to a disconnected client, ends quietly once the request is aborted, with no Content-Length
    /// error: wait until Kestrel has been told (ConnectionClosed aborts the request) and end the same way.
    /// </summary>
    private async Task EndAfterDisconnectAsync(CancellationToken cancellationToken)
    {
        await _connection.ConnectionClosedFired.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
