using EpollTransport.Listeners;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>
/// An <c>accept4(2)</c> whose first <paramref name="failures"/> calls fail with <paramref name="failWith"/>; every
/// later call is the real one. Stands for descriptor exhaustion, which cannot be staged inside a .NET process.
/// </summary>
internal sealed unsafe class FailingAccept(int failWith, int failures) : IAcceptCall
{
    private int _failuresLeft = failures;

    public int Accept(int listenFd, byte* address, int* addressLength, out int errno)
    {
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            errno = failWith;
            return -1;
        }

        return Accept4Call.Instance.Accept(listenFd, address, addressLength, out errno);
    }
}
