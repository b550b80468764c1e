using System.Diagnostics.Metrics;
using System.Text;

namespace StaticHostApp.Logging;

/// <summary>
/// Writes queued access log lines to their files on a background task: the lines of a burst go out in one write,
/// and buffered lines reach the disk at least every <c>FlushInterval</c>. Disposing (the host does it after the
/// server has stopped and every request has finished) writes and flushes everything still queued, so a graceful
/// shutdown loses nothing.
/// </summary>
/// <remarks>
/// A write error (a full disk, a removed directory) loses the lines of that batch that did not fit, never more and
/// never part of a line (<see cref="RequestLogFile"/>); the next batch tries again, so logging resumes by itself once
/// writes succeed. Dropped lines are counted in the <c>statichost.access_log.dropped_lines</c> metric (meter
/// <c>StaticHostApp.AccessLog</c>, tagged by reason) and reported in a Warning at most once a minute, and the
/// recovery in an Information line with the count lost meanwhile.
/// </remarks>
internal sealed partial class RequestLogWriter : IAsyncDisposable, IDisposable
{
    /// <summary>The meter of the access log's metrics.</summary>
    public const string MeterName = "StaticHostApp.AccessLog";

    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly string _directory;
    private readonly string _fileName;
    private readonly bool _perSiteFiles;
    private readonly TimeSpan _flushInterval;
    private readonly LocalTimeFormat _time;
    private readonly string _sharedFile;
    private readonly ILogger _logger;
    private readonly Dictionary<string, RequestLogFile> _files = new(StringComparer.Ordinal);
    private readonly Meter? _meter;
    private readonly Task _writing;
    private long _reportedDrops;
    private int _reopenRequested;
    private long _writeDropped;
    private long _unreportedWriteDrops;
    private long _lastWarning = long.MinValue;
    private long _lastQueueWarning = long.MinValue;
    private bool _failing;

    /// <summary>Starts the writer.</summary>
    /// <param name="directory">The absolute directory of the log files; created when missing.</param>
    /// <param name="fileName">The file name without extension: <c>{fileName}.log</c>, or <c>{fileName}.{site}.log</c> per site.</param>
    /// <param name="perSiteFiles">One file per site (strict <c>combined</c> lines) instead of one file with a site field.</param>
    /// <param name="capacity">How many lines may wait for the writer before new ones are dropped.</param>
    /// <param name="flushInterval">The longest a written line stays in the writer's buffer.</param>
    /// <param name="timeZone">The zone of the timestamps.</param>
    /// <param name="logger">Where dropped lines and write failures are reported.</param>
    /// <param name="meters">Creates the meter of the dropped-lines metric; none without it.</param>
    public RequestLogWriter(string directory, string fileName, bool perSiteFiles, int capacity, TimeSpan flushInterval, TimeZoneInfo timeZone, ILogger logger, IMeterFactory? meters = null)
    {
        _directory = directory;
        _fileName = fileName;
        _perSiteFiles = perSiteFiles;
        _flushInterval = flushInterval;
        _time = new LocalTimeFormat(timeZone);
        _sharedFile = fileName + ".log";
        _logger = logger;
        Queue = new RequestLogQueue(capacity);
        _meter = meters?.Create(MeterName);
        _meter?.CreateObservableCounter(
            "statichost.access_log.dropped_lines",
            () => new[]
            {
                new Measurement<long>(Queue.Dropped, new KeyValuePair<string, object?>("reason", "queue_full")),
                new Measurement<long>(Interlocked.Read(ref _writeDropped), new KeyValuePair<string, object?>("reason", "write_failed")),
            },
            unit: "{line}",
            description: "Access log lines lost: the queue was full, or writing them to the file failed.");
        _writing = Task.Run(WriteLoopAsync);
    }

    /// <summary>Where requests put their lines.</summary>
    public RequestLogQueue Queue { get; }

    /// <summary>Lines lost so far because writing them failed.</summary>
    public long WriteDropped => Interlocked.Read(ref _writeDropped);

