using Microsoft.Win32.SafeHandles;

namespace EpollTransport;

/// <summary>
/// A connection feature of the epoll transport: sends regions of files with <c>sendfile(2)</c> as part of the
/// connection's ordered output, without copying them through user space.
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
/// HTTP/1.x body writer with a Content-Length) by exactly <c>count</c> bytes with <c>GetMemory</c> and
/// <c>Advance</c>, writing nothing into the memory. Those bytes are accounted for but discarded: the file's bytes
/// take their place on the wire. Advancing past them aborts the connection. Then flush as usual.
/// </para>
/// <para>
/// File regions are not pipe bytes, so they do not hold flushes back. A protocol applies back-pressure to them with
/// <see cref="WaitForUnsentFileBytesAsync"/>, and times that wait itself if a client that stops reading must be cut
/// off (the epoll transport's HTTP/1.x integration applies Kestrel's MinResponseDataRate to it).
/// </para>
/// </remarks>
public interface IConnectionSendFileFeature
{
    /// <summary>
    /// Whether the connection's <c>Transport.Output</c> is still the transport's own writer and its output has not
    /// ended. It is not once TLS or another connection middleware has wrapped the transport; file regions cannot be
    /// sent then.
    /// </summary>
    bool CanSendFile { get; }

    /// <summary>Bytes of queued file regions not yet handed to the kernel's socket buffer.</summary>
    long UnsentFileBytes { get; }

    /// <summary>
    /// Queues <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/>, to be sent right
    /// after every byte already advanced into the connection's output, and makes the next <paramref name="count"/>
    /// bytes advanced into the output stand for them.
    /// </summary>
    /// <param name="file">
    /// An open, readable file. The region takes its own reference to the descriptor, so the caller may dispose its
    /// handle as soon as this returns.
    /// </param>
    /// <param name="offset">Where the region starts in the file.</param>
    /// <param name="count">The region's length in bytes; more than zero.</param>
    /// <remarks>
    /// A file that turns out shorter than announced aborts the connection (RST): the peer was promised bytes that do
    /// not exist. When the output has already ended, the region is dropped.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The output is no longer the transport's own writer, or another region's bytes are still being advanced.</exception>
    void QueueFile(SafeFileHandle file, long offset, long count);

    /// <summary>
    /// Waits until at most <paramref name="unsentBytes"/> bytes of queued file regions remain unsent: zero to wait for
    /// every region, a window's size for back-pressure that keeps the socket busy.
    /// </summary>
    /// <param name="unsentBytes">The most unsent bytes to wait for.</param>
    /// <returns>
    /// True once that is so; false when the connection's output ended first (the peer went away, or the connection
    /// was aborted), which is not an error to the writer, as a write to a closed connection is not.
    /// </returns>
    /// <remarks>One wait at a time, as a <see cref="System.IO.Pipelines.PipeWriter"/> allows one flush at a time.</remarks>
    ValueTask<bool> WaitForUnsentFileBytesAsync(long unsentBytes);
}
