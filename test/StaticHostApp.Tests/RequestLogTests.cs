using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// The combined access log on both servers: status, body bytes actually sent (sendfile included), site field, and
/// every line written by the time the host has stopped.
/// </summary>
public abstract class RequestLogTests : IDisposable
{
    private protected RequestLogTests(ServerKind kind)
    {
        Kind = kind;
        Sites = new StandardSites(Sandbox);
    }

    /// <summary>The server this run uses.</summary>
    protected ServerKind Kind { get; }

    /// <summary>This test's directory tree.</summary>
    protected SiteSandbox Sandbox { get; } = new();

    /// <summary>The standard sites.</summary>
    protected StandardSites Sites { get; }

    private Settings CombinedLog() => Sites.Settings()
        .With("StaticHost:RequestLog:Enabled", "true")
        .With("StaticHost:RequestLog:Format", "Combined")
        .With("StaticHost:RequestLog:FlushInterval", "01:00:00");

    [Fact]
    public async Task CombinedLogHasStatusBodyBytesAndSiteForEveryRequestOnceTheHostStops()
    {
        var big = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(big);
        Sandbox.WriteFile("example/big.bin", big);

        await using (var host = RunningHost.Start(Kind, Sandbox.Path, CombinedLog().With("StaticHost:ServeUnknownFileTypes", "true")))
        {
            using var full = await host.GetAsync("/file.txt?x=1", "example.test", r =>
            {
                r.Headers.UserAgent.ParseAdd("probe/1.0");
                r.Headers.Referrer = new Uri("https://referer.test/page");
            });
            Assert.Equal(StandardSites.FileText, await full.Content.ReadAsStringAsync());
            (await host.SendAsync(HttpMethod.Head, "/file.txt", "example.test")).Dispose();
            (await host.GetAsync("/file.txt", "example.test", r => r.Headers.IfNoneMatch.Add(full.Headers.ETag!))).Dispose();
            using var range = await host.GetAsync("/file.txt", "example.test", r => r.Headers.Range = new RangeHeaderValue(2, 8));
            Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
            (await host.GetAsync("/missing", "docs.test")).Dispose();
            (await host.GetAsync("/", "unknown.test")).Dispose();
            using var download = await host.GetAsync("/big.bin", "www.example.test");
            Assert.Equal(big, await download.Content.ReadAsByteArrayAsync());
        }

        await WrittenAsync(("logs/access.log", 7));
        var lines = CombinedLogFormat.ReadLines(Sandbox["logs/access.log"]).Select(CombinedLogFormat.Parse).ToList();
        Assert.Equal(
            [
                ("GET", "/file.txt?x=1", 200, (long)StandardSites.FileText.Length, "example.test"),
                ("HEAD", "/file.txt", 200, 0, "example.test"),
                ("GET", "/file.txt", 304, 0, "example.test"),
                ("GET", "/file.txt", 206, 7, "example.test"),
                ("GET", "/missing", 404, 0, "docs.test"),
                ("GET", "/", 421, 0, "-"),
                ("GET", "/big.bin", 200, big.Length, "example.test"),
            ],
            lines.Select(l => (l.Method, l.Target, l.Status, l.Bytes, l.Site)));
        Assert.Equal(("probe/1.0", "https://referer.test/page"), (lines[0].UserAgent, lines[0].Referer));
        Assert.All(lines, l => Assert.InRange(l.Time, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1)));
        if (Kind == ServerKind.Kestrel)
        {
            Assert.All(lines, l => Assert.Equal(("127.0.0.1", "HTTP/1.1"), (l.Address, l.Protocol)));
        }
    }

    [Fact]
    public async Task PerSiteFilesAreStrictCombinedLogs()
    {
        await using (var host = RunningHost.Start(Kind, Sandbox.Path, CombinedLog().With("StaticHost:RequestLog:PerSiteFiles", "true")))
        {
            (await host.GetAsync("/file.txt", "example.test")).Dispose();
            (await host.GetAsync("/", "docs.test")).Dispose();
            (await host.GetAsync("/", "unknown.test")).Dispose();
        }

        await WrittenAsync(("logs/access.example.test.log", 1), ("logs/access.docs.test.log", 1), ("logs/access.log", 1));
        var example = CombinedLogFormat.Parse(Assert.Single(CombinedLogFormat.ReadLines(Sandbox["logs/access.example.test.log"])));
        var docs = CombinedLogFormat.Parse(Assert.Single(CombinedLogFormat.ReadLines(Sandbox["logs/access.docs.test.log"])));
        var unrouted = CombinedLogFormat.Parse(Assert.Single(CombinedLogFormat.ReadLines(Sandbox["logs/access.log"])));
        Assert.Equal(("/file.txt", 20L, (string?)null), (example.Target, example.Bytes, example.Site));
        Assert.Equal(("/", "DOCS-INDEX".Length, (string?)null), (docs.Target, docs.Bytes, docs.Site));
        Assert.Equal(421, unrouted.Status);
    }

    [Fact]
    public void InvalidRequestLogSettingsFailStartWithTheKey()
    {
        var error = Assert.ThrowsAny<Exception>(() => RunningHost.Start(Kind, Sandbox.Path, CombinedLog().With("StaticHost:RequestLog:QueueCapacity", "0")));
        Assert.Contains("StaticHost:RequestLog:QueueCapacity must be at least 1", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Waits until each log file holds at least the given number of lines. WebApplicationFactory's disposal returns
    /// before the application's own entry point has finished disposing its host (where the writer writes what is
    /// still queued), so the files are watched for that, bounded; the tests then check that nothing more arrived.
    /// </summary>
    private Task WrittenAsync(params (string File, int Lines)[] expected) =>
        Eventually.WaitAsync(
            () => expected.All(e => CombinedLogFormat.ReadLines(Sandbox[e.File]).Length >= e.Lines),
            "the access log lines of every request");

    /// <inheritdoc />
    public void Dispose()
    {
        Sandbox.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>On TestServer.</summary>
    public sealed class OnTestServer() : RequestLogTests(ServerKind.TestServer);

    /// <summary>On Kestrel over the epoll transport, where file bodies go out with sendfile.</summary>
    public sealed class OnKestrel() : RequestLogTests(ServerKind.Kestrel)
    {
        [Fact]
        public async Task BytesSentBySendfileAreCountedAndTheLogLeavesSendfileInPlace()
        {
            var body = new byte[1024 * 1024];
            Random.Shared.NextBytes(body);
            Sandbox.WriteFile("example/one-mebibyte.txt", body);
            long sentFromFile = 0;
            await using (var host = RunningHost.Start(Kind, Sandbox.Path, CombinedLog()))
            {
                var meters = host.Services.GetRequiredService<IMeterFactory>();
                using var listener = new MeterListener
                {
                    InstrumentPublished = (instrument, l) =>
                    {
                        if (instrument.Meter.Scope == meters && instrument.Name == "epoll.io")
                        {
                            l.EnableMeasurementEvents(instrument);
                        }
                    },
                };
                listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
                {
                    foreach (var tag in tags)
                    {
                        if (tag is { Key: "epoll.io.path", Value: "sendfile" })
                        {
                            Interlocked.Add(ref sentFromFile, value);
                        }
                    }
                });
                listener.Start();

                using var response = await host.GetAsync("/one-mebibyte.txt", "example.test");
                Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
            }

            Assert.Equal(body.Length, Interlocked.Read(ref sentFromFile));
            await WrittenAsync(("logs/access.log", 1));
            var line = CombinedLogFormat.Parse(Assert.Single(CombinedLogFormat.ReadLines(Sandbox["logs/access.log"])));
            Assert.Equal(body.Length, line.Bytes);
        }
    }
}
