namespace EpollTransport.Metrics;

/// <summary>
/// One epoll thread's running figures. The loop bumps plain fields (no instrument call, no atomic operation on the
/// per-turn counts); <see cref="EpollTransportMetrics"/> reads them only when a listener collects.
/// </summary>
internal sealed class EpollLoopMetrics
{
    private long _turns;
    private long _wakeUps;
    private long _activeConnections;

    public EpollLoopMetrics(int threadIndex)
    {
        ThreadTag = new KeyValuePair<string, object?>("epoll.loop.thread", $"epoll-{threadIndex}");
    }

    /// <summary><c>epoll.loop.thread</c>: the thread's name (<c>epoll-0</c>, <c>epoll-1</c>, ...).</summary>
    public KeyValuePair<string, object?> ThreadTag { get; }

    public long Turns => Volatile.Read(ref _turns);

    public long WakeUps => Volatile.Read(ref _wakeUps);

    public long ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>epoll_wait returned. Loop thread only: a single writer needs no atomic increment.</summary>
    public void Turned() => Volatile.Write(ref _turns, _turns + 1);

    /// <summary>The loop read its eventfd: another thread woke it. Loop thread only.</summary>
    public void WokeUp() => Volatile.Write(ref _wakeUps, _wakeUps + 1);

    /// <summary>A connection was registered with this thread.</summary>
    public void ConnectionOpened() => Interlocked.Increment(ref _activeConnections);

    /// <summary>A connection registered with this thread closed its socket.</summary>
    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);
}
