using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>Captures the transport's log events so tests can wait for and count them.</summary>
internal sealed class LogRecorder : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, EventId EventId, string Message)> _entries = new();
    private readonly List<(Func<EventId, bool> Match, TaskCompletionSource Signal)> _waiters = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<(string Category, EventId EventId, string Message)> Entries => _entries.ToList();

    public int Count(string eventName) => _entries.Count(e => e.EventId.Name == eventName);

    /// <summary>Completes when an event with <paramref name="eventName"/> has been logged (possibly already).</summary>
    public Task WaitForAsync(string eventName)
    {
        lock (_gate)
        {
            if (_entries.Any(e => e.EventId.Name == eventName))
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((id => id.Name == eventName, signal));
            return signal.Task.WaitAsync(TestTimeouts.Operation);
        }
    }

    /// <summary>Completes when <paramref name="count"/> events with <paramref name="eventName"/> have been logged.</summary>
    public Task WaitForCountAsync(string eventName, int count)
    {
        lock (_gate)
        {
            if (Count(eventName) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((id => id.Name == eventName && Count(eventName) >= count, signal));
            return signal.Task.WaitAsync(TestTimeouts.Operation);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string category, EventId eventId, string message)
    {
        lock (_gate)
        {
            _entries.Enqueue((category, eventId, message));
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(eventId))
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private sealed class Logger(LogRecorder recorder, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (category == "EpollTransport")
            {
                recorder.Add(category, eventId, formatter(state, exception));
            }
        }
    }
}
