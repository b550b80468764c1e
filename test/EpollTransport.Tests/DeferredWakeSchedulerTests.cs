using EpollTransport.Loop;
using EpollTransport.Metrics;
using EpollTransport.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EpollTransport.Tests;

/// <summary>
/// The send loops' scheduler: work queued from other threads runs on the loop, and a burst of it costs one wake-up
/// (posted to the thread pool, as Sockets posts its sends) instead of one per flush.
/// </summary>
public sealed class DeferredWakeSchedulerTests : IAsyncDisposable
{
    private readonly EpollThread _thread = new(0, NullLogger.Instance) { Metrics = new EpollLoopMetrics(0) };

    public DeferredWakeSchedulerTests() => _thread.Start();

    [Fact]
    public async Task ABurstQueuedFromAnotherThreadPostsOneWakeUpAndRunsOnTheLoopOnceItRuns()
    {
        const int count = 100;
        var posted = new List<IThreadPoolWorkItem>();
        var scheduler = new DeferredWakeScheduler(_thread, posted.Add);
        var ranOnLoop = new bool[count];
        int remaining = count;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // From a thread of the test's own, so nothing else posts or runs the wake-up.
        var burst = new Thread(() =>
        {
            for (int i = 0; i < count; i++)
            {
                scheduler.Schedule(state =>
                {
                    ranOnLoop[(int)state!] = _thread.IsCurrentThread;
                    if (--remaining == 0)
                    {
                        done.SetResult();
                    }
                }, i);
            }
        });
        burst.Start();
        burst.Join();

        var wakeUp = Assert.Single(posted);
        wakeUp.Execute();
        await done.Task.WaitAsync(TestTimeouts.Operation);
        Assert.All(ranOnLoop, Assert.True);

        // The wake-up has run: the next flush posts a new one.
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Task.Run(() => scheduler.Schedule(_ => next.SetResult(), null));
        Assert.Equal(2, posted.Count);
        posted[1].Execute();
        await next.Task.WaitAsync(TestTimeouts.Operation);
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
        // The thread pool's own wake-up: the work item that queued the work does not return until the work has run
        // on the loop, so another worker must run the wake-up (as another worker would run Sockets' send).
        using var ran = new ManualResetEventSlim();
        bool sent = await Task.Run(() =>
        {
            _thread.OutputScheduler.Schedule(_ => ran.Set(), null);
            return ran.Wait(TestTimeouts.Operation);
        });

        Assert.True(sent, "the work queued before the work item blocked never ran");
    }

    public async ValueTask DisposeAsync() => await _thread.StopAsync().WaitAsync(TestTimeouts.Operation);
}
