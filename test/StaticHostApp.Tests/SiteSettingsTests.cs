using System.Net;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Per-site settings over server-wide defaults: Cache-Control rules, extra headers, index file names, unknown file
/// types, directory listings and error pages; on TestServer and on the epoll transport.
/// </summary>
public abstract class SiteSettingsTests : IDisposable
{
    private readonly ServerKind _kind;
    private readonly SiteSandbox _sandbox = new();

    private protected SiteSettingsTests(ServerKind kind)
    {
        _kind = kind;
        _sandbox.WriteFile("one/index.html", "ONE-INDEX");
        _sandbox.WriteFile("one/default.htm", "ONE-DEFAULT");
        _sandbox.WriteFile("one/assets/app.0123abcd.js", "APP");
        _sandbox.WriteFile("one/style.css", "CSS");
        _sandbox.WriteFile("one/data.unknownext", "DATA");
        _sandbox.WriteFile("one/404.html", "<h1>ONE NOT FOUND</h1>");
        _sandbox.WriteFile("one/list/readme.txt", "README");
        _sandbox.WriteFile("one/list/.secret", "HIDDEN");
        _sandbox.CreateDirectory("one/list/sub");
        _sandbox.WriteFile("two/index.html", "TWO-INDEX");
        _sandbox.WriteFile("two/style.css", "CSS");
        _sandbox.WriteFile("two/data.unknownext", "DATA");
        _sandbox.WriteFile("two/list/readme.txt", "README");
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task CacheControlRulesOfTheSiteWinOverTheServerDefaults()
    {
        await using var host = Start(Configured());

        using var html = await host.GetAsync("/index.html", "one.test");
        Assert.Equal("no-cache", html.Headers.CacheControl?.ToString());
        using var asset = await host.GetAsync("/assets/app.0123abcd.js", "one.test");
        Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl?.ToString());
        using var index = await host.GetAsync("/", "two.test");
        Assert.Null(index.Headers.CacheControl);

        // Site two has no rules of its own: the server's apply, also to a 304.
        using var css = await host.GetAsync("/style.css", "two.test");
        Assert.Equal("max-age=60", css.Headers.CacheControl?.ToString());
        using var notModified = await host.GetAsync("/style.css", "two.test", r => r.Headers.IfNoneMatch.Add(css.Headers.ETag!));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal("max-age=60", notModified.Headers.CacheControl?.ToString());

        // Site one's rules replace the server's: its CSS matches none of them.
        using var oneCss = await host.GetAsync("/style.css", "one.test");
        Assert.Null(oneCss.Headers.CacheControl);
    }

