using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;

namespace EpollTransport.Internal;

/// <summary>
/// The application side of one epoll thread's connections in <see cref="ApplicationSchedulingMode.ThreadPool"/> mode:
/// continuations are queued here and run on the thread pool, many per pool work item, as Kestrel's Sockets transport
/// runs its socket continuations through its <c>IOQueue</c>s.
/// </summary>
/// <remarks>
/// <para>
/// With one pool work item per request, every request woke a worker and left it spinning for the next one
/// (measured: 2.3 <c>sched_yield</c> per plaintext request on one core, the loop starved of the core it needs).
/// Here the loop queues the continuations of all the connections one <c>epoll_wait</c> made ready and posts a single
/// work item at the end of its turn (<see cref="PostIfQueued"/>); one worker drains them.
/// </para>
/// <para>
/// Draining in one work item means a continuation that blocks its thread would hold up the ones queued behind it,
/// which the thread pool's own queue never does. The loop watches for that (<see cref="RescueIfStalled"/>): when an
/// item has run longer than <see cref="StallTimeout"/> while others wait, another work item is posted to drain them,
/// so a blocking application delays unrelated connections by milliseconds at most.
/// </para>
/// </remarks>
internal sealed class ApplicationWorkQueue : PipeScheduler, IThreadPoolWorkItem
{
    /// <summary>How long one continuation may run while others wait before another work item drains them.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromMilliseconds(2);

    private static readonly long s_stallTicks = (long)(StallTimeout.TotalSeconds * Stopwatch.Frequency);

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly EpollThread _thread;
    private readonly Rescuer _rescuer;

    // 1 while the main work item is posted or running; set by whoever posts it, cleared by it when the queue is empty.
    private int _posted;

    // The loop thread queued work without posting: it posts once, at the end of its turn.
    private bool _queuedByLoop;

    // Continuations running right now, and when the most recent one started (Stopwatch ticks).
    private int _running;
    private long _lastStart;

    public ApplicationWorkQueue(EpollThread thread)
    {
        _thread = thread;
        _rescuer = new Rescuer(this);
    }

    /// <summary>True when continuations are queued and not yet taken by a worker.</summary>
    public bool HasQueuedWork => !_queue.IsEmpty;

    /// <inheritdoc />
    public override void Schedule(Action<object?> action, object? state)
    {
        _queue.Enqueue(new WorkItem(action, state));
        if (_thread.IsCurrentThread)
        {
            // Posted once per loop turn, after every ready socket has been read.
            _queuedByLoop = true;
        }
        else if (!Post())
        {
            // A work item is already posted or running. If it is stuck in a blocking continuation, only the loop
            // can notice, and it may be asleep with no timeout (it saw nothing queued): let it look.
            _thread.WakeIfSleeping();
        }
    }

    /// <summary>Called by the loop at the end of each turn: hands this turn's continuations to the thread pool.</summary>
    public void PostIfQueued()
    {
        if (_queuedByLoop)
        {
            _queuedByLoop = false;
            _ = Post();
        }
    }

    /// <summary>
    /// Called by the loop on each turn while work is queued: if the continuation running now has run for longer
    /// than <see cref="StallTimeout"/> (a blocking application), posts another work item to drain the queue.
    /// </summary>
    public void RescueIfStalled()
    {
        if (_queue.IsEmpty || Volatile.Read(ref _running) == 0)
        {
            return; // Nothing waits, or nothing runs (the pool has not reached the work item yet: more would not help).
        }

        long now = Stopwatch.GetTimestamp();
        long lastStart = Volatile.Read(ref _lastStart);
        if (now - lastStart > s_stallTicks && Interlocked.CompareExchange(ref _lastStart, now, lastStart) == lastStart)
        {
            // Counts as a start, so the next rescue waits for another timeout without progress.
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(_rescuer, preferLocal: false);
        }
    }

    /// <summary>Posts the work item unless it is already posted or running; true when this call posted it.</summary>
    private bool Post()
    {
        // A full fence after the enqueue, paired with the one in Execute: either this sees 0 and posts, or the
        // work item still running sees the new continuation.
        if (Interlocked.CompareExchange(ref _posted, 1, 0) != 0)
        {
            return false;
        }

        System.Threading.ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        return true;
    }

    void IThreadPoolWorkItem.Execute()
    {
        while (true)
        {
            Drain();
            Interlocked.Exchange(ref _posted, 0);
            if (_queue.IsEmpty || Interlocked.CompareExchange(ref _posted, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void Drain()
    {
        while (_queue.TryDequeue(out var item))
        {
            Volatile.Write(ref _lastStart, Stopwatch.GetTimestamp());
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

    /// <summary>An extra work item that drains what a stalled one left waiting, then ends.</summary>
    private sealed class Rescuer(ApplicationWorkQueue queue) : IThreadPoolWorkItem
    {
        public void Execute() => queue.Drain();
    }
}
