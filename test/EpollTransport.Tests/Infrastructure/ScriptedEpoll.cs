using System.Runtime.InteropServices;
using EpollTransport.Loop;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>
/// The real epoll system calls, counted, with a failure where a test asks for one: the next <c>EPOLL_CTL_ADD</c>, or
/// the next <c>epoll_wait</c> of one loop.
/// </summary>
internal sealed unsafe class ScriptedEpoll : IEpollCalls
{
    private const int EpollControlAdd = 1; // EPOLL_CTL_ADD

    private readonly ManualResetEventSlim _sleeping = new();
    private long _controlCalls;
    private int _nextAddErrno;
    private WaitFailure? _nextWaitFailure;

    /// <summary>epoll_ctl calls made so far, by every loop that uses this.</summary>
    public long ControlCalls => Interlocked.Read(ref _controlCalls);

    /// <summary>
    /// Waits until a loop has entered an <c>epoll_wait</c> with no timeout (asleep until woken), or is about to; false
    /// when none does within <paramref name="timeout"/>. Meant for tests with one loop.
    /// </summary>
    public bool WaitUntilAsleep(TimeSpan timeout) => _sleeping.Wait(timeout);

    /// <summary>The next <c>EPOLL_CTL_ADD</c>, on any loop, fails with <paramref name="errno"/>.</summary>
    public void FailNextAdd(int errno) => Volatile.Write(ref _nextAddErrno, errno);

    /// <summary>The next <c>epoll_wait</c> of <paramref name="loop"/> fails with <paramref name="errno"/> (and the loop with it); the loop is woken for it.</summary>
    public void FailNextWait(EpollThread loop, int errno)
    {
        Volatile.Write(ref _nextWaitFailure, new WaitFailure(loop, errno));
        loop.Schedule(static _ => { }, null);
    }

    public int Control(int epollFd, int operation, int fd, byte* epollEvent)
    {
        Interlocked.Increment(ref _controlCalls);
        if (operation == EpollControlAdd && Interlocked.Exchange(ref _nextAddErrno, 0) is int errno and not 0)
        {
            Marshal.SetLastPInvokeError(errno);
            return -1;
        }

        return EpollCalls.Instance.Control(epollFd, operation, fd, epollEvent);
    }

    public int Wait(int epollFd, byte* events, int maxEvents, int timeoutMilliseconds)
    {
        if (Volatile.Read(ref _nextWaitFailure) is { } failure && failure.Loop.IsLoopThread
            && Interlocked.CompareExchange(ref _nextWaitFailure, null, failure) == failure)
        {
            Marshal.SetLastPInvokeError(failure.Errno);
            return -1;
        }

        if (timeoutMilliseconds >= 0)
        {
            return EpollCalls.Instance.Wait(epollFd, events, maxEvents, timeoutMilliseconds);
        }

        _sleeping.Set();
        try
        {
            return EpollCalls.Instance.Wait(epollFd, events, maxEvents, timeoutMilliseconds);
        }
        finally
        {
            _sleeping.Reset();
        }
    }

    private sealed record WaitFailure(EpollThread Loop, int Errno);
}
