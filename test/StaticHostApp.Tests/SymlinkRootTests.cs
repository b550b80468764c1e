using System.Net;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Atomic deploys the way Capistrano and most static-site tools do them: the site's root is a symbolic link,
/// <c>current -&gt; releases/vN</c>, switched with a rename, after which the old release is deleted. The new release is
/// served shortly after the switch (the root path is looked at again at most every 100 ms, and at once before a
/// "not found"), the old one is never served again, and deleting it causes no 404 and leaves no descriptor behind.
/// On Kestrel over the epoll transport, with the open-file cache off and on.
/// </summary>
public sealed class SymlinkRootTests : IDisposable
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;
    private readonly SiteSandbox _sandbox = new();

    public SymlinkRootTests()
    {
        foreach (var release in new[] { "v1", "v2", "v3" })
        {
            _sandbox.WriteFile($"releases/{release}/index.html", $"RELEASE-{release}");
            _sandbox.WriteFile($"releases/{release}/app.js", $"APP-{release}");
            _sandbox.WriteFile($"releases/{release}/only-{release}.txt", release);
        }

        _sandbox.CreateSymlink("current", "releases/v1");
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("00:05:00")]
    public async Task ASwitchedReleaseIsServedAndDeletingTheOldOneNeverGives404(string? cacheValidity)
    {
        var settings = new Settings().Site(_sandbox["current"], "deploy.test");
        if (cacheValidity is not null)
        {
            settings.With("StaticHost:OpenFileCache:Validity", cacheValidity);
        }

        await using var host = RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, settings);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "RELEASE-v1"), await GetAsync(host, "/"));
            Assert.Equal((HttpStatusCode.OK, "APP-v1"), await GetAsync(host, "/app.js"));
        }

        // The switch alone: v2 is served within the stated bound (polled; the machine may be slow), and from then
        // on no request gets v1 again.
        Switch("v2");
        await Eventually.WaitAsync(async () => (await GetAsync(host, "/app.js")).Body == "APP-v2", Timeout, "v2 after the switch");
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "RELEASE-v2"), await GetAsync(host, "/"));
            Assert.Equal((HttpStatusCode.OK, "APP-v2"), await GetAsync(host, "/app.js"));
        }

        Directory.Delete(_sandbox["releases/v1"], recursive: true);
        Assert.Equal((HttpStatusCode.OK, "RELEASE-v2"), await GetAsync(host, "/"));

        // Switch and delete at once, before any request: the first request already gets v3, never a 404, also for
        // a file only the new release has.
        Switch("v3");
        Directory.Delete(_sandbox["releases/v2"], recursive: true);
        Assert.Equal((HttpStatusCode.OK, "v3"), await GetAsync(host, "/only-v3.txt"));
        Assert.Equal((HttpStatusCode.OK, "RELEASE-v3"), await GetAsync(host, "/"));
        Assert.Equal((HttpStatusCode.OK, "APP-v3"), await GetAsync(host, "/app.js"));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/only-v2.txt")).Status);

        // Nothing of the deleted releases stays open: neither the old root nor files cached from it.
        await Eventually.WaitAsync(
            () => ProcessDescriptors.Referring(_sandbox["releases/v1"]).Count + ProcessDescriptors.Referring(_sandbox["releases/v2"]).Count == 0,
            Timeout,
            "no descriptor of a deleted release");
    }

    [Fact]
    public async Task ALinkOutOfTheRootStaysRefusedAfterASwitch()
    {
        _sandbox.WriteFile("secret.txt", "SECRET");
        _sandbox.CreateSymlink("releases/v2/leak.txt", "../../secret.txt");
        await using var host = RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, new Settings().Site(_sandbox["current"], "deploy.test"));
        Assert.Equal((HttpStatusCode.OK, "RELEASE-v1"), await GetAsync(host, "/"));

        Switch("v2");
        await Eventually.WaitAsync(async () => (await GetAsync(host, "/")).Body == "RELEASE-v2", Timeout, "v2 after the switch");
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/leak.txt")).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00:05:00")]
    [Trait("Category", "Slow")]
    public async Task RequestsRacingARootSwitchedOverAndOverAlwaysGetAWholeRelease(string? cacheValidity)
    {
        var settings = new Settings().Site(_sandbox["current"], "deploy.test");
        if (cacheValidity is not null)
        {
            settings.With("StaticHost:OpenFileCache:Validity", cacheValidity);
        }

        await using var host = RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, settings);
        using var stop = new CancellationTokenSource();
        var switches = 0;
        var switcher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Switch(switches++ % 2 == 0 ? "v2" : "v1");
            }
        });

        // The clients race the switcher for a fixed time: the race is the behaviour under test, and its length is
        // how many interleavings it gets to try, not a wait for something to happen.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var seen = new List<(HttpStatusCode, string)>();
            while (clock.Elapsed < TimeSpan.FromSeconds(1.5))
            {
                seen.Add(await GetAsync(host, "/app.js"));
            }

            return seen;
        }));
        await stop.CancelAsync();
        await switcher;

        var all = answers.SelectMany(a => a).ToList();
        Assert.All(all, a => Assert.Contains(a, new[] { (HttpStatusCode.OK, "APP-v1"), (HttpStatusCode.OK, "APP-v2") }));
        Assert.True(switches > 10, $"only {switches} switches happened");
    }

    /// <summary><c>ln -sfn releases/vN tmp &amp;&amp; mv -T tmp current</c>.</summary>
    private void Switch(string release)
    {
        var temporary = _sandbox["current.tmp"];
        File.CreateSymbolicLink(temporary, $"releases/{release}");
        FileSystemCalls.Rename(temporary, _sandbox["current"]);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(RunningHost host, string path)
    {
        using var response = await host.GetAsync(path, "deploy.test");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
