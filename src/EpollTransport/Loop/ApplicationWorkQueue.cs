using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace EpollTransport.Loop;

/// <summary>
/// The application side of one epoll thread's connections in <see cref="ApplicationSchedulingMode.ThreadPool"/> mode:
/// continuations are queued here and run on the thread pool, many per pool work item.
/// </summary>
/// <remarks>
/// <para>
/// With one pool work item per request (<see cref="PipeScheduler.ThreadPool"/>, what the Sockets transport uses for
/// the application side), every request woke a worker and left it spinning for the next one on the core the loop
/// needs (measured: 2.3 <c>sched_yield</c> per plaintext request on one core). Here the loop queues the continuations
/// of all the connections one <c>epoll_wait</c> made ready and posts a single work item at the end of its turn
/// (<see cref="PostIfQueued"/>), as Kestrel drains its socket continuations through its <c>IOQueue</c>s.
/// </para>
/// <para>
/// One drainer must not become a bottleneck where the pool would have run the same continuations side by side: while
/// continuations remain queued, a drainer that takes one posts another drainer, up to one per processor the process
/// may run on (the same ramp-up the thread pool does when it finds more work). On a single core that is one drainer.
/// </para>
/// <para>
/// A continuation that blocks its thread would still hold up those queued behind it once every drainer is blocked,
/// which the thread pool's own queue never does for long. The loop watches for that (<see cref="RescueIfStalled"/>):
/// when nothing has started for <see cref="StallTimeout"/> while continuations wait and one is running, it posts
/// another drainer, so a blocking application delays unrelated connections by milliseconds.
/// </para>
/// </remarks>
internal sealed class ApplicationWorkQueue : PipeScheduler, IThreadPoolWorkItem
{
    /// <summary>How long continuations may wait behind running ones that do not finish before another drainer is posted.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromMilliseconds(2);

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly EpollThread _thread;

    // Reads the time continuations start and the loop's stall watch compares against. A test that must see what the
    // drainers do on their own passes a clock that never moves: then no stall is ever seen and none is rescued.
    private readonly TimeProvider _clock;
    private readonly long _stallTicks;
    private readonly int _maxDrainers = Math.Max(1, Environment.ProcessorCount);

    // Drainers posted or running (this object is the pool work item each time). Whoever raises it from 0 posts one;
    // a drainer lowers it when it finds the queue empty.
    private int _drainers;

    // The loop thread queued work without posting: it posts once, at the end of its turn.
    private bool _queuedByLoop;

    // Continuations running right now, and when the most recent one started (_clock's timestamps).
    private int _running;
    private long _lastStart;

    public ApplicationWorkQueue(EpollThread thread, TimeProvider clock)
    {
        _thread = thread;
        _clock = clock;
        _stallTicks = (long)(StallTimeout.TotalSeconds * clock.TimestampFrequency);
    }

    /// <summary>True when continuations are queued and not yet taken by a worker.</summary>
    public bool HasQueuedWork => !_queue.IsEmpty;

    /// <inheritdoc />
    public override void Schedule(Action<object?> action, object? state)
    {
        _queue.Enqueue(new WorkItem(action, state));
        if (_thread.IsRunningLoopWork)
        {
            // Posted once per loop turn, after every ready socket has been read.
            _queuedByLoop = true;
        }
        else if (!PostFirst())
        {
            if (_thread.HasExited)
            {
                // No loop is left to watch for a drainer that blocks: make sure this continuation runs anyway.
                PostAnother();
            }
            else
            {
                // A drainer is already posted or running. If it is stuck in a blocking continuation, only the loop
                // can notice, and it may be asleep with no timeout (it saw nothing queued): let it look.
                _thread.WakeIfSleeping();
            }
        }
    }

    /// <summary>Called by the loop at the end of each turn: hands this turn's continuations to the thread pool.</summary>
    public void PostIfQueued()
    {
        if (_queuedByLoop)
        {
            _queuedByLoop = false;
            _ = PostFirst();
        }
    }

    /// <summary>
    /// Called by the loop on each turn while work is queued: if continuations wait, one is running and none has
    /// started for longer than <see cref="StallTimeout"/> (every drainer is blocked), posts another drainer.
    /// </summary>
    public void RescueIfStalled()
    {
        if (_queue.IsEmpty || Volatile.Read(ref _running) == 0)
        {
            return; // Nothing waits, or nothing runs (the pool has not reached the work item yet: more would not help).
        }

        long now = _clock.GetTimestamp();
        long lastStart = Volatile.Read(ref _lastStart);
        if (now - lastStart > _stallTicks && Interlocked.CompareExchange(ref _lastStart, now, lastStart) == lastStart)
        {
            // Counts as a start, so the next rescue waits for another timeout without progress.
            PostAnother();
        }
    }

    /// <summary>Posts a drainer if none is posted or running; true when this call posted it.</summary>
    private bool PostFirst()
    {
        // A full fence after the enqueue, paired with the one in Execute: either this sees 0 and posts, or a drainer
        // still running sees the new continuation.
        if (Interlocked.CompareExchange(ref _drainers, 1, 0) != 0)
        {
            return false;
        }

        System.Threading.ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        return true;
    }

    private void PostAnother()
    {
        Interlocked.Increment(ref _drainers);
        System.Threading.ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        while (true)
        {
            Drain();
            Interlocked.Decrement(ref _drainers);
            if (_queue.IsEmpty || Interlocked.CompareExchange(ref _drainers, 1, 0) != 0)
            {
                return; // Nothing left, or another drainer is there to take it.
            }
        }
    }

    private void Drain()
    {
        while (_queue.TryDequeue(out var item))
        {
            if (!_queue.IsEmpty)
            {
                // More is waiting than this drainer is about to run: let another processor help, as the pool would.
                int drainers = Volatile.Read(ref _drainers);
                if (drainers < _maxDrainers && Interlocked.CompareExchange(ref _drainers, drainers + 1, drainers) == drainers)
                {
                    System.Threading.ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                }
            }

            Volatile.Write(ref _lastStart, _clock.GetTimestamp());
            Interlocked.Increment(ref _running);
            try
            {
                item.Action(item.State);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    private readonly record struct WorkItem(Action<object?> Action, object? State);
}
