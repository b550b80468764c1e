using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>
/// Records every log entry of every category, so a test can assert what an operator would see
/// (<see cref="AboveDebug"/>), and lets tests wait for and count the transport's own events.
/// </summary>
internal sealed class LogRecorder : ILoggerProvider
{
    private const string TransportCategory = "EpollTransport";

    // Every request announces itself at Information in these categories (host start and stop, request start and
    // finish, endpoint and file served); they are the normal flow, not a report about a connection.
    private static readonly string[] s_requestFlowCategories =
    [
        "Microsoft.Hosting.Lifetime",
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.StaticFiles",
        "Microsoft.AspNetCore.Http.Result",
    ];

    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly List<(Func<EventId, bool> Match, TaskCompletionSource Signal)> _waiters = [];
    private readonly Lock _gate = new();

    /// <summary>The transport's own entries.</summary>
    public IReadOnlyList<LogEntry> Entries => _entries.Where(e => e.Category == TransportCategory).ToList();

    /// <summary>Entries an operator would see with the usual Information/Warning filters: anything above Debug.</summary>
    public IReadOnlyList<LogEntry> AboveDebug => _entries.Where(e => e.Level > LogLevel.Debug && !IsRequestFlow(e)).ToList();

    public int Count(string eventName) => _entries.Count(e => e.Category == TransportCategory && e.EventId.Name == eventName);

    /// <summary>Completes when an event with <paramref name="eventName"/> has been logged (possibly already).</summary>
    public Task WaitForAsync(string eventName)
    {
        lock (_gate)
        {
            if (Count(eventName) > 0)
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

    private static bool IsRequestFlow(LogEntry entry) =>
        entry.Level == LogLevel.Information && s_requestFlowCategories.Any(prefix => entry.Category.StartsWith(prefix, StringComparison.Ordinal));

    private void Add(LogEntry entry)
    {
        lock (_gate)
        {
            _entries.Enqueue(entry);
            if (entry.Category != TransportCategory)
            {
                return;
            }

            var eventId = entry.EventId;
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

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            recorder.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}[{EventId.Id}] {Message} {Exception}";
}
