using StaticHostApp.Files;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Unit;

/// <summary>
/// The open-file cache's check interval: a hit relies on the last check that found the cached file unchanged in place
/// for that long, and checks again (one statx on the descriptor) once it has passed; zero checks on every hit.
/// </summary>
public sealed class OpenFileCacheCheckIntervalTests : IDisposable
{
    private static readonly TimeSpan Validity = TimeSpan.FromMinutes(10);
    private readonly SiteSandbox _sandbox = new();

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void WithNoIntervalEveryHitSeesAFileChangedInPlace()
    {
        var path = _sandbox.WriteFile("site/file.txt", "FIRST");
        using var cache = new OpenFileCache(Validity, capacity: 10, checkInterval: TimeSpan.Zero);
        using var files = new SiteFileProvider(_sandbox["site"], followSymlinksOutsideRoot: false, cache: cache);
        Assert.Equal(5, files.GetFileInfo("/file.txt").Length);

        FileSystemCalls.OverwriteInPlace(path, "SECOND-AND-LONGER");

        Assert.Equal(17, files.GetFileInfo("/file.txt").Length);
    }

    [Fact]
    public void WithinTheIntervalAHitReliesOnTheLastCheck()
    {
        var path = _sandbox.WriteFile("site/file.txt", "FIRST");
        using var cache = new OpenFileCache(Validity, capacity: 10, checkInterval: Validity);
        using var files = new SiteFileProvider(_sandbox["site"], followSymlinksOutsideRoot: false, cache: cache);
        Assert.Equal(5, files.GetFileInfo("/file.txt").Length);

        FileSystemCalls.OverwriteInPlace(path, "SECOND-AND-LONGER");

        // Not looked at again: the description the cache holds is the one checked (at open) under ten minutes ago.
        Assert.Equal(5, files.GetFileInfo("/file.txt").Length);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task AfterTheIntervalAHitChecksAgainAndSeesTheChange()
    {
        var interval = TimeSpan.FromMilliseconds(50);
        var path = _sandbox.WriteFile("site/file.txt", "FIRST");
        using var cache = new OpenFileCache(Validity, capacity: 10, checkInterval: interval);
        using var files = new SiteFileProvider(_sandbox["site"], followSymlinksOutsideRoot: false, cache: cache);
        Assert.Equal(5, files.GetFileInfo("/file.txt").Length);
        var checkedBefore = System.Diagnostics.Stopwatch.GetTimestamp();

        FileSystemCalls.OverwriteInPlace(path, "SECOND-AND-LONGER");

        // Every look-up until the interval has passed may still get the cached description; the first one after it
        // must see the new length.
        await Eventually.WaitAsync(
            () => System.Diagnostics.Stopwatch.GetElapsedTime(checkedBefore) > interval,
            "the check interval to pass");
        Assert.Equal(17, files.GetFileInfo("/file.txt").Length);
    }
}
