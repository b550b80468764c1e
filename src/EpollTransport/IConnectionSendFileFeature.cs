using Microsoft.Win32.SafeHandles;

namespace EpollTransport;

/// <summary>
/// A connection feature of the epoll transport: sends a region of a file with <c>sendfile(2)</c> as part of the
/// connection's ordered output, without copying it through user space.
/// </summary>
/// <remarks>
/// <para>
/// Reachable from <c>HttpContext.Features</c> on connections of the epoll transport. <c>UseEpollTransport()</c>
/// already routes <c>HttpResponse.SendFileAsync</c> through it when a response allows it; use it directly only
/// for protocols of your own.
/// </para>
/// <para>
/// The protocol: call <see cref="QueueFile"/>; then advance the connection's output <see cref="System.IO.Pipelines.PipeWriter"/>
/// (the transport's own writer, directly or through a layer that passes bytes through unchanged, such as Kestrel's
/// HTTP/1.x body writer with a Content-Length) by exactly <c>count</c> bytes. Those bytes are accounted for but
/// discarded: the file's bytes take their place on the wire. Advancing past them aborts the connection. Flushes
/// made while advancing wait until the file has been sent to within the write buffer size, so a reader that stops
/// reading stalls them, and Kestrel's minimum response data rate still applies.
/// </para>
/// </remarks>
public interface IConnectionSendFileFeature
{
    /// <summary>
    /// Whether the connection's <c>Transport.Output</c> is still the transport's own writer. It is not once TLS or
    /// another connection middleware has wrapped the transport; file regions cannot be sent then.
    /// </summary>
    bool CanSendFile { get; }

    /// <summary>
    /// Queues <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/>, to be sent right
    /// after every byte already advanced into the connection's output, and makes the next <paramref name="count"/>
    /// bytes advanced into the output stand for them.
    /// </summary>
    /// <param name="file">An open, readable file. Must stay open until the returned task completes.</param>
    /// <param name="offset">Where the region starts in the file.</param>
    /// <param name="count">The region's length in bytes; more than zero.</param>
    /// <returns>
    /// A task that completes when the region has been handed to the kernel's socket buffer, or faults when the
    /// connection ends first, or when the file turns out shorter than announced (the connection is then aborted).
    /// </returns>
    /// <exception cref="InvalidOperationException"><see cref="CanSendFile"/> is false, or another region's bytes are still being advanced.</exception>
    Task QueueFile(SafeFileHandle file, long offset, long count);
}
