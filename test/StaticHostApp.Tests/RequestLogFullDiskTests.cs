using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StaticHostApp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StaticHostApp.Tests;

/// <summary>
/// The combined access log on a real, small file system that fills up (a 512 KiB tmpfs mounted for the test; the
/// test says so and does nothing where it cannot mount one, as when not run as root): lines that do not fit are
/// dropped whole, counted in the metric and reported in one Warning, the file never ends in part of a line, and
/// logging resumes by itself once there is room again. On Kestrel over the epoll transport.
/// </summary>
public sealed class RequestLogFullDiskTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;
    private readonly SiteSandbox _sandbox = new();
    private readonly LogRecorder _logs = new();
    private bool _mounted;

    [Fact]
    public async Task AFullDiskDropsWholeLinesCountsThemAndLoggingResumesWhenSpaceReturns()
    {
        var logDirectory = _sandbox.CreateDirectory("logs");
        if (!TryMountTmpfs(logDirectory, out var why))
        {
            output.WriteLine($"Skipped: a 512 KiB tmpfs could not be mounted on {logDirectory} ({why}); this test needs root.");
            return;
        }

        _mounted = true;
        _sandbox.WriteFile("site/index.html", "INDEX");
        var settings = new Settings().Site(_sandbox["site"], "log.test")
            .With("StaticHost:RequestLog:Enabled", "true")
            .With("StaticHost:RequestLog:Format", "Combined")
            .With("StaticHost:RequestLog:Directory", logDirectory)
            .With("StaticHost:RequestLog:FlushInterval", "00:00:00.010");
        await using var host = RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, settings, services => services.AddLogging(l => l.AddProvider(_logs)));
        var log = Path.Combine(logDirectory, "access.log");

        await GetAsync(host, "/?first");
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(log).Length == 1, Timeout, "the first line");

        // Everything else the file system has goes to a filler: the log keeps only the rest of its last page.
        var filler = Path.Combine(logDirectory, "filler");
        Fill(filler);

        // Long lines, so that the page fills up in the middle of one.
        var padding = new string('p', 300);
        for (var i = 0; i < 40; i++)
        {
            await GetAsync(host, $"/?during-{i}-{padding}");
        }

        await Eventually.WaitAsync(() => WriteFailures().Count == 1, Timeout, "the write failure to be reported");
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(log).Length + DroppedLines(host) == 41, Timeout, "every line written or counted as dropped");

        var text = File.ReadAllText(log);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var written = CombinedLogFormat.ReadLines(log).Select(CombinedLogFormat.Parse).ToList(); // each parses whole
        Assert.True(written.Count < 41, $"all {written.Count} lines fit; the disk never filled up");
        Assert.Contains(written, l => l.Target.StartsWith("/?during-", StringComparison.Ordinal)); // the last page filled up line by line

        // Room again: the next requests are logged, with no signal and no restart.
        File.Delete(filler);
        for (var i = 0; i < 3; i++)
        {
            await GetAsync(host, $"/?after-{i}");
        }

        await Eventually.WaitAsync(
            () => CombinedLogFormat.ReadLines(log).Count(l => l.Contains("?after-", StringComparison.Ordinal)) == 3,
            Timeout,
            "the three lines after space returned");
        await Eventually.WaitAsync(() => _logs.All.Any(e => e.Message.Contains("Access log writing to", StringComparison.Ordinal) && e.Message.Contains("resumed", StringComparison.Ordinal)), Timeout, "the recovery to be reported");
        Assert.Single(WriteFailures()); // at most one Warning a minute, however many batches failed
        Assert.All(CombinedLogFormat.ReadLines(log), line => CombinedLogFormat.Parse(line));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", ["-l", _sandbox["logs"]], out _);
        }

        _sandbox.Dispose();
    }

    private List<LogEntry> WriteFailures() =>
        _logs.All.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("Access log writing failed", StringComparison.Ordinal)).ToList();

    private static long DroppedLines(RunningHost host)
    {
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        long dropped = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "statichost.access_log.dropped_lines")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "reason", Value: "write_failed" })
                {
                    dropped += value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return dropped;
    }

    private static async Task GetAsync(RunningHost host, string target)
    {
        using var response = await host.GetAsync(target, "log.test");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static void Fill(string path)
    {
        var chunk = new byte[4096];
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        try
        {
            while (true)
            {
                stream.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the file system is full.
        }
    }

    private static bool TryMountTmpfs(string directory, out string why) =>
        Run("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", directory], out why);

    private static bool Run(string program, string[] args, out string errors)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            errors = exception.Message;
            return false;
        }
    }
}
