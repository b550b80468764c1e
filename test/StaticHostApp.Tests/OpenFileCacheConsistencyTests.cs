using System.Net;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// The open-file cache never serves a mix of versions: a file overwritten in place (same inode, as <c>cat new &gt;
/// file</c> does) is served whole in its new version by the next request, growing or shrinking; path spellings
/// with repeated slashes share one entry and match the same rules; a full cache evicts instead of growing. On
/// Kestrel over the epoll transport, with a validity long enough that only these checks can explain what is seen,
/// and the check made on every hit (no check interval), so the request right after a change must see it.
/// </summary>
public sealed class OpenFileCacheConsistencyTests : IDisposable
{
    private readonly SiteSandbox _sandbox = new();

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task AFileThatGrowsInPlaceIsServedWholeWithItsNewLengthAndEtag()
    {
        var path = _sandbox.WriteFile("site/file.txt", "FIRST");
        await using var host = Start();
        using var first = await host.GetAsync("/file.txt", "cache.test");
        Assert.Equal("FIRST", await first.Content.ReadAsStringAsync());
        var inode = Inode(path);

        FileSystemCalls.OverwriteInPlace(path, "SECOND-AND-LONGER");
        Assert.Equal(inode, Inode(path));

        using var second = await host.GetAsync("/file.txt", "cache.test");
        Assert.Equal("SECOND-AND-LONGER", await second.Content.ReadAsStringAsync());
        Assert.Equal("SECOND-AND-LONGER".Length, second.Content.Headers.ContentLength);
        Assert.NotEqual(first.Headers.ETag, second.Headers.ETag);
    }

    [Fact]
    public async Task AFileThatShrinksInPlaceIsServedWholeByEveryRequest()
    {
        var path = _sandbox.WriteFile("site/big.txt", new string('A', 256 * 1024));
        await using var host = Start();
        using (var first = await host.GetAsync("/big.txt", "cache.test"))
        {
            Assert.Equal(256 * 1024, (await first.Content.ReadAsByteArrayAsync()).Length);
        }

        FileSystemCalls.OverwriteInPlace(path, new string('B', 100));

        for (var i = 0; i < 10; i++)
        {
            using var response = await host.GetAsync("/big.txt", "cache.test");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(new string('B', 100), await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task RepeatedSlashesShareOneCachedDescriptorAndMatchTheRules()
    {
        var path = _sandbox.WriteFile("site/assets/app.css", "CSS");
        await using var host = Start(s => s
            .With("StaticHost:CacheControl:0:Match", "/assets/*")
            .With("StaticHost:CacheControl:0:Value", "public, max-age=31536000, immutable"));

        foreach (var target in new[] { "/assets/app.css", "//assets/app.css", "/assets//app.css", "///assets///app.css" })
        {
            var response = await RawHttp.RequestAsync(host.Address, "GET", target, "cache.test");
            Assert.Equal((200, "CSS"), (response.Status, response.BodyText));
            Assert.Equal("public, max-age=31536000, immutable", response.Headers["Cache-Control"]);
        }

        Assert.Single(ProcessDescriptors.Referring(path));
    }

    [Fact]
    public async Task AFullCacheEvictsAndKeepsAtMostMaxFilesOpen()
    {
        const int Files = 12;
        for (var i = 0; i < Files; i++)
        {
            _sandbox.WriteFile($"site/f{i}.txt", $"FILE-{i}");
        }

        await using var host = Start(s => s.With("StaticHost:OpenFileCache:MaxFiles", "3"));
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < Files; i++)
            {
                using var response = await host.GetAsync($"/f{i}.txt", "cache.test");
                Assert.Equal($"FILE-{i}", await response.Content.ReadAsStringAsync());
            }
        }

        // Requests let go of their references just after the response; the cache itself holds at most three.
        await Eventually.WaitAsync(() => ProcessDescriptors.Referring(_sandbox["site"]).Count <= 3, "at most MaxFiles descriptors");
    }

    private static long Inode(string path)
    {
        using var output = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var text = output.StandardOutput.ReadToEnd();
        output.WaitForExit();
        return long.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private RunningHost Start(Action<Settings>? configure = null)
    {
        var settings = new Settings().Site(_sandbox["site"], "cache.test").With("StaticHost:OpenFileCache:Validity", "00:10:00")
            .With("StaticHost:OpenFileCache:CheckInterval", "00:00:00");
        configure?.Invoke(settings);
        return RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, settings);
    }
}
