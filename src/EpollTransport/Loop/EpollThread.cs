using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EpollTransport.Interop;
using EpollTransport.Metrics;
using Microsoft.Extensions.Logging;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Loop;

/// <summary>
/// One dedicated thread that owns an epoll instance and every socket registered in it.
/// </summary>
/// <remarks>
/// <para>
/// Each turn of the loop runs the work other threads queued (flushes, aborts, new connections), fires due timers,
/// then blocks in <c>epoll_wait</c> and dispatches the readiness it reports. All of it runs under the loop's turn (a
/// lock the loop thread holds except while it blocks in <c>epoll_wait</c>): every system call on a registered socket,
/// including the final <c>close</c>, is made by whoever holds the turn, so no descriptor number is ever used by one
/// thread while another closes (and the kernel reuses) it.
/// </para>
/// <para>
/// While the loop sleeps, a thread-pool thread that would otherwise wake it may take the turn and run the queued work
/// itself (<see cref="TryRunQueuedWorkHere"/>). A flush from the application's thread is then sent by that thread, as
/// the Sockets transport sends from the thread pool, and the loop wakes only for readiness: on a core shared by the
/// loop and the application, every wake-up of the loop is a context switch and a hand-off in each direction.
/// </para>
/// <para>
/// The thread is also a <see cref="PipeScheduler"/>: the transport side of every connection's pipes is scheduled
/// here, so an application flush from any thread only queues a continuation, and all flushes that arrive while
/// the loop is busy are written in the next turn, before it sleeps again. Flushes from other threads wake a sleeping
/// loop once per burst, through <see cref="OutputScheduler"/>.
/// </para>
/// <para>
/// Other threads wake the loop by writing an <c>eventfd</c> registered in the same epoll set (the self-pipe trick).
/// They write it only when the loop has announced it may be about to sleep, so a busy loop costs producers nothing.
/// </para>
/// </remarks>
internal sealed unsafe partial class EpollThread : PipeScheduler, IEpollHandler
{
    private const int MaxEventsPerWait = 256;

    // How often a pool thread holding the turn runs the queue again for work queued meanwhile before waking the loop.
    private const int MaxPassesWhileLoopSleeps = 4;

    private readonly ILogger _logger;
    private readonly IEpollCalls _epollCalls;
    private readonly FileDescriptorHandle _epoll;
    private readonly FileDescriptorHandle _wakeEvent;
    private readonly EpollRegistration _wakeRegistration;
    private readonly EpollEventBuffer _events = new(MaxEventsPerWait);
    private readonly HandlerTable _handlers = new();
    private readonly ConcurrentQueue<WorkItem> _workQueue = new();
    private List<EpollRegistration> _interestChanges = [];
    private List<EpollRegistration> _applyingInterestChanges = [];
    private readonly Thread _thread;

    // The loop's turn: held by the loop thread except while it blocks in epoll_wait, and by a thread-pool thread
    // while that runs queued work in its place. _turnHolder is the thread holding it (only that thread reads itself there).
    private readonly Lock _turn = new();
    private Thread? _turnHolder;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // 1 while the loop may be blocked in epoll_wait; producers that see it reset it and write the eventfd.
    private int _mayBeSleeping;
    private volatile bool _stopRequested;

    // Set once the loop has stopped running work (Interlocked, so it is ordered against the queue operations).
    private int _exited;
    private bool _stopping;
    private bool _released;
    private bool _faulted;

    /// <summary>Creates the loop (not yet started).</summary>
    /// <param name="index">The thread's number, in its name, logs and metrics.</param>
    /// <param name="logger">The transport's logger.</param>
    /// <param name="epollCalls">The epoll system calls; <see cref="EpollCalls.Instance"/> when absent.</param>
    /// <param name="clock">The clock of the application queue's stall watch; <see cref="TimeProvider.System"/> when absent.</param>
    public EpollThread(int index, ILogger logger, IEpollCalls? epollCalls = null, TimeProvider? clock = null)
    {
        Index = index;
        _logger = logger;
        _epollCalls = epollCalls ?? EpollCalls.Instance;

        int epollFd = Libc.EpollCreate1(EPOLL_CLOEXEC);
        if (epollFd < 0)
        {
            NativeErrors.ThrowLast("epoll_create1");
        }

        _epoll = new FileDescriptorHandle(epollFd);

        int eventFd = Libc.EventFd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (eventFd < 0)
        {
            int errno = NativeErrors.LastErrno;
            _epoll.Dispose();
            throw NativeErrors.ToSocketException(errno, "eventfd");
        }

        _wakeEvent = new FileDescriptorHandle(eventFd);
        try
        {
            _wakeRegistration = EpollRegistration.Add(this, this, _wakeEvent, EPOLLIN);
        }
        catch
        {
            _wakeEvent.Dispose();
            _epoll.Dispose();
            _events.Dispose();
            throw;
        }

        IoVectors = (Libc.IoVector*)NativeMemory.Alloc(IOV_MAX, (nuint)sizeof(Libc.IoVector));
        _thread = new Thread(Run) { Name = $"epoll-{index}", IsBackground = true };
        ApplicationQueue = new ApplicationWorkQueue(this, clock ?? TimeProvider.System);
        OutputScheduler = new DeferredWakeScheduler(this);
    }

