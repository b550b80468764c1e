using Microsoft.Win32.SafeHandles;

namespace EpollTransport.SendFile;

/// <summary>
/// A region of a file queued into a connection's output, sent with <c>sendfile(2)</c> once every pipe byte before
/// <see cref="Position"/> is on its way.
/// </summary>
internal sealed class FileSegment
{
    private readonly SafeFileHandle _file;
    private readonly TaskCompletionSource _completion;
    private readonly Lock _gate = new();
    private long _sent;
    private long _progressTarget = -1;
    private TaskCompletionSource? _progress;
    private bool _released;

    // completeInline: run the sender's continuation on the loop when the region is sent (ApplicationSchedulingMode
    // Inline, where the application already runs there) instead of hopping to the thread pool.
    public FileSegment(SafeFileHandle file, long offset, long count, long position, bool completeInline)
    {
        _completion = new TaskCompletionSource(completeInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
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

    public long Remaining => Count - _sent;

    public Task Completion => _completion.Task;

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

        reached?.TrySetResult();
    }

    /// <summary>Completes when at least <paramref name="target"/> bytes have been sent (or the segment ends).</summary>
    public Task WaitForSentAsync(long target)
    {
        lock (_gate)
        {
            if (_sent >= target || _released)
            {
                return _released ? _completion.Task : Task.CompletedTask;
            }

            _progressTarget = target;
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _progress.Task;
        }
    }

    public void Complete() => End(null);

    public void Fail(Exception error) => End(error);

    private void End(Exception? error)
    {
        TaskCompletionSource? progress;
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            (progress, _progress) = (_progress, null);
        }

        _file.DangerousRelease();
        if (error is null)
        {
            _completion.TrySetResult();
            progress?.TrySetResult();
        }
        else
        {
            _completion.TrySetException(error);
            progress?.TrySetException(error);
        }
    }
}
