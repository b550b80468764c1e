namespace EpollTransport.Connections;

/// <summary>The lifecycle of an <see cref="EpollConnection"/> as its loop sees it.</summary>
/// <remarks>
/// <see cref="Closed"/>, <see cref="SendDone"/> and <see cref="ReadDone"/> are set once and never cleared: a
/// connection only moves towards its end. The others come and go with back-pressure and the socket's buffer.
/// </remarks>
[Flags]
internal enum ConnectionFlags : byte
{
    None = 0,

    /// <summary>The descriptor is closed (out of the epoll set first); ConnectionClosed has been signalled.</summary>
    Closed = 1,

    /// <summary>The send loop has ended: nothing more will be sent (FIN or RST is on its way).</summary>
    SendDone = 2,

    /// <summary>The input has ended (peer FIN, reset, abort, or the application stopped reading).</summary>
    ReadDone = 4,

    /// <summary>Reading is paused: the application has MaxReadBufferSize unconsumed.</summary>
    ReadPaused = 8,

    /// <summary>The send loop waits for EPOLLOUT.</summary>
    WaitingWritable = 16,

    /// <summary>TCP_CORK is set on the socket.</summary>
    Corked = 32,
}