    public int Index { get; }

    /// <summary>Where the application side of this thread's connections runs in thread-pool scheduling mode.</summary>
    public ApplicationWorkQueue ApplicationQueue { get; }

    /// <summary>Where the send loops of this thread's connections are scheduled: on this loop, woken once per burst.</summary>
    public DeferredWakeScheduler OutputScheduler { get; }

    public required EpollLoopMetrics Metrics { get; init; }

    /// <summary>Scratch iovec array for gather writes; only the turn's holder uses it, one send at a time.</summary>
    public Libc.IoVector* IoVectors { get; }

    /// <summary>Scratch pin handles matching <see cref="IoVectors"/>.</summary>
    public MemoryHandle[] PinHandles { get; } = new MemoryHandle[IOV_MAX];

    /// <summary>
    /// True when the calling thread holds the loop's turn: the loop thread in its turn, or a thread-pool thread running
    /// queued work while the loop sleeps. Loop work (socket calls, registrations, the send loops) needs it.
    /// </summary>
    // By reference: a managed thread id can be given to a new thread once this one has exited.
    public bool IsRunningLoopWork => ReferenceEquals(_turnHolder, Thread.CurrentThread);

    /// <summary>True on the loop's own thread, whether or not it holds the turn (it does not inside epoll_wait).</summary>
    internal bool IsLoopThread => ReferenceEquals(Thread.CurrentThread, _thread);

    /// <summary>True once the loop has stopped running work; what is scheduled after that goes to the thread pool.</summary>
    public bool HasExited => Volatile.Read(ref _exited) == 1;

    /// <summary>True while the loop thread runs its loop (started and not yet exited).</summary>
    public bool IsRunning => !_thread.ThreadState.HasFlag(ThreadState.Unstarted) && Volatile.Read(ref _exited) == 0;

    /// <summary>True once the loop has begun closing its handlers: nothing new may register.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping);

    public void Start() => _thread.Start();

    /// <inheritdoc />
    public override void Schedule(Action<object?> action, object? state)
    {
        // The turn's holder runs what it queues before it lets go (the loop before it sleeps, a pool thread before it
        // hands the turn back), so only other threads need to wake the loop.
        if (Enqueue(action, state) && !IsRunningLoopWork)
        {
            WakeIfSleeping();
        }
    }

    /// <summary>
    /// Queues work for the loop without waking it; the caller sees to the wake-up (<see cref="DeferredWakeScheduler"/>).
    /// False when the loop has exited and the work went to the thread pool instead.
    /// </summary>
    internal bool Enqueue(Action<object?> action, object? state)
    {
        _workQueue.Enqueue(new WorkItem(action, state));
        if (Volatile.Read(ref _exited) == 1)
        {
            // The loop is gone; run the work elsewhere so nothing waits forever. Whatever it touches has
            // already been closed by OnThreadStopping.
            DrainToThreadPool();
            return false;
        }

        return true;
    }