    [Fact]
    public async Task ExtraHeadersMergeWithTheSiteWinning()
    {
        await using var host = Start(Configured());

        using var one = await host.GetAsync("/style.css", "one.test");
        Assert.Equal("nosniff", Assert.Single(one.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(one.Headers.GetValues("X-Frame-Options")));
        using var two = await host.GetAsync("/style.css", "two.test");
        Assert.Equal("nosniff", Assert.Single(two.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("SAMEORIGIN", Assert.Single(two.Headers.GetValues("X-Frame-Options")));
    }

    [Fact]
    public async Task IndexNamesAndUnknownTypesArePerSite()
    {
        await using var host = Start(Configured());

        using var one = await host.GetAsync("/", "one.test");
        Assert.Equal("ONE-DEFAULT", await one.Content.ReadAsStringAsync());
        using var two = await host.GetAsync("/", "two.test");
        Assert.Equal("TWO-INDEX", await two.Content.ReadAsStringAsync());

        using var unknownOne = await host.GetAsync("/data.unknownext", "one.test");
        Assert.Equal(HttpStatusCode.OK, unknownOne.StatusCode);
        Assert.Equal("text/plain", unknownOne.Content.Headers.ContentType?.MediaType);
        using var unknownTwo = await host.GetAsync("/data.unknownext", "two.test");
        Assert.Equal(HttpStatusCode.NotFound, unknownTwo.StatusCode);
    }

    [Fact]
    public async Task DirectoryListingIsOptInAndHidesDotEntries()
    {
        await using var host = Start(Configured());

        using var listing = await host.GetAsync("/list/", "one.test");
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        var html = await listing.Content.ReadAsStringAsync();
        Assert.Contains("readme.txt", html, StringComparison.Ordinal);
        Assert.Contains("sub/", html, StringComparison.Ordinal);
        Assert.DoesNotContain(".secret", html, StringComparison.Ordinal);

        using var off = await host.GetAsync("/list/", "two.test");
        Assert.Equal(HttpStatusCode.NotFound, off.StatusCode);
    }

    [Fact]
    public async Task ErrorPagesAreServedWithTheirStatusFromTheSiteRoot()
    {
        await using var host = Start(Configured());

        using var notFound = await host.GetAsync("/missing", "one.test");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("<h1>ONE NOT FOUND</h1>", await notFound.Content.ReadAsStringAsync());
        Assert.Equal("text/html", notFound.Content.Headers.ContentType?.MediaType);

        // 405 keeps its Allow header and gets the same page (configured for 405 too).
        using var notAllowed = await host.SendAsync(HttpMethod.Post, "/style.css", "one.test");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, notAllowed.StatusCode);
        Assert.Equal("GET, HEAD", notAllowed.Content.Headers.Allow.Count > 0 ? string.Join(", ", notAllowed.Content.Headers.Allow) : string.Join(", ", notAllowed.Headers.GetValues("Allow")));
        Assert.Equal("<h1>ONE NOT FOUND</h1>", await notAllowed.Content.ReadAsStringAsync());

        using var head = await host.SendAsync(HttpMethod.Head, "/missing", "one.test");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal("<h1>ONE NOT FOUND</h1>".Length, head.Content.Headers.ContentLength);

        // Site two points its 404 at a page it does not have: the error stays empty.
        using var twoMissing = await host.GetAsync("/missing", "two.test");
        Assert.Equal(HttpStatusCode.NotFound, twoMissing.StatusCode);
        Assert.Empty(await twoMissing.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("StaticHost:Sites:0:CacheControl:0:Match", "html", "StaticHost:Sites:0:CacheControl:0:Match 'html'")]
    [InlineData("StaticHost:ErrorPages:200", "/ok.html", "StaticHost:ErrorPages:200 is not an error status")]
    [InlineData("StaticHost:Sites:0:ErrorPages:404", "404.html", "StaticHost:Sites:0:ErrorPages:404 '404.html' must be a path")]
    [InlineData("StaticHost:Sites:0:Headers:Bad Name", "x", "Header name 'Bad Name'")]
    [InlineData("StaticHost:Sites:0:IndexFiles:0", "sub/index.html", "StaticHost:Sites:0:IndexFiles 'sub/index.html' is not a file name")]
    public void InvalidSettingsFailStartUpNamingTheKey(string key, string value, string expected)
    {
        var exception = Assert.ThrowsAny<Exception>(() =>
        {
            var host = Start(new Settings().Site(_sandbox["one"], "one.test").With(key, value));
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });

        Assert.Contains(expected, exception.ToString(), StringComparison.Ordinal);
    }

    private Settings Configured() => new Settings()
        .Site(_sandbox["one"], "one.test")
        .Site(_sandbox["two"], "two.test")
        .With("StaticHost:CacheControl:0:Match", "*.css")
        .With("StaticHost:CacheControl:0:Value", "max-age=60")
        .With("StaticHost:Headers:X-Content-Type-Options", "nosniff")
        .With("StaticHost:Headers:X-Frame-Options", "SAMEORIGIN")
        .With("StaticHost:Sites:0:CacheControl:0:Match", "*.html")
        .With("StaticHost:Sites:0:CacheControl:0:Value", "no-cache")
        .With("StaticHost:Sites:0:CacheControl:1:Match", "/assets/*")
        .With("StaticHost:Sites:0:CacheControl:1:Value", "public, max-age=31536000, immutable")
        .With("StaticHost:Sites:0:Headers:X-Frame-Options", "DENY")
        .With("StaticHost:Sites:0:IndexFiles:0", "default.htm")
        .With("StaticHost:Sites:0:IndexFiles:1", "index.html")
        .With("StaticHost:Sites:0:ServeUnknownFileTypes", "true")
        .With("StaticHost:Sites:0:DefaultContentType", "text/plain")
        .With("StaticHost:Sites:0:DirectoryListing", "true")
        .With("StaticHost:Sites:0:ErrorPages:404", "/404.html")
        .With("StaticHost:Sites:0:ErrorPages:405", "/404.html")
        .With("StaticHost:Sites:1:ErrorPages:404", "/no-such-page.html");

    private RunningHost Start(Settings settings) => RunningHost.Start(_kind, _sandbox.Path, settings);

    /// <summary>On the in-memory TestServer.</summary>
    public sealed class OnTestServer() : SiteSettingsTests(ServerKind.TestServer);

    /// <summary>On real Kestrel over the epoll transport.</summary>
    public sealed class OnKestrel() : SiteSettingsTests(ServerKind.Kestrel);
}
