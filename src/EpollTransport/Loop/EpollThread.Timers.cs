namespace EpollTransport.Loop;

/// <summary>Timers of the loop: one-shot callbacks (accept back-off retries) that bound how long epoll_wait sleeps.</summary>
internal sealed partial class EpollThread
{
    private readonly List<Timer> _timers = [];
    private readonly List<Timer> _dueTimers = [];

    /// <summary>Runs <paramref name="action"/> on the loop after <paramref name="delayMilliseconds"/>.</summary>
    public void AddTimer(int delayMilliseconds, Action<object?> action, object? state) =>
        _timers.Add(new Timer(Environment.TickCount64 + delayMilliseconds, action, state));

    /// <summary>Fires due timers; returns the epoll_wait timeout until the next one (-1: none).</summary>
    private int RunDueTimers()
    {
        if (_timers.Count == 0)
        {
            return -1;
        }

        // Take the due ones out first: their actions may add new timers.
        long now = Environment.TickCount64;
        for (int i = _timers.Count - 1; i >= 0; i--)
        {
            if (_timers[i].DueTicks <= now)
            {
                _dueTimers.Add(_timers[i]);
                _timers.RemoveAt(i);
            }
        }

        foreach (var timer in _dueTimers)
        {
            try
            {
                timer.Action(timer.State);
            }
            catch (Exception ex)
            {
                TransportLog.LoopError(_logger, Index, ex);
            }
        }

        _dueTimers.Clear();
        long next = long.MaxValue;
        foreach (var timer in _timers)
        {
            next = Math.Min(next, timer.DueTicks);
        }

        return next == long.MaxValue ? -1 : (int)Math.Clamp(next - Environment.TickCount64, 0, int.MaxValue);
    }

    private readonly record struct Timer(long DueTicks, Action<object?> Action, object? State);
}
