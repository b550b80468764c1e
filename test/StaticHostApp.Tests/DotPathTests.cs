using System.Net;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// <c>/.well-known/</c> is served by default (so <c>certbot --webroot</c> and <c>security.txt</c> work, as with nginx)
/// while every other dot-file and dot-directory stays hidden; <c>StaticHost:AllowedDotPaths</c> (or a site's own)
/// changes the list. On Kestrel over the epoll transport.
/// </summary>
public sealed class DotPathTests : IDisposable
{
    private readonly SiteSandbox _sandbox = new();

    public DotPathTests()
    {
        _sandbox.WriteFile("site/.well-known/acme-challenge/Tok3n_-abc", "TOKEN-CONTENT");
        _sandbox.WriteFile("site/.well-known/security.txt", "Contact: mailto:security@example.test");
        _sandbox.WriteFile("site/.well-known/.secret.txt", "HIDDEN-BELOW");
        _sandbox.WriteFile("site/.env", "ENV");
        _sandbox.WriteFile("site/.git/config", "GIT");
        _sandbox.WriteFile("site/.acme/a.txt", "ACME");
        _sandbox.WriteFile("site/noext", "NOEXT");
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task WellKnownIsServedByDefaultAndOtherDotPathsStayHidden()
    {
        await using var host = Start();
        Assert.Equal((HttpStatusCode.OK, "TOKEN-CONTENT"), await GetAsync(host, "/.well-known/acme-challenge/Tok3n_-abc"));
        Assert.Equal((HttpStatusCode.OK, "Contact: mailto:security@example.test"), await GetAsync(host, "/.well-known/security.txt"));

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/.well-known/.secret.txt")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/.env")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/.git/config")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/.acme/a.txt")).Status);

        // Files without an extension are still refused elsewhere (ServeUnknownFileTypes is off).
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/noext")).Status);
    }

    [Fact]
    public async Task TheListOfAllowedDotPathsIsASetting()
    {
        await using var host = Start(s => s.With("StaticHost:AllowedDotPaths:0", "/.acme/"));
        Assert.Equal((HttpStatusCode.OK, "ACME"), await GetAsync(host, "/.acme/a.txt"));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/.well-known/security.txt")).Status);
    }

    [Fact]
    public async Task OneEmptyEntryHidesEveryDotPath()
    {
        await using var host = Start(s => s.With("StaticHost:Sites:0:AllowedDotPaths:0", string.Empty));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host, "/.well-known/security.txt")).Status);
    }

    [Fact]
    public void AnAllowedDotPathThatIsNoPrefixFailsStartUpWithItsKey()
    {
        var error = Assert.ThrowsAny<Exception>(() => Start(s => s.With("StaticHost:AllowedDotPaths:0", "/.well-known")));
        Assert.Contains("StaticHost:AllowedDotPaths:0 '/.well-known' must be a path prefix", error.ToString(), StringComparison.Ordinal);
    }

    private RunningHost Start(Action<Settings>? configure = null)
    {
        var settings = new Settings().Site(_sandbox["site"], "dot.test");
        configure?.Invoke(settings);
        return RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, settings);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(RunningHost host, string path)
    {
        using var response = await host.GetAsync(path, "dot.test");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
