namespace EpollTransport.Loop;

/// <summary>Something registered in an <see cref="EpollThread"/>'s epoll set: a listen socket, a connection or the wake-up eventfd.</summary>
internal interface IEpollHandler
{
    /// <summary>Handles the readiness bits <c>epoll_wait</c> reported. Runs on the owning epoll thread.</summary>
    void OnEvents(uint events);

    /// <summary>
    /// Called when <see cref="OnEvents"/> or a scheduled callback of this handler threw: the handler must release
    /// its resources (abort the connection, close the socket). Must not throw.
    /// </summary>
    void OnLoopFault(Exception exception);

    /// <summary>Closes the handler because its epoll thread is stopping. Must not throw.</summary>
    void OnThreadStopping();
}
