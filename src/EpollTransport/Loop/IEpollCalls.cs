namespace EpollTransport.Loop;

/// <summary>
/// The system calls an <see cref="EpollThread"/> makes on its epoll set. <see cref="EpollCalls"/> is the real one;
/// tests put another in its place to count the calls or to make one fail as the kernel rarely does (ENOMEM, EBADF).
/// </summary>
/// <remarks>Each returns what its system call returns; on failure the error is the last P/Invoke error, as after the call itself.</remarks>
internal unsafe interface IEpollCalls
{
    /// <summary><c>epoll_ctl(2)</c>: 0, or -1 on failure.</summary>
    int Control(int epollFd, int operation, int fd, byte* epollEvent);

    /// <summary><c>epoll_wait(2)</c>: the number of events written to <paramref name="events"/>, or -1 on failure.</summary>
    int Wait(int epollFd, byte* events, int maxEvents, int timeoutMilliseconds);
}
