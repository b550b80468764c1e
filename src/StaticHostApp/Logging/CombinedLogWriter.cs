using System.Text;

namespace StaticHostApp.Logging;

/// <summary>
/// Writes queued access log lines to their files on a background task: the lines of a burst go out in one write,
/// and buffered lines reach the disk at least every <c>FlushInterval</c>. Disposing (the host does it after the
/// server has stopped and every request has finished) writes and flushes everything still queued, so a graceful
/// shutdown loses nothing.
/// </summary>
internal sealed partial class CombinedLogWriter : IAsyncDisposable, IDisposable
{
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    private readonly string _directory;
    private readonly string _fileName;
    private readonly bool _perSiteFiles;
    private readonly TimeSpan _flushInterval;
    private readonly LocalTimeFormat _time;
    private readonly string _sharedFile;
    private readonly ILogger _logger;
    private readonly Dictionary<string, StreamWriter> _files = new(StringComparer.Ordinal);
    private readonly Task _writing;
    private long _reportedDrops;
    private int _reopenRequested;

    /// <summary>Starts the writer.</summary>
    /// <param name="directory">The absolute directory of the log files; created when missing.</param>
    /// <param name="fileName">The file name without extension: <c>{fileName}.log</c>, or <c>{fileName}.{site}.log</c> per site.</param>
    /// <param name="perSiteFiles">One file per site (strict <c>combined</c> lines) instead of one file with a site field.</param>
    /// <param name="capacity">How many lines may wait for the writer before new ones are dropped.</param>
    /// <param name="flushInterval">The longest a written line stays in the writer's buffer.</param>
    /// <param name="timeZone">The zone of the timestamps.</param>
    /// <param name="logger">Where dropped lines and write failures are reported.</param>
    public CombinedLogWriter(string directory, string fileName, bool perSiteFiles, int capacity, TimeSpan flushInterval, TimeZoneInfo timeZone, ILogger logger)
    {
        _directory = directory;
        _fileName = fileName;
        _perSiteFiles = perSiteFiles;
        _flushInterval = flushInterval;
        _time = new LocalTimeFormat(timeZone);
        _sharedFile = fileName + ".log";
        _logger = logger;
        Queue = new AccessLogQueue(capacity);
        _writing = Task.Run(WriteLoopAsync);
    }

    /// <summary>Where requests put their lines.</summary>
    public AccessLogQueue Queue { get; }

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
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Closed first: from the moment the failure is reported, requests no longer queue lines for nobody.
            Queue.Complete();
            LogWriteFailed(_logger, _directory, exception);
        }
        finally
        {
            ReportDrops();
            CloseFiles();
        }
    }

    private void Write(in AccessLogEntry entry)
    {
        // Keyed by site (the shared file by ""), so finding the open file costs no string building per line.
        var key = _perSiteFiles ? entry.Site ?? string.Empty : string.Empty;
        if (!_files.TryGetValue(key, out var output))
        {
            Directory.CreateDirectory(_directory);
            var file = key.Length == 0 ? _sharedFile : $"{_fileName}.{key}.log";
            var stream = new FileStream(Path.Combine(_directory, file), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            output = new StreamWriter(stream, Utf8, bufferSize: 64 * 1024);
            _files.Add(key, output);
        }

        CombinedLogLine.Write(output, entry, withSite: !_perSiteFiles, _time);
    }

    private void Flush()
    {
        foreach (var file in _files.Values)
        {
            file.Flush();
        }
    }

    private void CloseFiles()
    {
        foreach (var file in _files.Values)
        {
            try
            {
                file.Dispose();
            }
            catch (IOException exception)
            {
                LogWriteFailed(_logger, _directory, exception);
            }
        }

        _files.Clear();
    }

    private void ReportDrops()
    {
        var dropped = Queue.Dropped;
        if (dropped != _reportedDrops)
        {
            LogDropped(_logger, dropped - _reportedDrops, dropped);
            _reportedDrops = dropped;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Access log queue full: {Count} lines dropped ({Total} since start). The disk is slower than the request rate; raise StaticHost:RequestLog:QueueCapacity or use a faster log volume.")]
    private static partial void LogDropped(ILogger logger, long count, long total);

    [LoggerMessage(2, LogLevel.Error, "Access log writing to {Directory} failed; no more lines are written")]
    private static partial void LogWriteFailed(ILogger logger, string directory, Exception exception);
}
