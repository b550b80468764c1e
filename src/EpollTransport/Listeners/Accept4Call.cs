using EpollTransport.Interop;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Listeners;

/// <summary>The real <c>accept4(2)</c>: what every listener uses outside tests.</summary>
internal sealed unsafe class Accept4Call : IAcceptCall
{
    public static readonly Accept4Call Instance = new();

    private Accept4Call()
    {
    }

    public int Accept(int listenFd, byte* address, int* addressLength, out int errno)
    {
        int fd = Libc.Accept4(listenFd, address, addressLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
        errno = fd < 0 ? NativeErrors.LastErrno : 0;
        return fd;
    }
}
