using System.IO.Pipelines;

namespace EpollTransport.Loop;

/// <summary>
/// Schedules the send loops of one <see cref="EpollThread"/>'s connections (their output pipes' reader side): on the
/// loop, like any loop work, but a flush from another thread does not wake the loop by itself.
/// </summary>
/// <remarks>
/// <para>
/// A flush from another thread queues the send loop's continuation and posts one wake-up to the thread pool, which
/// runs once the flushing thread's current work item ends (or sooner, on an idle worker). Every flush until then
/// joins the same wake-up, and the loop sends all of it in one turn. A TLS layer flushes once per record (64 per
/// MiB): woken per flush, the loop took each record as it came, with two context switches per record when it shared
/// a core with the writer. Kestrel's Sockets transport hands its sends to the thread pool the same way, so a flush
/// followed by a long synchronous wait on the same thread is sent when another worker picks the wake-up up, as there.
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
        if (_thread.IsCurrentThread)
        {
            _thread.Schedule(action, state);
            return;
        }

        if (_thread.Enqueue(action, state) && Volatile.Read(ref _wakeUpPosted) == 0 && Interlocked.Exchange(ref _wakeUpPosted, 1) == 0)
        {
            _postWakeUp(this);
        }
    }

    /// <summary>The posted wake-up: wakes the loop for everything queued since it was posted.</summary>
    public void Execute()
    {
        // Cleared before waking: work queued after this point posts a wake-up of its own, and work queued before it
        // is already in the queue the loop runs once woken.
        Interlocked.Exchange(ref _wakeUpPosted, 0);
        _thread.WakeIfSleeping();
    }
}
