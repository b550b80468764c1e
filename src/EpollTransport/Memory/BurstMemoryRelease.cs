using EpollTransport.Loop;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Memory;

/// <summary>
/// Gives memory back once a burst of connections is over: when the transport's open connections have fallen to a
/// quarter of their peak or fewer, by at least <see cref="MemoryReleasePolicy.MinimumBurst"/>, and stayed there for
/// <see cref="MemoryReleasePolicy.QuietTime"/>, the policy's release runs once; the peak then starts again from what
/// is open. nginx frees a closed connection's memory at once; a garbage-collected server needs a collection for that,
/// and an idle one never starts one by itself.
/// </summary>
/// <remarks>
/// Counted on a timer of the first epoll thread, from the loops' own open-connection figures: nothing is added to
/// the accept or close path. All state is touched on that thread only.
/// </remarks>
internal sealed class BurstMemoryRelease
{
    private readonly EpollThread[] _threads;
    private readonly MemoryReleasePolicy _policy;
    private readonly ILogger _logger;
    private readonly int _checkMilliseconds;
    private long _peak;
    private long _quietSinceTicks = -1;

    private BurstMemoryRelease(EpollThread[] threads, MemoryReleasePolicy policy, ILogger logger)
    {
        _threads = threads;
        _policy = policy;
        _logger = logger;
        _checkMilliseconds = (int)Math.Max(1, policy.CheckInterval.TotalMilliseconds);
    }

    /// <summary>Starts counting on the first of <paramref name="threads"/>, which must be running.</summary>
    public static void Start(EpollThread[] threads, MemoryReleasePolicy policy, ILogger logger)
    {
        var release = new BurstMemoryRelease(threads, policy, logger);
        var home = threads[0];
        // Timers belong to the loop: the first one is added from the loop itself.
        home.Schedule(static state => ((BurstMemoryRelease)state!).ScheduleNextCheck(), release);
    }

    private void ScheduleNextCheck() =>
        _threads[0].AddTimer(_checkMilliseconds, static state => ((BurstMemoryRelease)state!).Check(), this);

    private void Check()
    {
        long open = 0;
        foreach (var thread in _threads)
        {
            open += thread.Metrics.ActiveConnections;
        }

        long now = Environment.TickCount64;
        if (open > _peak)
        {
            _peak = open;
        }

        bool burstOver = _peak - open >= _policy.MinimumBurst && open <= _peak / 4;
        if (!burstOver)
        {
            _quietSinceTicks = -1;
        }
        else if (_quietSinceTicks < 0)
        {
            _quietSinceTicks = now;
        }
        else if (now - _quietSinceTicks >= _policy.QuietTime.TotalMilliseconds)
        {
            TransportLog.MemoryReleasedAfterBurst(_logger, _peak, open);
            _peak = open;
            _quietSinceTicks = -1;
            ThreadPool.UnsafeQueueUserWorkItem(static release => release(), _policy.Release, preferLocal: false);
        }

        ScheduleNextCheck();
    }
}
