using EpollTransport.Loop;
using EpollTransport.Metrics;
using EpollTransport.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EpollTransport.Tests;

/// <summary>
/// The send loops' scheduler: work queued from other threads runs as loop work, and a burst of it costs one wake-up
/// (posted to the thread pool, as Sockets posts its sends) instead of one per flush. When that wake-up finds the loop
/// asleep, it runs the work itself under the loop's turn and the loop sleeps on.
/// </summary>
public sealed class DeferredWakeSchedulerTests : IAsyncDisposable
{
    private readonly ScriptedEpoll _epoll = new();
    private readonly EpollThread _thread;

    public DeferredWakeSchedulerTests()
    {
        _thread = new EpollThread(0, NullLogger.Instance, _epoll) { Metrics = new EpollLoopMetrics(0) };
        _thread.Start();
    }

    [Fact]
    public void ABurstQueuedWhileTheLoopSleepsPostsOneWakeUpThatRunsItWithoutWakingTheLoop()
    {
        const int count = 100;
        var posted = new List<IThreadPoolWorkItem>();
        var scheduler = new DeferredWakeScheduler(_thread, posted.Add);
        var ranAsLoopWork = new bool[count];
        var ranOn = new Thread?[count];
        int remaining = count;
        Assert.True(_epoll.WaitUntilAsleep(TestTimeouts.Operation), "the idle loop never went to sleep");
        long turnsAsleep = _thread.Metrics.Turns;

        // From a thread of the test's own, so nothing else posts or runs the wake-up.
        RunOnOwnThread(() =>
        {
            for (int i = 0; i < count; i++)
            {
                scheduler.Schedule(state =>
                {
                    ranAsLoopWork[(int)state!] = _thread.IsRunningLoopWork;
                    ranOn[(int)state!] = Thread.CurrentThread;
                    remaining--;
                }, i);
            }
        });

        Assert.Equal(count, remaining);
        var wakeUp = Assert.Single(posted);
        wakeUp.Execute();

        // All of it ran inside Execute, on this thread, as loop work; the loop never returned from epoll_wait.
        Assert.Equal(0, remaining);
        Assert.All(ranAsLoopWork, Assert.True);
        Assert.All(ranOn, thread => Assert.Same(Thread.CurrentThread, thread));
        Assert.Equal(turnsAsleep, _thread.Metrics.Turns);
        Assert.Equal(0, _thread.Metrics.WakeUps);
        Assert.False(_thread.IsRunningLoopWork, "the turn was not handed back");

        // The wake-up has run: the next flush posts a new one.
        RunOnOwnThread(() => scheduler.Schedule(_ => remaining--, null));
        Assert.Equal(2, posted.Count);
        posted[1].Execute();
        Assert.Equal(-1, remaining);
    }

    [Fact]
    public async Task WorkScheduledOnTheLoopFromAnotherThreadWakesItThroughTheEventfd()
    {
        // The contrast: the loop's own scheduler, which other threads use for aborts and new connections, wakes it.
        var ranOnLoopThread = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(_epoll.WaitUntilAsleep(TestTimeouts.Operation), "the idle loop never went to sleep");

        RunOnOwnThread(() => _thread.Schedule(_ => ranOnLoopThread.SetResult(_thread.IsLoopThread), null));

        Assert.True(await ranOnLoopThread.Task.WaitAsync(TestTimeouts.Operation));
        Assert.Equal(1, _thread.Metrics.WakeUps);
    }

    [Fact]
    public async Task AWakeUpThatFindsTheLoopInItsTurnLeavesTheWorkToTheLoop()
    {
        var posted = new List<IThreadPoolWorkItem>();
        var scheduler = new DeferredWakeScheduler(_thread, posted.Add);
        using var loopBusy = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var ranOnLoopThread = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        var busy = _thread.InvokeAsync(() =>
        {
            loopBusy.Set();
            release.Wait(TestTimeouts.Operation);
        });
        Assert.True(loopBusy.Wait(TestTimeouts.Operation));

        RunOnOwnThread(() => scheduler.Schedule(_ => ranOnLoopThread.SetResult(_thread.IsLoopThread), null));
        Assert.Single(posted).Execute();
        Assert.False(ranOnLoopThread.Task.IsCompleted, "the work ran while the loop held its turn");

        release.Set();
        await busy.WaitAsync(TestTimeouts.Operation);
        Assert.True(await ranOnLoopThread.Task.WaitAsync(TestTimeouts.Operation));
    }

