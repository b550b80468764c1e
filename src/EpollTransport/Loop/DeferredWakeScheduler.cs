using System.IO.Pipelines;

namespace EpollTransport.Loop;

/// <summary>
/// Schedules the send loops of one <see cref="EpollThread"/>'s connections (their output pipes' reader side): as loop
/// work, under the loop's turn, but a flush from another thread does not wake the loop by itself.
/// </summary>
/// <remarks>
/// <para>
/// A flush from another thread queues the send loop's continuation and posts one wake-up to the thread pool, which
/// runs once the flushing thread's current work item ends (or sooner, on an idle worker). Every flush until then
/// joins the same wake-up, and all of it is sent in one go. A TLS layer flushes once per record (64 per
/// MiB): woken per flush, the loop took each record as it came, with two context switches per record when it shared
/// a core with the writer. Kestrel's Sockets transport hands its sends to the thread pool the same way, so a flush
/// followed by a long synchronous wait on the same thread is sent when another worker picks the wake-up up, as there.
/// </para>
/// <para>
/// When the wake-up runs while the loop still sleeps, it runs the queued work itself instead of waking the loop
/// (<see cref="EpollThread.TryRunQueuedWorkHere"/>): the send then happens on the thread pool, usually on the very
/// thread that flushed once its work item has ended, with no hand-off to the loop and back. A send that finds the
/// socket's buffer full waits for EPOLLOUT and goes on on the loop. When the loop is awake or mid-turn, the wake-up
/// leaves the work to it, as before.
/// </para>
/// <para>A flush on the loop itself (inline scheduling, or the loop's own work) needs no wake-up: the loop is awake.</para>
/// </remarks>
internal sealed class DeferredWakeScheduler : PipeScheduler, IThreadPoolWorkItem
{
    private static readonly Action<IThreadPoolWorkItem> s_postToThreadPool =
        static item => System.Threading.ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: true);

    private readonly EpollThread _thread;
    private readonly Action<IThreadPoolWorkItem> _postWakeUp;

    // 1 while a wake-up is posted and has not yet run: later flushes join it.
    private int _wakeUpPosted;

    /// <param name="thread">The loop the work runs on.</param>
    /// <param name="postWakeUp">Where the wake-up goes; the thread pool when absent (tests run it themselves).</param>
    public DeferredWakeScheduler(EpollThread thread, Action<IThreadPoolWorkItem>? postWakeUp = null)
    {
        _thread = thread;
        _postWakeUp = postWakeUp ?? s_postToThreadPool;
    }

    public override void Schedule(Action<object?> action, object? state)
    {
        if (_thread.IsRunningLoopWork)
        {
            _thread.Schedule(action, state);
            return;
        }

        if (_thread.Enqueue(action, state) && Volatile.Read(ref _wakeUpPosted) == 0 && Interlocked.Exchange(ref _wakeUpPosted, 1) == 0)
        {
            _postWakeUp(this);
        }
    }

    /// <summary>The posted wake-up: runs everything queued since it was posted, here if the loop sleeps, else on the loop.</summary>
    public void Execute()
    {
        // Cleared first: work queued after this point posts a wake-up of its own, and work queued before it is
        // already in the queue that is run below or by the loop once woken.
        Interlocked.Exchange(ref _wakeUpPosted, 0);
        if (!_thread.TryRunQueuedWorkHere())
        {
            _thread.WakeIfSleeping();
        }
    }
}
