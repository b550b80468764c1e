using System.Collections.Concurrent;

namespace StaticHostApp.Logging;

/// <summary>
/// The bounded hand-over between requests and the access log's single writer. Enqueuing never waits and takes no
/// lock: when the writer falls behind (a stalled disk) and the queue is full, the line is dropped and counted, so a
/// slow log can never slow down or block requests. The writer reports the count.
/// </summary>
/// <remarks>
/// A <c>Channel</c> would do the same job, but its writers take the channel's lock on every write, which the single
/// reader also takes while draining; measured, that made an enqueue cost about 2 µs under load. Here requests only
/// touch a <see cref="ConcurrentQueue{T}"/> and a counter, and wake the writer only when it said it may sleep:
/// the writer sets <c>_writerMaySleep</c> (a full fence) and then looks at the queue once more, while a request
/// enqueues (a full fence) and then looks at the flag, so at least one of them sees the other's write and a line is
/// never left waiting for a writer that sleeps.
/// </remarks>
internal sealed class RequestLogQueue
{
    private readonly ConcurrentQueue<RequestLogEntry> _entries = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly int _capacity;
    private int _count;
    private int _writerMaySleep;
    private long _dropped;
    private volatile bool _completed;

    /// <summary>Creates a queue holding at most <paramref name="capacity"/> lines.</summary>
    public RequestLogQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Lines dropped so far because the queue was full or already closed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Whether <see cref="Complete"/> was called.</summary>
    public bool IsCompleted => _completed;

    /// <summary>Queues a line without waiting; counts it as dropped when there is no room or the log is closed.</summary>
    public bool TryEnqueue(in RequestLogEntry entry)
    {
        if (_completed || Interlocked.Increment(ref _count) > _capacity)
        {
            if (!_completed)
            {
                Interlocked.Decrement(ref _count);
            }

            Interlocked.Increment(ref _dropped);
            return false;
        }

        _entries.Enqueue(entry);
        if (Volatile.Read(ref _writerMaySleep) == 1 && Interlocked.Exchange(ref _writerMaySleep, 0) == 1)
        {
            _wake.Release();
        }

        return true;
    }

    /// <summary>Takes the oldest line (the writer's end).</summary>
    public bool TryDequeue(out RequestLogEntry entry)
    {
        if (_entries.TryDequeue(out entry))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Waits (the writer) until a line may be queued, the queue is completed, or <paramref name="timeout"/> passed.
    /// May return early; the caller looks again.
    /// </summary>
    public Task WaitAsync(TimeSpan timeout)
    {
        Interlocked.Exchange(ref _writerMaySleep, 1);
        if (!_entries.IsEmpty || _completed)
        {
            // Whoever cleared the flag first wakes nobody or leaves one spare wake-up, which only costs a loop.
            Interlocked.Exchange(ref _writerMaySleep, 0);
            return Task.CompletedTask;
        }

        return _wake.WaitAsync(timeout);
    }

    /// <summary>Accepts no more lines; the writer drains what is queued and stops.</summary>
    public void Complete()
    {
        _completed = true;
        _wake.Release();
    }

    /// <summary>Wakes a waiting writer without a line, to act on a request such as reopening its files.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _writerMaySleep, 0) == 1)
        {
            _wake.Release();
        }
    }
}
