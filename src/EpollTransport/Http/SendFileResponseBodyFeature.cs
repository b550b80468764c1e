using System.IO.Pipelines;
using EpollTransport.Interop;
using EpollTransport.SendFile;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Win32.SafeHandles;

namespace EpollTransport.Http;

/// <summary>
/// Wraps Kestrel's response body feature so that <c>SendFileAsync</c> sends the file as a file region of the
/// connection (<see cref="IConnectionSendFileFeature"/>, zero copy) when the response allows it, and otherwise hands
/// the call to Kestrel or copies from the caller's descriptor.
/// </summary>
/// <remarks>
/// Kestrel's HTTP/1.1 layer frames the response and counts every body byte, so the file's bytes must still pass
/// through its body writer as far as it can tell: the region is queued first, then Kestrel's body writer is
/// advanced by the region's length without writing anything (the transport's writer hands out a scratch buffer and
/// drops the bytes; no byte of the file's length is copied anywhere). Content-Length checks, byte counts,
/// keep-alive and pipelining then work unchanged, and <see cref="FileBodyDataRate"/> applies Kestrel's
/// MinResponseDataRate to the region. Bodies up to <see cref="EpollTransportOptions.SendFileCopyThreshold"/> bytes
/// are cheaper to copy: they are read into the output behind the headers instead.
/// </remarks>
internal sealed class SendFileResponseBodyFeature(
    IHttpResponseBodyFeature inner,
    HttpContext context,
    IConnectionSendFileFeature files,
    SendFileServices services) : IHttpResponseBodyFeature, IFileHandleResponseBodyFeature
{
    public Stream Stream => inner.Stream;

    public PipeWriter Writer => inner.Writer;

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => inner.CompleteAsync();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        if (ZeroCopyEligibility.WhyNot(context, files, count) is { } reason)
        {
            services.Metrics.FellBack(reason);
            return inner.SendFileAsync(path, offset, count, cancellationToken);
        }

        return SendPathAsync(path, offset, count, cancellationToken);
    }

    /// <summary>
    /// Sends a region of a file the caller has already opened (and checked): zero-copy when the response allows it,
    /// otherwise copied from the same descriptor into Kestrel's body writer. Never opens anything by path.
    /// </summary>
    public Task SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        if (ZeroCopyEligibility.WhyNot(context, files, count) is { } reason)
        {
            services.Metrics.FellBack(reason);
            return FileHandleCopy.CopyAsync(
                file, offset, FileHandleCopy.RegionLength(file, offset, count), inner.Writer, cancellationToken,
                throughBuffer: ZeroCopyEligibility.IsBufferedOnTheWay(reason));
        }

        // With an explicit count the file's length is not needed: a file shorter than announced aborts the
        // connection once sendfile reaches its end, as a file truncated while being sent does.
        return SendChosenWayAsync(file, offset, FileHandleCopy.RegionLength(file, offset, count), cancellationToken);
    }

    private async Task SendPathAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        // The same checks and exceptions as Kestrel's own SendFileAsync, in fewer system calls.
        using var file = FileOpener.OpenRegularFile(path, out long fileLength);
        long length = FileHandleCopy.RegionLength(fileLength, offset, count);
        await SendChosenWayAsync(file, offset, length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends an eligible body: copied behind its headers when small, as a file region otherwise.</summary>
    private Task SendChosenWayAsync(SafeFileHandle file, long offset, long length, CancellationToken cancellationToken)
    {
        if (context.Response.ContentLength != length)
        {
            services.Metrics.FellBack("length-mismatch");
            return FileHandleCopy.CopyAsync(file, offset, length, inner.Writer, cancellationToken);
        }

        return length <= services.Options.SendFileCopyThreshold
            ? SendCopiedAsync(file, offset, length, cancellationToken)
            : SendRegionAsync(file, offset, length, cancellationToken);
    }

    /// <summary>
    /// Sends a small body by copying it into the output pipe, right behind the headers: cheaper than a file region
    /// for a few KiB, and the response leaves in the same <c>sendmsg</c> as its headers (and as the responses to
    /// any other pipelined requests). A choice, not a fallback, so it is not counted as one.
    /// </summary>
    /// <remarks>The whole body is read from the caller's descriptor before this returns, so the caller may close it then.</remarks>
    private async Task SendCopiedAsync(SafeFileHandle file, long offset, long length, CancellationToken cancellationToken)
    {
        // Headers first, so the body is read into the pipe's memory right after them rather than into a buffer
        // Kestrel keeps until the response starts.
        await inner.StartAsync(cancellationToken).ConfigureAwait(false);
        if (length == 0)
        {
            return;
        }

        var writer = inner.Writer;
        long missing = await FileHandleCopy.ReadIntoAsync(file, offset, length, writer, cancellationToken).ConfigureAwait(false);
        if (missing > 0)
        {
            // The file is shorter than announced: end the connection with RST, as when sendfile finds the end of a
            // file early, rather than let the peer wait for bytes that do not exist.
            await AbortConnectionAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        // A completed flush means the client has gone: like any write to a closed response, not an error.
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="length"/> bytes of <paramref name="file"/> as a file region of the connection.</summary>
    private async Task SendRegionAsync(SafeFileHandle file, long offset, long length, CancellationToken cancellationToken)
    {
        // Headers are written into the transport's pipe here (not flushed), so the region queued next sits right
        // after them and both leave together.
        await inner.StartAsync(cancellationToken).ConfigureAwait(false);
        if (ZeroCopyEligibility.WhyNotAfterStart(context.Response, length) is { } reason)
        {
            services.Metrics.FellBack(reason);
            await FileHandleCopy.CopyAsync(file, offset, length, inner.Writer, cancellationToken).ConfigureAwait(false);
            return;
        }

        // One response's region at a time: the last window of the previous one may still be on its way (its
        // response completed without waiting for it). Waiting bounds what a pipelining client that does not read
        // can make the connection hold to one region and one window, and the wait is timed like any other.
        long window = services.Options.FileWindow;
        if (!await services.DataRate.WaitAsync(context, files, 0, window).ConfigureAwait(false))
        {
            await EndAfterDisconnectAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        files.QueueFile(file, offset, length);
        var writer = inner.Writer;
        for (long remaining = length; remaining > 0;)
        {
            // Stand-ins: advanced, never written. Kestrel counts them against the Content-Length; the transport's
            // writer drops them (its memory is a scratch buffer) and the file's bytes take their place.
            int count = (int)Math.Min(remaining, writer.GetMemory().Length);
            writer.Advance(count);
            remaining -= count;
        }

        var flush = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);

        // The response completes once all but its last window is sent, as a copied body's last flush does; the
        // region holds its own reference to the descriptor, so the caller may close its handle then.
        if (flush.IsCompleted || flush.IsCanceled || !await services.DataRate.WaitAsync(context, files, window, window).ConfigureAwait(false))
        {
            await EndAfterDisconnectAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Aborts the connection (RST) and ends the response the way a disconnect does.</summary>
    private async Task AbortConnectionAsync(CancellationToken cancellationToken)
    {
        context.Features.Get<IConnectionLifetimeFeature>()?.Abort();
        await EndAfterDisconnectAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a file response whose connection ended first (the client went away, or it was aborted). Kestrel's own
    /// copy, writing to a disconnected client, ends quietly once the request is aborted, with no Content-Length
    /// error: wait until Kestrel has aborted the request (it does when the transport reports the connection closed)
    /// and end the same way.
    /// </summary>
    private async Task EndAfterDisconnectAsync(CancellationToken cancellationToken)
    {
        var aborted = context.RequestAborted;
        if (!aborted.IsCancellationRequested)
        {
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (aborted.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), ended))
            {
                await ended.Task.ConfigureAwait(false);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