    /// <summary>Runs <paramref name="action"/> on the loop and completes when it has run (or failed).</summary>
    public Task InvokeAsync(Action action)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Schedule(static state =>
        {
            var (action, completion) = ((Action, TaskCompletionSource))state!;
            try
            {
                action();
                completion.TrySetResult();
            }
            catch (Exception ex)
            {
                completion.TrySetException(ex);
            }
        }, (action, completion));
        return completion.Task;
    }

    /// <summary>The handlers of the descriptors in this loop's set, by token. Used by <see cref="EpollRegistration"/> only.</summary>
    internal HandlerTable Handlers => _handlers;

    /// <summary>Stops the loop, closes every handler still registered and releases the epoll resources.</summary>
    public Task StopAsync()
    {
        _stopRequested = true;
        if (_thread.ThreadState.HasFlag(ThreadState.Unstarted))
        {
            Interlocked.Exchange(ref _exited, 1);
            ReleaseResources();
            DrainToThreadPool();
            _stopped.TrySetResult();
        }
        else
        {
            Interlocked.Exchange(ref _mayBeSleeping, 1);
            WakeIfSleeping();
        }

        return _stopped.Task;
    }

    /// <summary>True once the loop has stopped because epoll_wait failed; such a thread is given no new connections.</summary>
    public bool IsFaulted => Volatile.Read(ref _faulted);

    /// <summary>epoll_ctl on this loop's set; false (errno set) on failure. Used by <see cref="EpollRegistration"/> only.</summary>
    internal bool Control(int operation, int fd, uint events, ulong token)
    {
        ObjectDisposedException.ThrowIf(_released, this);
        byte* epollEvent = stackalloc byte[16];
        EpollEventBuffer.Encode(epollEvent, events, token);
        return _epollCalls.Control(_epoll.Fd, operation, fd, epollEvent) == 0;
    }

    /// <summary>As <see cref="Control"/>, but false instead of an exception once the epoll instance is released.</summary>
    internal bool TryControl(int operation, int fd, uint events, ulong token) => !_released && Control(operation, fd, events, token);

    /// <summary>Wakes the loop if it may be blocked in <c>epoll_wait</c>; costs nothing while it is busy.</summary>
    internal void WakeIfSleeping()
    {
        if (Volatile.Read(ref _mayBeSleeping) == 1 && Interlocked.Exchange(ref _mayBeSleeping, 0) == 1)
        {
            // The reference keeps the number from being closed (and reused) while this write uses it.
            bool added = false;
            try
            {
                _wakeEvent.DangerousAddRef(ref added);
                ulong one = 1;
                // EAGAIN means the counter is already non-zero: the loop will wake anyway.
                _ = Libc.Write(_wakeEvent.Fd, &one, sizeof(ulong));
            }
            catch (ObjectDisposedException)
            {
                // The loop has stopped; Schedule hands the work to the thread pool instead.
            }
            finally
            {
                if (added)
                {
                    _wakeEvent.DangerousRelease();
                }
            }
        }
    }

    /// <summary>
    /// Runs the queued work on the calling thread while the loop sleeps in <c>epoll_wait</c>, instead of waking it.
    /// False, with nothing run, when the loop is awake (it runs the queue itself before sleeping), mid-turn or stopping:
    /// the caller then wakes it as before.
    /// </summary>
    internal bool TryRunQueuedWorkHere()
    {
        if (Volatile.Read(ref _mayBeSleeping) == 0 || !_turn.TryEnter())
        {
            return false;
        }

        bool ran = false;
        bool wakeLoop = false;
        _turnHolder = Thread.CurrentThread;
        try
        {
            // Once stopping, the loop thread finishes the work itself: it closes the handlers in order.
            if (!_stopRequested && Volatile.Read(ref _exited) == 0)
            {
                ran = true;
                int timers = _timers.Count;
                for (int pass = 0; pass < MaxPassesWhileLoopSleeps && !_workQueue.IsEmpty; pass++)
                {
                    RunQueuedWork();
                }

                ApplyInterestChanges();
                ApplicationQueue.PostIfQueued();

                // Work the loop must see itself: what kept re-queuing, and a timer its sleep was not timed for.
                wakeLoop = !_workQueue.IsEmpty || _timers.Count != timers;
            }
        }
        finally
        {
            _turnHolder = null;
            _turn.Exit();
        }

        if (wakeLoop)
        {
            WakeIfSleeping();
        }

        return ran;
    }

    private void Run()
    {
        EnterTurn();
        try
        {
            while (!_stopRequested)
            {
                RunQueuedWork();
                int timeout = RunDueTimers();
                ApplyInterestChanges();
                ApplicationQueue.PostIfQueued();

                // Announce a possible sleep, then look at the queue once more: a producer that enqueued before
                // seeing the flag is caught by this check, one that enqueued after it will write the eventfd.
                Interlocked.Exchange(ref _mayBeSleeping, 1);
                if (!_workQueue.IsEmpty || _stopRequested)
                {
                    timeout = 0;
                }
                else if (ApplicationQueue.HasQueuedWork)
                {
                    // Wake up in time to notice an application continuation that blocks the ones behind it.
                    timeout = StallCheckTimeout(timeout);
                }

                // The turn is free while the loop blocks, for a pool thread to run queued work in its place. The
                // loop takes it back after announcing it is awake, so such a thread that comes later leaves the
                // queue to the loop rather than wait for it.
                int count;
                ExitTurn();
                try
                {
                    count = _epollCalls.Wait(_epoll.Fd, _events.Pointer, _events.Capacity, timeout);
                }
                finally
                {
                    Volatile.Write(ref _mayBeSleeping, 0);
                    EnterTurn();
                }

                Metrics.Turned();

                if (count < 0)
                {
                    int errno = NativeErrors.LastErrno;
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw NativeErrors.ToSocketException(errno, "epoll_wait");
                }

                ApplicationQueue.RescueIfStalled();
                for (int i = 0; i < count; i++)
                {
                    Dispatch(_handlers.Get(_events.GetData(i)), _events.GetEvents(i));
                }

                // One thread-pool work item for all the requests this turn received.
                ApplicationQueue.PostIfQueued();
            }
        }
        catch (Exception ex)
        {
            // Only epoll_wait itself failing lands here; handler errors are contained in Dispatch. The loop cannot
            // go on: its connections are closed below, and new ones go to the other threads.
            Volatile.Write(ref _faulted, true);
            TransportLog.LoopFailed(_logger, Index, ex);
        }
        finally
        {
            // Close every handler while this thread still runs all loop work, then run what that closing queued
            // (send loops finishing, new connections, which see IsStopping and close), and only then let
            // Schedule hand work to the thread pool: nothing that touches a socket may run there.
            RunQueuedWork();
            Volatile.Write(ref _stopping, true);
            foreach (var handler in _handlers.Snapshot())
            {
                if (!ReferenceEquals(handler, this))
                {
                    handler.OnThreadStopping();
                }
            }

            for (int pass = 0; pass < 64 && !_workQueue.IsEmpty; pass++)
            {
                RunQueuedWork();
            }

            Interlocked.Exchange(ref _exited, 1);
            RunQueuedWork();

            // What the closing handed to the application (failed reads and writes) must still reach it.
            ApplicationQueue.PostIfQueued();
            ReleaseResources();
            DrainToThreadPool();
            ExitTurn();
            _stopped.TrySetResult();
        }
    }

    private void EnterTurn()
    {
        _turn.Enter();
        _turnHolder = _thread;
    }

    private void ExitTurn()
    {
        _turnHolder = null;
        _turn.Exit();
    }

    private static int StallCheckTimeout(int timeout)
    {
        int stallCheck = (int)Math.Ceiling(ApplicationWorkQueue.StallTimeout.TotalMilliseconds);
        return timeout < 0 ? stallCheck : Math.Min(timeout, stallCheck);
    }

    /// <summary>Queues <paramref name="registration"/> to have its interest applied before the loop next waits.</summary>
    internal void QueueInterestChange(EpollRegistration registration) => _interestChanges.Add(registration);

    /// <summary>Applies this turn's interest changes, each once, whatever happened to it in between.</summary>
    private void ApplyInterestChanges()
    {
        // A handler faulted here may queue changes of its own while closing: they are applied in the next pass.
        while (_interestChanges.Count > 0)
        {
            (_interestChanges, _applyingInterestChanges) = (_applyingInterestChanges, _interestChanges);
            foreach (var registration in _applyingInterestChanges)
            {
                try
                {
                    registration.ApplyInterest();
                }
                catch (Exception ex)
                {
                    Fault(registration.Handler, ex);
                }
            }

            _applyingInterestChanges.Clear();
        }
    }

    private void Dispatch(IEpollHandler? handler, uint events)
    {
        if (handler is null)
        {
            return; // Stale event for a handler removed earlier in this batch.
        }

        try
        {
            handler.OnEvents(events);
        }
        catch (Exception ex)
        {
            Fault(handler, ex);
        }
    }

    private void Fault(IEpollHandler handler, Exception exception)
    {
        TransportLog.LoopError(_logger, Index, exception);
        try
        {
            handler.OnLoopFault(exception);
        }
        catch (Exception inner)
        {
            TransportLog.LoopError(_logger, Index, inner);
        }
    }

    private void RunQueuedWork()
    {
        // Bounded to what is queued now, so work that keeps re-queuing itself cannot starve the sockets.
        int pending = _workQueue.Count;
        while (pending-- > 0 && _workQueue.TryDequeue(out var item))
        {
            try
            {
                item.Action(item.State);
            }
            catch (Exception ex)
            {
                if (item.State is IEpollHandler handler)
                {
                    Fault(handler, ex);
                }
                else
                {
                    TransportLog.LoopError(_logger, Index, ex);
                }
            }
        }
    }

    private void DrainToThreadPool()
    {
        while (_workQueue.TryDequeue(out var item))
        {
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(item.Action, item.State, preferLocal: false);
        }
    }

    private void ReleaseResources()
    {
        _wakeRegistration.Close();
        _released = true;
        _events.Dispose();
        NativeMemory.Free(IoVectors);
        _epoll.Dispose();
    }

    void IEpollHandler.OnEvents(uint events)
    {
        // The eventfd only wakes the loop; reset its counter so level-triggered epoll stops reporting it.
        ulong value;
        _ = Libc.Read(_wakeEvent.Fd, &value, sizeof(ulong));
        Metrics.WokeUp();
    }

    void IEpollHandler.OnLoopFault(Exception exception)
    {
    }

    void IEpollHandler.OnThreadStopping()
    {
    }

    private readonly record struct WorkItem(Action<object?> Action, object? State);

}
