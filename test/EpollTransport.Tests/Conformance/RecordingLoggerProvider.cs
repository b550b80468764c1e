using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Tests.Conformance;

/// <summary>Records every log entry of every category, so a test can assert what an operator would see.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToList();

    /// <summary>Entries an operator would see with the usual Information/Warning filters: anything above Debug.</summary>
    public IReadOnlyList<LogEntry> AboveDebug => _entries.Where(e => e.Level > LogLevel.Debug && !IsLifecycle(e)).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

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

    private static bool IsLifecycle(LogEntry entry) =>
        entry.Level == LogLevel.Information && s_requestFlowCategories.Any(prefix => entry.Category.StartsWith(prefix, StringComparison.Ordinal));

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}[{EventId.Id}] {Message} {Exception}";
}