    [Fact]
    public void WorkThatLoopWorkQueuesWhileTheLoopSleepsRunsBeforeTheTurnIsHandedBack()
    {
        var posted = new List<IThreadPoolWorkItem>();
        var scheduler = new DeferredWakeScheduler(_thread, posted.Add);
        bool followUpRan = false;
        Assert.True(_epoll.WaitUntilAsleep(TestTimeouts.Operation), "the idle loop never went to sleep");

        RunOnOwnThread(() => scheduler.Schedule(_ => _thread.Schedule(_ => followUpRan = true, null), null));
        Assert.Single(posted).Execute();

        Assert.True(followUpRan);
        Assert.Equal(0, _thread.Metrics.WakeUps);
    }

    [Fact]
    public async Task ATimerAddedWhileTheLoopSleepsWakesTheLoopToTimeIt()
    {
        // The loop sleeps with no timeout; the timer added in its place must still fire, so it is woken to see it.
        var posted = new List<IThreadPoolWorkItem>();
        var scheduler = new DeferredWakeScheduler(_thread, posted.Add);
        var fired = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(_epoll.WaitUntilAsleep(TestTimeouts.Operation), "the idle loop never went to sleep");

        RunOnOwnThread(() => scheduler.Schedule(_ => _thread.AddTimer(1, _ => fired.SetResult(_thread.IsLoopThread), null), null));
        Assert.Single(posted).Execute();

        Assert.True(await fired.Task.WaitAsync(TestTimeouts.Operation));
    }

    [Fact]
    public async Task WorkQueuedOnTheLoopItselfPostsNoWakeUp()
    {
        var posted = new List<IThreadPoolWorkItem>();
        var scheduler = new DeferredWakeScheduler(_thread, posted.Add);
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await _thread.InvokeAsync(() => scheduler.Schedule(_ => ran.SetResult(), null));

        await ran.Task.WaitAsync(TestTimeouts.Operation);
        Assert.Empty(posted);
    }

    [Fact]
    public async Task AFlushFromAWorkItemThatThenBlocksIsStillSent()
    {
        // The thread pool's own wake-up: the work item that queued the work does not return until the work has run,
        // so another worker must run the wake-up (as another worker would run Sockets' send).
        using var ran = new ManualResetEventSlim();
        bool sent = await Task.Run(() =>
        {
            _thread.OutputScheduler.Schedule(_ => ran.Set(), null);
            return ran.Wait(TestTimeouts.Operation);
        });

        Assert.True(sent, "the work queued before the work item blocked never ran");
    }

    [Fact]
    public async Task AStoppingLoopRunsWhatIsQueuedItselfAndAWakeUpThenRunsNothing()
    {
        var posted = new List<IThreadPoolWorkItem>();
        var scheduler = new DeferredWakeScheduler(_thread, posted.Add);
        var ranOnLoopThread = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(_epoll.WaitUntilAsleep(TestTimeouts.Operation), "the idle loop never went to sleep");

        RunOnOwnThread(() => scheduler.Schedule(_ => ranOnLoopThread.SetResult(_thread.IsLoopThread), null));
        var stopped = _thread.StopAsync();
        Assert.Single(posted).Execute();

        await stopped.WaitAsync(TestTimeouts.Operation);
        Assert.True(await ranOnLoopThread.Task.WaitAsync(TestTimeouts.Operation));
    }

    public async ValueTask DisposeAsync() => await _thread.StopAsync().WaitAsync(TestTimeouts.Operation);

    private static void RunOnOwnThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        thread.Join();
    }
}
