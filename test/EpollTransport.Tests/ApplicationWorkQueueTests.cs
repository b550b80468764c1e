using EpollTransport.Internal;
using EpollTransport.Metrics;
using EpollTransport.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EpollTransport.Tests;

/// <summary>The thread-pool side of ThreadPool scheduling mode: batching, and no continuation stuck behind a blocked one.</summary>
public sealed class ApplicationWorkQueueTests : IAsyncDisposable
{
    private readonly EpollThread _thread = new(0, NullLogger.Instance) { Metrics = new EpollLoopMetrics(0) };

    public ApplicationWorkQueueTests() => _thread.Start();

    [Fact]
    public async Task ContinuationsQueuedByTheLoopInOneTurnRunInOneWorkItemInOrder()
    {
        const int count = 50;
        var ran = new List<int>();
        var threads = new HashSet<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // One loop turn queues them all, as the loop does while dispatching a batch of readable sockets.
        await _thread.InvokeAsync(() =>
        {
            for (int i = 0; i < count; i++)
            {
                _thread.ApplicationQueue.Schedule(state =>
                {
                    // Only one work item runs them, so no lock is needed here; the assertions below would catch two.
                    ran.Add((int)state!);
                    threads.Add(Environment.CurrentManagedThreadId);
                    if (ran.Count == count)
                    {
                        done.SetResult();
                    }
                }, i);
            }
        });

        await done.Task.WaitAsync(TestTimeouts.Operation);
        Assert.Equal(Enumerable.Range(0, count), ran);
        Assert.Single(threads);
        int loopThread = 0;
        await _thread.InvokeAsync(() => loopThread = Environment.CurrentManagedThreadId);
        Assert.DoesNotContain(loopThread, threads);
    }

    [Fact]
    public async Task AContinuationQueuedFromAnotherThreadBehindABlockedOneStillRuns()
    {
        using var blocking = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Neither is queued by the loop, which is idle: without being told, it would sleep with no timeout.
        _thread.ApplicationQueue.Schedule(_ =>
        {
            blocking.Set();
            release.Wait(TestTimeouts.Long);
        }, null);
        Assert.True(blocking.Wait(TestTimeouts.Operation));
        _thread.ApplicationQueue.Schedule(_ => second.SetResult(), null);

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

    public async ValueTask DisposeAsync() => await _thread.StopAsync().WaitAsync(TestTimeouts.Operation);
}
