using System.Diagnostics;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace EpollTransport.SendFile;

/// <summary>
/// The file regions of one connection's output, in order, with the count of their bytes not yet sent and one waiter
/// for that count to fall (the application's back-pressure on file bodies, as a full pipe is for copied ones).
/// </summary>
/// <remarks>
/// The application's side queues regions and waits; the loop's side takes the next region, reports what it sent and
/// ends the queue when the output ends. The waiter completes with true when the unsent bytes fall to its target and
/// with false when the output ends first: a connection that went away is no error to the writer.
/// </remarks>
internal sealed class FileRegionQueue : IValueTaskSource<bool>
{
    private static readonly Action<object?> s_completeReached = static state => ((FileRegionQueue)state!)._waiter.SetResult(true);
    private static readonly Action<object?> s_completeEnded = static state => ((FileRegionQueue)state!)._waiter.SetResult(false);

    /// <summary>A queue whose output has ended, shared by every connection that ended before queueing any region.</summary>
    public static readonly FileRegionQueue Ended = CreateEnded();

    private readonly PipeScheduler? _completionScheduler;
    private readonly Lock _gate = new();

    // Under _gate. The queue is created with the first region: most connections never send a file, and an idle one
    // should carry nothing it does not use.
    private Queue<FileRegion>? _queue;
    private int _queuedRegions; // also read without the lock, by the loop's Peek
    private long _queuedBytes;
    private long _sentBytes;
    private bool _ended;
    private bool _waiting;
    private long _waitTarget;

    private ManualResetValueTaskSourceCore<bool> _waiter;

    // The region the loop sends next, taken off the queue. Loop only, except for the exchange in End.
    private FileRegion? _next;

    /// <param name="completionScheduler">
    /// Where the waiter's continuation runs: the connection's loop when the application runs there (Inline mode),
    /// queued rather than run inside the send loop that reported the progress, so the application never re-enters
    /// it in the middle of its work. Null: the thread pool.
    /// </param>
    public FileRegionQueue(PipeScheduler? completionScheduler)
    {
        _completionScheduler = completionScheduler;
        _waiter = new ManualResetValueTaskSourceCore<bool> { RunContinuationsAsynchronously = completionScheduler is null };
    }

    /// <summary>Bytes of queued regions not yet handed to the socket.</summary>
    public long UnsentBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes - _sentBytes;
            }
        }
    }

    /// <summary>Queues <paramref name="region"/>; false (and the region released) once the output has ended.</summary>
    public bool TryEnqueue(FileRegion region)
    {
        lock (_gate)
        {
            if (!_ended)
            {
                _queuedBytes += region.Count;
                (_queue ??= new Queue<FileRegion>(1)).Enqueue(region);
                Volatile.Write(ref _queuedRegions, _queuedRegions + 1);
                return true;
            }
        }

        region.Release();
        return false;
    }

    /// <summary>Completes when at most <paramref name="unsentBytes"/> queued bytes remain unsent (true), or the output ends (false).</summary>
    public ValueTask<bool> WaitForUnsentAsync(long unsentBytes)
    {
        lock (_gate)
        {
            if (_queuedBytes - _sentBytes <= unsentBytes)
            {
                return new ValueTask<bool>(true);
            }

            if (_ended)
            {
                return new ValueTask<bool>(false);
            }

            // One waiter at a time: a connection's output has one writer.
            Debug.Assert(!_waiting, "A second waiter would replace the first, which would then never complete.");
            _waiter.Reset();
            _waiting = true;
            _waitTarget = unsentBytes;
            return new ValueTask<bool>(this, _waiter.Version);
        }
    }

    /// <summary>The region to send next, if any. Loop only.</summary>
    public FileRegion? Peek()
    {
        if (_next is null && Volatile.Read(ref _queuedRegions) > 0)
        {
            lock (_gate)
            {
                if (_queue is { } queue && queue.TryDequeue(out var region))
                {
                    _queuedRegions--;
                    _next = region;
                }
            }
        }

        return _next;
    }

    /// <summary>Records <paramref name="bytes"/> of the region from <see cref="Peek"/> as sent. Loop only.</summary>
    public void AddSent(FileRegion region, long bytes)
    {
        region.Sent += bytes;
        bool reached;
        lock (_gate)
        {
            _sentBytes += bytes;
            reached = _waiting && _queuedBytes - _sentBytes <= _waitTarget;
            _waiting &= !reached;
        }

        if (reached)
        {
            Complete(s_completeReached);
        }
    }

    /// <summary>The region from <see cref="Peek"/> has been sent whole. Loop only.</summary>
    public void TakeSent()
    {
        _next?.Release();
        _next = null;
    }

    /// <summary>The output has ended: drops every queued region and releases a waiter (with false). Idempotent.</summary>
    public void End()
    {
        bool wasWaiting;
        FileRegion[] dropped;
        lock (_gate)
        {
            _ended = true;
            wasWaiting = _waiting;
            _waiting = false;
            dropped = _queue?.ToArray() ?? [];
            _queue?.Clear();
            _queuedRegions = 0;
        }

        Interlocked.Exchange(ref _next, null)?.Release();
        foreach (var region in dropped)
        {
            region.Release();
        }

        if (wasWaiting)
        {
            Complete(s_completeEnded);
        }
    }

    private void Complete(Action<object?> completion)
    {
        if (_completionScheduler is null)
        {
            completion(this); // Continuations go to the thread pool (RunContinuationsAsynchronously).
        }
        else
        {
            _completionScheduler.Schedule(completion, this);
        }
    }

    private static FileRegionQueue CreateEnded()
    {
        var queue = new FileRegionQueue(completionScheduler: null);
        queue.End();
        return queue;
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
