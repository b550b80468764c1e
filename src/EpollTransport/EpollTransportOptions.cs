namespace EpollTransport;

/// <summary>
/// Options for the epoll transport. Bound from the <c>EpollTransport</c> configuration section by
/// <see cref="Microsoft.AspNetCore.Hosting.WebHostBuilderEpollExtensions.UseEpollTransport(Microsoft.AspNetCore.Hosting.IWebHostBuilder)"/>
/// and validated when the host starts.
/// </summary>
public sealed class EpollTransportOptions
{
    /// <summary>The name of the configuration section the options are bound from.</summary>
    public const string ConfigurationSectionName = "EpollTransport";

    /// <summary>
    /// Number of dedicated epoll threads. Each owns its own epoll instance and a share of the connections.
    /// Defaults to 1. Must be between 1 and 256.
    /// </summary>
    public int ThreadCount { get; set; } = 1;

    /// <summary>Sets TCP_NODELAY on accepted TCP connections (disables Nagle's algorithm). Defaults to <see langword="true"/>.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>
    /// Sets TCP_CORK on a TCP connection while a batch of response bytes that needs more than one system call is
    /// being written (response headers followed by a <c>sendfile</c> body, or a partial write), and clears it when
    /// the batch is complete, so partial segments are not sent in between. Defaults to <see langword="false"/>:
    /// without it, headers that precede a file body are sent with <c>MSG_MORE</c>, which has the same effect on
    /// the wire without the two extra <c>setsockopt</c> calls, and a batch that fits one <c>sendmsg</c> gains nothing
    /// from corking.
    /// </summary>
    public bool Cork { get; set; }

    /// <summary>The listen backlog passed to <c>listen(2)</c>. Defaults to 512. Must be positive.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// Bytes received but not yet consumed by the application above which the transport stops reading from the
    /// socket; reading resumes when the application has consumed down to half of it. Defaults to 1 MiB.
    /// <see langword="null"/> or 0 means unlimited.
    /// </summary>
    public long? MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes written by the application but not yet sent above which the application's flushes wait; they complete
    /// again when the transport has sent down to half of it. Defaults to 64 KiB. <see langword="null"/> or 0 means unlimited.
    /// </summary>
    public long? MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>Where the application runs when data arrives. Defaults to <see cref="EpollTransport.ApplicationSchedulingMode.ThreadPool"/>.</summary>
    public ApplicationSchedulingMode ApplicationSchedulingMode { get; set; } = ApplicationSchedulingMode.ThreadPool;

    /// <summary>
    /// Sends static file bodies with <c>sendfile(2)</c>, straight from the page cache to the socket, when the response
    /// allows it (HTTP/1.x, known Content-Length, no TLS or connection middleware re-framing the bytes). Defaults to
    /// <see langword="true"/>. See <see cref="IConnectionSendFileFeature"/>.
    /// </summary>
    public bool SendFile { get; set; } = true;

    /// <summary>
    /// File bodies of at most this many bytes are copied into the connection's output (read with <c>pread</c>
    /// straight into the output buffer) instead of being sent with <c>sendfile(2)</c>. Defaults to 16 KiB; 0 sends
    /// every file body with <c>sendfile</c>. Must be between 0 and 1 MiB.
    /// </summary>
    /// <remarks>
    /// A copied body leaves with its response's headers, and the responses to pipelined requests leave together, in
    /// a single <c>sendmsg</c>; a body sent with <c>sendfile</c> costs a send of the headers, a <c>sendfile</c> call
    /// and a wait for it before the response completes. For small bodies the copy is the cheaper of the two; for
    /// large ones, not copying is. Only applies where <c>sendfile</c> could have carried the body (see
    /// <see cref="SendFile"/>); bodies that cannot go by <c>sendfile</c> are copied whatever their size.
    /// </remarks>
    public int SendFileCopyThreshold { get; set; } = DefaultSendFileCopyThreshold;

    /// <summary>
    /// How far a file body may run ahead of the client: the response's wait for its file region ends once no more
    /// than this is left unsent, as a copied body's last write completes once the output holds less than
    /// <see cref="MaxWriteBufferSize"/>.
    /// </summary>
    internal long FileWindow => MaxWriteBufferSize is > 0 and long maxWrite ? maxWrite : 64 * 1024;

    internal const int DefaultSendFileCopyThreshold = 16 * 1024;

    internal const int MaxSendFileCopyThreshold = 1024 * 1024;

    /// <summary>
    /// When <see langword="true"/>, an aborted connection is closed with a FIN (orderly shutdown) instead of the
    /// default RST. Defaults to <see langword="false"/>, which matches Kestrel's Sockets transport.
    /// </summary>
    public bool FinOnError { get; set; }

    /// <summary>
    /// When <see langword="true"/> (the default), memory goes back to the system after a burst of connections: once the
    /// open connections have fallen to a quarter of their peak, by at least 1,000, and stayed there 10 s, the transport
    /// runs one full, compacting garbage collection on the thread pool. An idle server allocates nothing, so without it
    /// no collection runs and the closed connections' memory stays held. Turn it off when the application schedules
    /// its own collections, or cannot afford the pause of one full collection after a burst.
    /// </summary>
    public bool ReleaseMemoryAfterBurst { get; set; } = true;
}
