using System.Net;
using Microsoft.Extensions.Logging;
using StaticHostApp.Logging;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Unit;

public sealed class RequestLogWriterTests : IDisposable
{
    private static readonly TimeSpan Never = TimeSpan.FromHours(1);
    private readonly SiteSandbox _sandbox = new();
    private readonly LogRecorder _logs = new();

    private RequestLogWriter Writer(bool perSiteFiles = false, TimeSpan? flushInterval = null, string directory = "logs", int capacity = 1024) =>
        new(_sandbox[directory], "access", perSiteFiles, capacity, flushInterval ?? Never, TimeZoneInfo.Utc, _logs.CreateLogger("log"));

    private static RequestLogEntry Entry(string target, string? site) =>
        new(DateTime.UtcNow, IPAddress.Loopback, "GET", target, "HTTP/1.1", 200, 5, null, "test", site);

    [Fact]
    public void AFullQueueDropsAndCountsInsteadOfWaiting()
    {
        var queue = new RequestLogQueue(capacity: 2);

        Assert.True(queue.TryEnqueue(Entry("/1", "a.test")));
        Assert.True(queue.TryEnqueue(Entry("/2", "a.test")));
        Assert.False(queue.TryEnqueue(Entry("/3", "a.test")));
        Assert.False(queue.TryEnqueue(Entry("/4", "a.test")));

        Assert.Equal(2, queue.Dropped);
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal("/1", first.Target);
        Assert.True(queue.TryEnqueue(Entry("/5", "a.test")));
        Assert.Equal(2, queue.Dropped);
    }

    [Fact]
    public async Task DisposingWritesEveryQueuedLineEvenBeforeTheFlushInterval()
    {
        var writer = Writer();
        for (var i = 0; i < 500; i++)
        {
            Assert.True(writer.Queue.TryEnqueue(Entry("/" + i, "a.test")));
        }

        await writer.DisposeAsync();

        var lines = CombinedLogFormat.ReadLines(_sandbox["logs/access.log"]).Select(CombinedLogFormat.Parse).ToList();
        Assert.Equal(Enumerable.Range(0, 500).Select(i => "/" + i), lines.Select(l => l.Target));
        Assert.All(lines, l => Assert.Equal("a.test", l.Site));
        Assert.False(writer.Queue.TryEnqueue(Entry("/late", "a.test")));
        Assert.Equal(1, writer.Queue.Dropped);
    }

    [Fact]
    public async Task LinesFromManyThreadsAreAllWrittenWhileTheWriterSleepsAndWakesBetweenThem()
    {
        var writer = Writer(flushInterval: TimeSpan.FromMilliseconds(5), capacity: 1 << 20);
        const int Producers = 8;
        const int PerProducer = 3000;
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                Assert.True(writer.Queue.TryEnqueue(Entry($"/{p}/{i}", "a.test")));
                if (i % 500 == 0)
                {
                    await Task.Yield(); // lets the writer run dry and go to sleep now and then
                }
            }
        })));

        await writer.DisposeAsync();

        var targets = CombinedLogFormat.ReadLines(_sandbox["logs/access.log"]).Select(l => CombinedLogFormat.Parse(l).Target).ToHashSet();
        Assert.Equal(Producers * PerProducer, targets.Count);
        Assert.Equal(0, writer.Queue.Dropped);
    }

    [Fact]
    public async Task LinesReachTheFileWithinTheFlushIntervalWhileRunning()
    {
        await using var writer = Writer(flushInterval: TimeSpan.FromMilliseconds(50));
        writer.Queue.TryEnqueue(Entry("/now", "a.test"));

        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(_sandbox["logs/access.log"]).Length == 1, "the line to be flushed");
    }

    [Fact]
    public async Task PerSiteFilesHoldStrictCombinedLinesAndUnroutedRequestsGoToTheSharedFile()
    {
        var writer = Writer(perSiteFiles: true);
        writer.Queue.TryEnqueue(Entry("/a", "a.test"));
        writer.Queue.TryEnqueue(Entry("/b", "b.test"));
        writer.Queue.TryEnqueue(Entry("/x", null));
        writer.Queue.TryEnqueue(Entry("/a2", "a.test"));
        await writer.DisposeAsync();

        string[] Targets(string file) => CombinedLogFormat.ReadLines(_sandbox["logs/" + file]).Select(CombinedLogFormat.Parse).Select(l => l.Site is null ? l.Target : "site field!").ToArray();
        Assert.Equal(["/a", "/a2"], Targets("access.a.test.log"));
        Assert.Equal(["/b"], Targets("access.b.test.log"));
        Assert.Equal(["/x"], Targets("access.log"));
    }

    [Fact]
    public async Task ReopenStartsANewFileAfterRotation()
    {
        await using var writer = Writer(flushInterval: TimeSpan.FromMilliseconds(20));
        writer.Queue.TryEnqueue(Entry("/before", "a.test"));
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(_sandbox["logs/access.log"]).Length == 1, "the first line");

        File.Move(_sandbox["logs/access.log"], _sandbox["logs/access.log.1"]);
        writer.Reopen();
        writer.Queue.TryEnqueue(Entry("/after", "a.test"));

        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(_sandbox["logs/access.log"]).Length == 1, "a new file after reopening");
        Assert.Equal("/after", CombinedLogFormat.Parse(CombinedLogFormat.ReadLines(_sandbox["logs/access.log"])[0]).Target);
        Assert.Equal("/before", CombinedLogFormat.Parse(Assert.Single(CombinedLogFormat.ReadLines(_sandbox["logs/access.log.1"]))).Target);
    }

    [Fact]
    public async Task ALogDirectoryThatCannotBeCreatedDropsAndCountsLinesAndWritingResumesOnceItCan()
    {
        _sandbox.WriteFile("not-a-directory", "file");
        await using var writer = Writer(directory: "not-a-directory", flushInterval: TimeSpan.FromMilliseconds(20));

        writer.Queue.TryEnqueue(Entry("/lost", "a.test"));

        await Eventually.WaitAsync(() => _logs.All.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("Access log writing failed: 1 lines dropped", StringComparison.Ordinal)), "the dropped line to be reported");
        Assert.Equal(1, writer.WriteDropped);

        // The cause goes away: the next line is written, with no reopen asked for.
        File.Delete(_sandbox["not-a-directory"]);
        Assert.True(writer.Queue.TryEnqueue(Entry("/kept", "a.test")));
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(_sandbox["not-a-directory/access.log"]).Length == 1, "the line after recovery");
        Assert.Equal("/kept", CombinedLogFormat.Parse(CombinedLogFormat.ReadLines(_sandbox["not-a-directory/access.log"])[0]).Target);
        await Eventually.WaitAsync(() => _logs.All.Any(e => e.Level == LogLevel.Information && e.Message.Contains("resumed", StringComparison.Ordinal)), "the recovery to be reported");
        Assert.DoesNotContain(_logs.All, e => e.Level >= LogLevel.Error);
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();
}
