using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.Win32.SafeHandles;

namespace EpollTransport.SendFile;

/// <summary>
/// A region of a file queued into a connection's output, sent with <c>sendfile(2)</c> once every pipe byte before
/// <see cref="Position"/> is on its way.
/// </summary>
internal sealed class FileSegment
{
    private static readonly Action<object?> s_setResult = static state => ((TaskCompletionSource)state!).TrySetResult();

    private readonly SafeFileHandle _file;
    private readonly PipeScheduler? _completionScheduler;
    private readonly Lock _gate = new();
    private long _sent;
    private long _progressTarget = -1;
    private TaskCompletionSource? _progress;

    // Created only when asked for (the public QueueFile's task): a faulted task nobody awaits would surface as an
    // unobserved task exception. The response body path waits through WaitForSentAsync instead.
    private TaskCompletionSource? _completion;
    private bool _released;
    private Exception? _error;

    // completionScheduler: where the sender's continuations run when the region is sent (or progresses, or fails).
    // The connection's loop when the application runs there (ApplicationSchedulingMode Inline), so the request does
    // not move to the thread pool after a file body; the completions are queued to the loop, never run inside the
    // send loop that completed the region, so the application never re-enters it in the middle of its state
    // changes. Null: the thread pool, as for any other application continuation.
    public FileSegment(SafeFileHandle file, long offset, long count, long position, PipeScheduler? completionScheduler)
    {
        _completionScheduler = completionScheduler;
        // Held until the segment ends, so the descriptor stays valid while the loop uses it even if the caller
        // disposes its handle early.
        bool added = false;
        file.DangerousAddRef(ref added);
        _file = file;
        FileDescriptor = (int)file.DangerousGetHandle();
        Offset = offset;
        Count = count;
        Position = position;
    }

    /// <summary>The number of pipe bytes (over the connection's life) that precede the region.</summary>
    public long Position { get; }

    public long Offset { get; }

    public long Count { get; }

    public int FileDescriptor { get; }

    /// <summary>Bytes handed to the socket so far. Written by the loop only.</summary>
    public long Sent => Volatile.Read(ref _sent);

    public long Remaining => Count - Sent;

    /// <summary>Completes when the whole region has been handed to the socket; faults when the region fails.</summary>
    public Task Completion
    {
        get
        {
            lock (_gate)
            {
                return _released ? Ended() : (_completion ??= NewCompletionSource()).Task;
            }
        }
    }

    /// <summary>Called by the loop after each successful <c>sendfile</c>.</summary>
    public void AddSent(long bytes)
    {
        TaskCompletionSource? reached = null;
        lock (_gate)
        {
            _sent += bytes;
            if (_progress is not null && _sent >= _progressTarget)
            {
                (reached, _progress) = (_progress, null);
            }
        }

        if (reached is not null)
        {
            SetResult(reached);
        }
    }

    /// <summary>Completes when at least <paramref name="target"/> bytes have been sent (or the segment ends).</summary>
    public Task WaitForSentAsync(long target)
    {
        lock (_gate)
        {
            if (_sent >= target || _released)
            {
                return _sent >= target ? Task.CompletedTask : Ended();
            }

            // One waiter at a time: the application's writes and flushes for a response run one after another.
            Debug.Assert(_progress is null, "A second waiter would replace the first, which would then never complete.");
            _progressTarget = target;
            _progress = NewCompletionSource();
            return _progress.Task;
        }
    }

    public void Complete() => End(null);

    public void Fail(Exception error) => End(error);

    private void End(Exception? error)
    {
        TaskCompletionSource? progress;
        TaskCompletionSource? completion;
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            _error = error;
            (progress, _progress) = (_progress, null);
            completion = _completion;
        }

        _file.DangerousRelease();
        Finish(completion, error);
        Finish(progress, error);
    }

    private void Finish(TaskCompletionSource? waiter, Exception? error)
    {
        if (waiter is null)
        {
            return;
        }

        if (error is null)
        {
            SetResult(waiter);
        }
        else
        {
            SetException(waiter, error);
        }
    }

    // The outcome of a region that has ended, for a waiter that comes after the end. Under _gate.
    private Task Ended() => _error is null ? Task.CompletedTask : Task.FromException(_error);

    // With a scheduler, continuations run synchronously when the queued completion runs on it; without one they
    // go to the thread pool, never onto the thread that completed the region.
    private TaskCompletionSource NewCompletionSource() =>
        new(_completionScheduler is null ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);

    private void SetResult(TaskCompletionSource completion)
    {
        if (_completionScheduler is null)
        {
            completion.TrySetResult();
        }
        else
        {
            _completionScheduler.Schedule(s_setResult, completion);
        }
    }

    private void SetException(TaskCompletionSource completion, Exception error)
    {
        if (_completionScheduler is null)
        {
            completion.TrySetException(error);
        }
        else
        {
            _completionScheduler.Schedule(static state =>
            {
                var (completion, error) = ((TaskCompletionSource, Exception))state!;
                completion.TrySetException(error);
            }, (completion, error));
        }
    }
}
