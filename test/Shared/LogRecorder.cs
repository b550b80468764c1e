using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SharedTestInfrastructure;

/// <summary>
/// Records every log entry of every category, so a test can assert what an operator would see
/// (<see cref="AboveDebug"/>), and lets tests wait for and count the transport's own events.
/// </summary>
public sealed class LogRecorder : ILoggerProvider
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
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource Signal)> _waiters = [];
    private readonly Lock _gate = new();

    /// <summary>Every entry, of every category.</summary>
    public IReadOnlyList<LogEntry> All => _entries.ToList();

    /// <summary>Entries an operator would see with the usual Information/Warning filters: anything above Debug.</summary>
    public IReadOnlyList<LogEntry> AboveDebug => _entries.Where(e => e.Level > LogLevel.Debug && !IsRequestFlow(e)).ToList();

    /// <summary>How many events named <paramref name="eventName"/> the transport has logged.</summary>
    public int Count(string eventName) => _entries.Count(e => e.Category == TransportCategory && e.EventId.Name == eventName);

    /// <summary>Completes when the transport has logged an event with <paramref name="eventName"/> (possibly already).</summary>
    public Task WaitForAsync(string eventName) => WaitForAsync(TransportCategory, eventName);

    /// <summary>Completes when an event with <paramref name="eventName"/> has been logged in <paramref name="category"/> (possibly already).</summary>
    public Task WaitForAsync(string category, string eventName)
    {
        bool Matches(LogEntry entry) => entry.Category == category && entry.EventId.Name == eventName;
        lock (_gate)
        {
            if (_entries.Any(Matches))
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((Matches, signal));
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
            _waiters.Add((entry => entry.Category == TransportCategory && entry.EventId.Name == eventName && Count(eventName) >= count, signal));
            return signal.Task.WaitAsync(TestTimeouts.Operation);
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
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
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
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

/// <summary>One log entry.</summary>
/// <param name="Category">The logger's category.</param>
/// <param name="Level">The level.</param>
/// <param name="EventId">The event's id and name.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception logged with it, if any.</param>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    /// <inheritdoc />
    public override string ToString() => $"{Level} {Category}[{EventId.Id}] {Message} {Exception}";
}
