using System.Collections.Concurrent;
using EpollTransport.Loop;
using EpollTransport.Metrics;
using EpollTransport.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EpollTransport.Tests;

/// <summary>The thread-pool side of ThreadPool scheduling mode: batching, and no continuation stuck behind a blocked one.</summary>
public sealed class ApplicationWorkQueueTests : IAsyncDisposable
{
    private EpollThread? _thread;

    [Fact]
    public async Task ContinuationsQueuedByTheLoopInOneTurnEachRunOnceOnAtMostOneDrainerPerProcessor()
    {
        const int count = 200;
        var thread = StartThread(new StoppedClock());
        var runs = new int[count];
        var threads = new ConcurrentDictionary<int, bool>();
        int remaining = count;
        int concurrent = 0, maxConcurrent = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // One loop turn queues them all, as the loop does while dispatching a batch of readable sockets.
        await thread.InvokeAsync(() =>
        {
            for (int i = 0; i < count; i++)
            {
                thread.ApplicationQueue.Schedule(state =>
                {
                    int now = Interlocked.Increment(ref concurrent);
                    InterlockedMax(ref maxConcurrent, now);
                    Interlocked.Increment(ref runs[(int)state!]);
                    threads.TryAdd(Environment.CurrentManagedThreadId, true);
                    Thread.SpinWait(1000); // Long enough for other drainers, if any, to overlap.
                    Interlocked.Decrement(ref concurrent);
                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        done.SetResult();
                    }
                }, i);
            }
        });

        await done.Task.WaitAsync(TestTimeouts.Operation);
        Assert.All(runs, runCount => Assert.Equal(1, runCount));
        Assert.InRange(maxConcurrent, 1, Environment.ProcessorCount);
        int loopThread = 0;
        await thread.InvokeAsync(() => loopThread = Environment.CurrentManagedThreadId);
        Assert.False(threads.ContainsKey(loopThread));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [Fact]
    public async Task ContinuationsQueuedTogetherRunSideBySideWhenTheProcessIsAllowedSeveralProcessors()
    {
        // Without the loop's rescue (its clock never moves), only the drainers themselves can bring in a second thread.
        var thread = StartThread(new StoppedClock());
        var firstStarted = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondStarted = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool parallel = Environment.ProcessorCount > 1;

        await thread.InvokeAsync(() =>
        {
            thread.ApplicationQueue.Schedule(_ =>
            {
                firstStarted.SetResult(Environment.CurrentManagedThreadId);
                if (parallel)
                {
                    // Holds this drainer until the second continuation runs, which it can only do on another thread.
                    secondStarted.Task.Wait(TestTimeouts.Long);
                }
            }, null);
            thread.ApplicationQueue.Schedule(_ => secondStarted.SetResult(Environment.CurrentManagedThreadId), null);
        });

        int first = await firstStarted.Task.WaitAsync(TestTimeouts.Operation);
        int second = await secondStarted.Task.WaitAsync(TestTimeouts.Operation);
        if (parallel)
        {
            Assert.NotEqual(first, second);
        }
        else
        {
            // One processor: one drainer runs both, one after the other, as one work item.
            Assert.Equal(first, second);
        }
    }

    [Fact]
    public async Task AContinuationQueuedFromAnotherThreadBehindABlockedOneStillRuns()
    {
        using var blocking = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = StartThread();

        // Neither is queued by the loop, which is idle: without being told, it would sleep with no timeout.
        thread.ApplicationQueue.Schedule(_ =>
        {
            blocking.Set();
            release.Wait(TestTimeouts.Long);
        }, null);
        Assert.True(blocking.Wait(TestTimeouts.Operation));
        thread.ApplicationQueue.Schedule(_ => second.SetResult(), null);

        try
        {
            // The first is released only after this, so the second must get past it.
            await second.Task.WaitAsync(TestTimeouts.Operation);
        }
        finally
        {
            release.Set();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_thread is not null)
        {
            await _thread.StopAsync().WaitAsync(TestTimeouts.Operation);
        }
    }

    private EpollThread StartThread(TimeProvider? clock = null)
    {
        _thread = new EpollThread(0, NullLogger.Instance, clock: clock) { Metrics = new EpollLoopMetrics(0) };
        _thread.Start();
        return _thread;
    }

    /// <summary>A clock that never moves: the loop never sees a stall, so it never posts a drainer of its own.</summary>
    private sealed class StoppedClock : TimeProvider
    {
        public override long GetTimestamp() => 0;
    }
}