    /// <summary>
    /// Closes the files and opens them again by name before the next line, so a rotated log (renamed by logrotate)
    /// is left alone and a fresh file is started. Called on SIGHUP and SIGUSR1.
    /// </summary>
    public void Reopen()
    {
        Volatile.Write(ref _reopenRequested, 1);
        Queue.Wake();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Queue.Complete();
        await _writing.ConfigureAwait(false);
        _meter?.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task WriteLoopAsync()
    {
        var dirtySince = (DateTime?)null;
        try
        {
            while (true)
            {
                // An idle writer lets go of rotated files at once; a busy one also checks before each line below.
                if (Interlocked.Exchange(ref _reopenRequested, 0) == 1)
                {
                    CloseFiles();
                }

                // Completion is read before draining, so the lines queued before it are all written below.
                var completed = Queue.IsCompleted;
                while (Queue.TryDequeue(out var entry))
                {
                    // Checked per line: a line queued after Reopen() was called goes to the new file.
                    if (Volatile.Read(ref _reopenRequested) == 1 && Interlocked.Exchange(ref _reopenRequested, 0) == 1)
                    {
                        CloseFiles();
                    }

                    Write(entry);
                    dirtySince ??= DateTime.UtcNow;
                }

                ReportDrops();
                if (completed)
                {
                    break;
                }

                var untilFlush = Timeout.InfiniteTimeSpan;
                if (dirtySince is { } since)
                {
                    untilFlush = _flushInterval - (DateTime.UtcNow - since);
                    if (untilFlush <= TimeSpan.Zero)
                    {
                        Flush();
                        dirtySince = null;
                        untilFlush = Timeout.InfiniteTimeSpan;
                    }
                }

                // Wait for more lines, but no longer than a pending flush is due.
                await Queue.WaitAsync(untilFlush).ConfigureAwait(false);
            }
        }
        finally
        {
            // Write errors are handled per batch (see RequestLogFile); whatever else ends the loop, nothing queued
            // before it is left unwritten and every loss is reported.
            ReportDrops(final: true);
            CloseFiles();
            if (Interlocked.Exchange(ref _unreportedWriteDrops, 0) is > 0 and var lost)
            {
                LogWriteDropped(_logger, lost, WriteDropped, _directory, "at shutdown");
            }
        }
    }

    private void Write(in RequestLogEntry entry)
    {
        // Keyed by site (the shared file by ""), so finding the open file costs no string building per line.
        var key = _perSiteFiles ? entry.Site ?? string.Empty : string.Empty;
        if (!_files.TryGetValue(key, out var output))
        {
            var file = key.Length == 0 ? _sharedFile : $"{_fileName}.{key}.log";
            output = new RequestLogFile(Path.Combine(_directory, file), Utf8);
            _files.Add(key, output);
        }

        CombinedFormat.Write(output.Line, entry, withSite: !_perSiteFiles, _time);
        if (output.EndLine())
        {
            Account(output.WriteBatch());
        }
    }

    private void Flush()
    {
        foreach (var file in _files.Values)
        {
            Account(file.WriteBatch());
        }
    }

    private void CloseFiles()
    {
        foreach (var file in _files.Values)
        {
            Account(file.Close());
            file.Dispose();
        }

        _files.Clear();
    }

    /// <summary>Counts and reports what a batch lost, and the recovery once a batch is written again.</summary>
    private void Account(in BatchOutcome outcome)
    {
        if (outcome.Dropped > 0)
        {
            Interlocked.Add(ref _writeDropped, outcome.Dropped);
            var unreported = Interlocked.Add(ref _unreportedWriteDrops, outcome.Dropped);
            _failing = true;
            long now = Environment.TickCount64;
            if (_lastWarning == long.MinValue || now - _lastWarning >= (long)WarningInterval.TotalMilliseconds)
            {
                _lastWarning = now;
                Interlocked.Exchange(ref _unreportedWriteDrops, 0);
                LogWriteFailed(_logger, unreported, WriteDropped, _directory, outcome.Error?.Message ?? string.Empty);
            }
        }
        else if (_failing && outcome.Written > 0)
        {
            _failing = false;
            LogWriteResumed(_logger, _directory, Interlocked.Exchange(ref _unreportedWriteDrops, 0), WriteDropped);
        }
    }

    /// <summary>Reports lines the full queue dropped: at most once a minute while running, and at the end.</summary>
    private void ReportDrops(bool final = false)
    {
        var dropped = Queue.Dropped;
        long now = Environment.TickCount64;
        if (dropped != _reportedDrops &&
            (final || _lastQueueWarning == long.MinValue || now - _lastQueueWarning >= (long)WarningInterval.TotalMilliseconds))
        {
            LogDropped(_logger, dropped - _reportedDrops, dropped);
            _reportedDrops = dropped;
            _lastQueueWarning = now;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Access log queue full: {Count} lines dropped ({Total} since start). The disk is slower than the request rate; raise StaticHost:RequestLog:QueueCapacity or use a faster log volume.")]
    private static partial void LogDropped(ILogger logger, long count, long total);

    [LoggerMessage(2, LogLevel.Warning, "Access log writing failed: {Count} lines dropped ({Total} since start) in {Directory}: {Reason}. Writing resumes by itself once the file can be written; the next report comes in a minute at the earliest.")]
    private static partial void LogWriteFailed(ILogger logger, long count, long total, string directory, string reason);

    [LoggerMessage(3, LogLevel.Information, "Access log writing to {Directory} resumed; {Count} more lines were dropped since the last report ({Total} since start)")]
    private static partial void LogWriteResumed(ILogger logger, string directory, long count, long total);

    [LoggerMessage(4, LogLevel.Warning, "Access log: {Count} lines dropped ({Total} since start) in {Directory} {When}")]
    private static partial void LogWriteDropped(ILogger logger, long count, long total, string directory, string when);
}
