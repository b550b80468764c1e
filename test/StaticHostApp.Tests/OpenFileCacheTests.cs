using System.Net;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// The open-file cache (<c>StaticHost:OpenFileCache</c>): off by default; when on, one descriptor per hot file is
/// kept for the validity and then dropped, and none is left once the host stops.
/// </summary>
public abstract class OpenFileCacheTests : IDisposable
{
    private readonly ServerKind _kind;
    private readonly SiteSandbox _sandbox = new();

    private protected OpenFileCacheTests(ServerKind kind)
    {
        _kind = kind;
        _sandbox.WriteFile("site/file.txt", "FIRST");
        _sandbox.WriteFile("site/next.txt", "SECOND");
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task OffByDefaultAReplacedFileIsSeenAtOnce()
    {
        await using var host = Start(validity: null);
        Assert.Equal("FIRST", await GetAsync(host));

        File.Move(_sandbox["site/next.txt"], _sandbox["site/file.txt"], overwrite: true);

        Assert.Equal("SECOND", await GetAsync(host));

        // A request lets go of its descriptor when its branch ends, which may be just after the client has the
        // response: wait (bounded) until no descriptor refers to either file.
        await NoDescriptorRefersToAsync(_sandbox["site/file.txt"]);
    }

    [Fact]
    public async Task ACachedFileKeepsOneDescriptorForEveryRequestAndNoneAfterStop()
    {
        var path = _sandbox["site/file.txt"];
        await using (var host = Start(validity: "00:05:00"))
        {
            for (int i = 0; i < 20; i++)
            {
                Assert.Equal("FIRST", await GetAsync(host));
            }

            Assert.Single(ProcessDescriptors.Referring(path));

            // Within the validity the cached file is what is served, even though the path now names another file.
            File.Move(_sandbox["site/next.txt"], path, overwrite: true);
            Assert.Equal("FIRST", await GetAsync(host));
        }

        // The factory's disposal may return before the app's host has disposed the sites (and their caches).
        await NoDescriptorRefersToAsync(path);
    }

    [Fact]
    public async Task AfterTheValidityAChangedPathIsSeen()
    {
        await using var host = Start(validity: "00:00:00.100");
        Assert.Equal("FIRST", await GetAsync(host));

        File.Move(_sandbox["site/next.txt"], _sandbox["site/file.txt"], overwrite: true);

        // Until the cached entry expires the old file may still be served, but never anything else.
        await Eventually.WaitAsync(
            async () =>
            {
                string body = await GetAsync(host);
                Assert.Contains(body, new[] { "FIRST", "SECOND" });
                return body == "SECOND";
            },
            "the replaced file to be served");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task AnExpiredFileNobodyAsksForAgainIsClosed()
    {
        var path = _sandbox["site/file.txt"];
        await using var host = Start(validity: "00:00:00.100");
        Assert.Equal("FIRST", await GetAsync(host));

        // No other request comes: the cache lets go of the expired descriptor by itself.
        await NoDescriptorRefersToAsync(path);
    }

    [Fact]
    public void InvalidCacheSettingsFailStartUp()
    {
        var exception = Assert.ThrowsAny<Exception>(() =>
            Start(validity: "00:00:01", configure: s => s.With("StaticHost:OpenFileCache:MaxFiles", "0")).DisposeAsync().AsTask().GetAwaiter().GetResult());
        Assert.Contains("StaticHost:OpenFileCache", exception.ToString(), StringComparison.Ordinal);
    }

    private static Task NoDescriptorRefersToAsync(string path) =>
        Eventually.WaitAsync(() => ProcessDescriptors.Referring(path).Count == 0, $"no descriptor referring to {path}");

    private RunningHost Start(string? validity, Action<Settings>? configure = null)
    {
        var settings = new Settings().Site(_sandbox["site"], "cache.test");
        if (validity is not null)
        {
            settings.With("StaticHost:OpenFileCache:Validity", validity);
        }

        configure?.Invoke(settings);
        return RunningHost.Start(_kind, _sandbox.Path, settings);
    }

    private static async Task<string> GetAsync(RunningHost host)
    {
        using var response = await host.GetAsync("/file.txt", "cache.test");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>On the in-memory TestServer.</summary>
    public sealed class OnTestServer() : OpenFileCacheTests(ServerKind.TestServer);

    /// <summary>On real Kestrel over the epoll transport.</summary>
    public sealed class OnKestrel() : OpenFileCacheTests(ServerKind.Kestrel);
}
