namespace EpollTransport;

/// <summary>
/// Where the application (Kestrel and everything above it) runs when the transport hands it data.
/// </summary>
public enum ApplicationSchedulingMode
{
    /// <summary>
    /// Application continuations are queued to the .NET thread pool. The epoll thread only moves bytes.
    /// This is the safe default: a slow request handler can never stall other connections.
    /// </summary>
    ThreadPool = 0,

    /// <summary>
    /// Application continuations run directly on the epoll thread that received the data.
    /// Saves a thread hop per read, but any blocking code in the application stalls every connection
    /// that shares the thread. Use only for handlers that never block.
    /// </summary>
    Inline = 1,
}
