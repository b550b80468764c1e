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
/// MiB): woken per flush, the loop took each record as it came, with two context switches per record when it shares
/// a core with the writer, where Kestrel's Sockets transport hands its sends to the thread pool the same way and
/// sends a burst at once.
/// </para>
/// <para>
/// A flush on the loop itself (inline scheduling, or the loop's own work) needs no wake-up: the loop is awake.
/// </para>
/// </remarks>
internal sealed class DeferredWakeScheduler(EpollThread thread) : PipeScheduler, IThreadPoolWorkItem
{
    // 1 while a wake-up is posted to the thread pool and has not yet run: later flushes join it.
    private int _wakePosted;

    public override void Schedule(Action<object?> action, object? state)
    {
        if (thread.IsCurrentThread)
        {
            thread.Schedule(action, state);
            return;
        }

        if (thread.Enqueue(action, state) && Volatile.Read(ref _wakePosted) == 0 && Interlocked.Exchange(ref _wakePosted, 1) == 0)
        {
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        // Cleared before waking: work queued after this point posts a wake-up of its own, and work queued before it
        // is already in the queue the loop will run once woken.
        Interlocked.Exchange(ref _wakePosted, 0);
        thread.WakeIfSleeping();
    }
}
