using EpollTransport.Interop;

namespace EpollTransport.Loop;

/// <summary>The real <c>epoll_ctl(2)</c> and <c>epoll_wait(2)</c>: what every loop uses outside tests.</summary>
internal sealed unsafe class EpollCalls : IEpollCalls
{
    public static readonly EpollCalls Instance = new();

    private EpollCalls()
    {
    }

    public int Control(int epollFd, int operation, int fd, byte* epollEvent) => Libc.EpollCtl(epollFd, operation, fd, epollEvent);

    public int Wait(int epollFd, byte* events, int maxEvents, int timeoutMilliseconds) => Libc.EpollWait(epollFd, events, maxEvents, timeoutMilliseconds);
}
