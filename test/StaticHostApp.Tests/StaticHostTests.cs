using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// The static host's behaviour, run once on TestServer and once on real Kestrel over the epoll transport (the two
/// derived classes). Every test builds its own site roots in a sandbox and starts its own host.
/// </summary>
public abstract class StaticHostTests : IDisposable
{
    private protected StaticHostTests(ServerKind kind)
    {
        Kind = kind;
        Sites = new StandardSites(Sandbox);
    }

    /// <summary>The server this run uses.</summary>
    protected ServerKind Kind { get; }

    /// <summary>This test's directory tree.</summary>
    protected SiteSandbox Sandbox { get; } = new();

    /// <summary>The standard two-site layout inside <see cref="Sandbox"/>.</summary>
    protected StandardSites Sites { get; }

    /// <summary>Starts the app with the sandbox as content root.</summary>
    protected RunningHost Start(Settings settings, Action<IServiceCollection>? services = null) =>
        RunningHost.Start(Kind, Sandbox.Path, settings, services);

    /// <summary>Starts the app with the standard sites.</summary>
    protected RunningHost StartStandard() => Start(Sites.Settings());

    [Fact]
    public async Task ServesAFileWithTypeLengthEtagAndLastModified()
    {
        await using var host = StartStandard();

        using var response = await host.GetAsync("/style.css", "example.test");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("body { color: #123456; }", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/css", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new FileInfo(Sandbox["example/style.css"]).Length, response.Content.Headers.ContentLength);
        Assert.NotNull(response.Headers.ETag);
        Assert.False(response.Headers.ETag.IsWeak);

        var lastModified = Assert.Single(response.Content.Headers.GetValues("Last-Modified"));
        var mtime = File.GetLastWriteTimeUtc(Sandbox["example/style.css"]);
        var expected = new DateTimeOffset(mtime.Ticks - (mtime.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        Assert.Equal(expected, DateTimeOffset.ParseExact(lastModified, "r", CultureInfo.InvariantCulture));
        Assert.Equal(expected.ToString("r", CultureInfo.InvariantCulture), lastModified);
    }

    [Fact]
    public async Task HostMatchingIgnoresCasePortAndOneTrailingDot()
    {
        await using var host = StartStandard();

        string[] exampleHosts =
        [
            "example.test", "EXAMPLE.TEST", "Example.Test", "example.test:8080", "example.test.", "EXAMPLE.test.:443",
            "www.example.test", "WWW.Example.Test:1",
        ];
        foreach (var name in exampleHosts)
        {
            using var response = await host.GetAsync("/", name);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"Host {name}: {response.StatusCode}");
            Assert.Equal("EXAMPLE-INDEX", await response.Content.ReadAsStringAsync());
        }

        foreach (var name in new[] { "docs.test", "DOCS.TEST.:80" })
        {
            using var response = await host.GetAsync("/", name);
            Assert.Equal("DOCS-INDEX", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task ConfiguredIdnNameMatchesItsPunycodeForm()
    {
        await using var host = StartStandard();

        foreach (var name in new[] { "xn--bcher-kva.test", "XN--BCHER-KVA.TEST.:8443" })
        {
            using var response = await host.GetAsync("/", name);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"Host {name}: {response.StatusCode}");
            Assert.Equal("EXAMPLE-INDEX", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task UnknownHostWithoutDefaultSiteIs421()
    {
        await using var host = StartStandard();

        foreach (var name in new[] { "other.test", "xexample.test", "example.testx", "test", "127.0.0.1", "example.test.local" })
        {
            using var response = await host.GetAsync("/index.html", name);
            Assert.True(response.StatusCode == HttpStatusCode.MisdirectedRequest, $"Host {name}: {response.StatusCode}");
            Assert.DoesNotContain("INDEX", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UnknownHostGoesToTheDefaultSiteWhenSet()
    {
        await using var host = Start(Sites.Settings().With("StaticHost:DefaultSite", "DOCS.test."));

        using var unknown = await host.GetAsync("/", "other.test");
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal("DOCS-INDEX", await unknown.Content.ReadAsStringAsync());

        // Known hosts still go to their own site.
        using var known = await host.GetAsync("/", "example.test");
        Assert.Equal("EXAMPLE-INDEX", await known.Content.ReadAsStringAsync());
    }

    [Fact]
    public void StartFailsWhenARootDirectoryIsMissing()
    {
        var missing = Sandbox["nope"];
        var message = StartFailure(new Settings().Site(missing, "a.test"));
        Assert.Contains("StaticHost:Sites:0:Root", message, StringComparison.Ordinal);
        Assert.Contains(missing, message, StringComparison.Ordinal);
        Assert.Contains("does not exist", message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartFailsWhenTwoSitesClaimAHost()
    {
        var message = StartFailure(new Settings()
            .Site(Sites.ExampleRoot, "a.test", "shared.test")
            .Site(Sites.DocsRoot, "SHARED.test."));
        Assert.Contains("'shared.test' is claimed by two sites", message, StringComparison.Ordinal);
        Assert.Contains("StaticHost:Sites:0 and StaticHost:Sites:1", message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartFailsWhenDefaultSiteNamesNoSite()
    {
        var message = StartFailure(Sites.Settings().With("StaticHost:DefaultSite", "nowhere.test"));
        Assert.Contains("StaticHost:DefaultSite 'nowhere.test' names no site", message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartFailsWhenNoSiteIsConfigured()
    {
        var message = StartFailure(new Settings());
        Assert.Contains("StaticHost:Sites is empty", message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartFailsWhenASiteHasNoHostsOrAHostHasAPort()
    {
        var settings = new Settings().Site(Sites.ExampleRoot).Site(Sites.DocsRoot, "docs.test:8080");
        var message = StartFailure(settings);
        Assert.Contains("StaticHost:Sites:0:Hosts is empty", message, StringComparison.Ordinal);
        Assert.Contains("StaticHost:Sites:1:Hosts:0 'docs.test:8080' must be a host name without a port", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadCarriesTheHeadersWithoutABody()
    {
        await using var host = StartStandard();
        using var get = await host.GetAsync("/file.txt", "example.test");

        using var head = await host.SendAsync(HttpMethod.Head, "/file.txt", "example.test");

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(StandardSites.FileText.Length, head.Content.Headers.ContentLength);
        Assert.Equal("text/plain", head.Content.Headers.ContentType?.MediaType);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(get.Content.Headers.LastModified, head.Content.Headers.LastModified);
        Assert.NotNull(head.Content.Headers.LastModified);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task IfNoneMatchAndIfModifiedSinceGive304()
    {
        await using var host = StartStandard();
        using var first = await host.GetAsync("/style.css", "example.test");
        var etag = first.Headers.ETag!;
        var lastModified = first.Content.Headers.LastModified!.Value;

        using var byEtag = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfNoneMatch.Add(etag));
        Assert.Equal(HttpStatusCode.NotModified, byEtag.StatusCode);
        Assert.Empty(await byEtag.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, byEtag.Headers.ETag);

        using var byDate = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfModifiedSince = lastModified);
        Assert.Equal(HttpStatusCode.NotModified, byDate.StatusCode);

        // A stale validator still gets the file.
        using var stale = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"stale\"")));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        using var older = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfModifiedSince = lastModified.AddDays(-1));
        Assert.Equal(HttpStatusCode.OK, older.StatusCode);
    }

    [Fact]
    public async Task IfMatchAndIfUnmodifiedSinceGive412()
    {
        await using var host = StartStandard();
        using var first = await host.GetAsync("/style.css", "example.test");
        var lastModified = first.Content.Headers.LastModified!.Value;

        using var wrongEtag = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfMatch.Add(new EntityTagHeaderValue("\"other\"")));
        Assert.Equal(HttpStatusCode.PreconditionFailed, wrongEtag.StatusCode);

        using var modifiedSince = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfUnmodifiedSince = lastModified.AddDays(-1));
        Assert.Equal(HttpStatusCode.PreconditionFailed, modifiedSince.StatusCode);

        using var matching = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfMatch.Add(first.Headers.ETag!));
        Assert.Equal(HttpStatusCode.OK, matching.StatusCode);
    }

    [Fact]
    public async Task RangeGives206AndUnsatisfiableRangeGives416()
    {
        await using var host = StartStandard();
        var length = StandardSites.FileText.Length;

        using var partial = await host.GetAsync("/file.txt", "example.test", r => r.Headers.Range = new RangeHeaderValue(2, 5));
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("2345", await partial.Content.ReadAsStringAsync());
        Assert.Equal($"bytes 2-5/{length}", partial.Content.Headers.ContentRange?.ToString());
        Assert.Equal(4, partial.Content.Headers.ContentLength);

        using var suffix = await host.GetAsync("/file.txt", "example.test", r => r.Headers.Range = new RangeHeaderValue(null, 3));
        Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
        Assert.Equal("hij", await suffix.Content.ReadAsStringAsync());

        using var unsatisfiable = await host.GetAsync("/file.txt", "example.test", r => r.Headers.Range = new RangeHeaderValue(1000, 2000));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Equal($"bytes */{length}", unsatisfiable.Content.Headers.ContentRange?.ToString());
        Assert.Empty(await unsatisfiable.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task DirectoryWithIndexServesItAndRedirectsWithoutSlashWith301()
    {
        await using var host = StartStandard();

        using var index = await host.GetAsync("/sub/", "example.test");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("SUB-INDEX", await index.Content.ReadAsStringAsync());
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);

        using var redirect = await host.GetAsync("/sub?x=1", "example.test");
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.NotNull(redirect.Headers.Location);
        var location = redirect.Headers.Location.IsAbsoluteUri ? redirect.Headers.Location.PathAndQuery : redirect.Headers.Location.OriginalString;
        Assert.Equal("/sub/?x=1", location);

        // A directory without an index file is not listed.
        using var noIndex = await host.GetAsync("/noindex/", "example.test");
        Assert.Equal(HttpStatusCode.NotFound, noIndex.StatusCode);
    }

    [Fact]
    public async Task OtherMethodsOnAStaticPathGive405WithAllow()
    {
        await using var host = StartStandard();

        foreach (var (method, path) in new[] { ("POST", "/style.css"), ("PUT", "/file.txt"), ("DELETE", "/"), ("OPTIONS", "/sub/"), ("PATCH", "/sub") })
        {
            using var response = await host.SendAsync(new HttpMethod(method), path, "example.test", r => r.Content = new StringContent("x"));
            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {response.StatusCode}");
            Assert.Equal("GET, HEAD", string.Join(", ", response.Content.Headers.Allow));
        }

        // No such resource: 404, as nginx does.
        using var missing = await host.SendAsync(HttpMethod.Post, "/missing.txt", "example.test");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task UnknownExtensionIs404UnlessServeUnknownFileTypes()
    {
        await using (var host = StartStandard())
        {
            using var response = await host.GetAsync("/data.unknownext", "example.test");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        await using (var host = Start(Sites.Settings().With("StaticHost:ServeUnknownFileTypes", "true")))
        {
            using var response = await host.GetAsync("/data.unknownext", "example.test");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("DATA", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task DotFilesAndDotDirectoriesAreHidden()
    {
        await using var host = StartStandard();

        foreach (var path in new[] { "/.hidden", "/.git/config", "/.git/", "/sub/.env", "/%2Ehidden" })
        {
            using var response = await host.GetAsync(path, "example.test");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task SymlinkOutOfTheRootIs404ButInsideIsServed()
    {
        await using var host = StartStandard();

        foreach (var path in new[] { "/link-out.txt", "/link-abs.txt", "/linkdir/page.html", "/linkdir/" })
        {
            using var response = await host.GetAsync(path, "example.test");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
            Assert.DoesNotContain(Sites.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var inside = await host.GetAsync("/link-in.txt", "example.test");
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        Assert.Equal(StandardSites.FileText, await inside.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SymlinksInsideTheRootAreFollowedAtAnyDepthAndFromALinkedRoot()
    {
        Sandbox.CreateSymlink("example/sublink", "sub");
        Sandbox.CreateSymlink("example/noindex/up.txt", "../file.txt");
        Sandbox.CreateSymlink("example-link", "example");
        await using var host = Start(new Settings().Site(Sandbox["example-link"], "example.test"));

        foreach (var (path, body) in new[]
        {
            ("/sublink/index.html", "SUB-INDEX"), ("/sublink/", "SUB-INDEX"), ("/noindex/up.txt", StandardSites.FileText),
            ("/link-in.txt", StandardSites.FileText), ("/file.txt", StandardSites.FileText),
        })
        {
            using var response = await host.GetAsync(path, "example.test");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
            Assert.Equal(body, await response.Content.ReadAsStringAsync());
        }

        // A link to a file is no directory, and confinement still applies through a linked root.
        foreach (var path in new[] { "/link-in.txt/", "/link-out.txt", "/linkdir/page.html" })
        {
            using var response = await host.GetAsync(path, "example.test");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
            Assert.DoesNotContain(Sites.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AbsoluteSymlinksThatStayInsideTheRootAreServed()
    {
        // The kernel's confined open refuses absolute links outright; these are resolved and confined in user space.
        Sandbox.CreateSymlink("example/abs-in.txt", Sandbox["example/file.txt"]);
        Sandbox.CreateSymlink("example/abs-sub", Sandbox["example/sub"]);
        await using var host = StartStandard();

        foreach (var (path, body) in new[] { ("/abs-in.txt", StandardSites.FileText), ("/abs-sub/index.html", "SUB-INDEX"), ("/abs-sub/", "SUB-INDEX") })
        {
            using var response = await host.GetAsync(path, "example.test");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal(body, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task SymlinkOutOfTheRootIsServedWhenConfigured()
    {
        // Proves the links above really lead to the secret, so their 404 is the confinement at work.
        await using var host = Start(Sites.Settings().With("StaticHost:FollowSymlinksOutsideRoot", "true"));

        using var response = await host.GetAsync("/link-out.txt", "example.test");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Sites.Secret, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SpecialFilesAreNotServed()
    {
        // Opening a FIFO for reading blocks until a writer appears; a web server must not even try.
        var fifo = Sandbox["example/pipe.txt"];
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            Assert.True(mkfifo.WaitForExit(10_000) && mkfifo.ExitCode == 0, "mkfifo failed");
        }

        await using var host = StartStandard();

        using var get = await host.GetAsync("/pipe.txt", "example.test");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var head = await host.SendAsync(HttpMethod.Head, "/pipe.txt", "example.test");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task EncodedTraversalThroughTheClientNeverEscapes()
    {
        await using var host = StartStandard();

        // HttpClient keeps percent-encoding as written; what it does normalise (and %00, which TestServer's client
        // refuses to decode) is covered by the raw-socket table on Kestrel.
        foreach (var path in new[] { "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/sub/%2e%2e/%2e%2e/secret.txt" })
        {
            using var response = await host.GetAsync(path, "example.test");
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
            Assert.DoesNotContain(Sites.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RequestLogWritesOneLinePerRequestWhenEnabled()
    {
        var settings = Sites.Settings()
            .With("StaticHost:RequestLog:Enabled", "true")
            .With("StaticHost:RequestLog:Directory", "logs")
            .With("StaticHost:RequestLog:FileName", "access")
            .With("StaticHost:RequestLog:FlushInterval", "00:00:00.050");
        await using var host = Start(settings);
        (await host.GetAsync("/style.css?v=1", "example.test")).Dispose();
        (await host.GetAsync("/missing", "docs.test")).Dispose();

        // The W3C logger writes from a background queue; wait (bounded) for both lines to reach the file.
        string[] entries = [];
        string[] fields = [];
        await Eventually.WaitAsync(() =>
        {
            var file = Directory.Exists(Sandbox["logs"]) ? Directory.GetFiles(Sandbox["logs"], "access*.txt").SingleOrDefault() : null;
            var lines = file is null ? [] : ReadShared(file);
            fields = lines.FirstOrDefault(l => l.StartsWith("#Fields:", StringComparison.Ordinal))?.Split(' ')[1..] ?? [];
            entries = lines.Where(l => !l.StartsWith('#')).ToArray();
            return entries.Length >= 2;
        }, "two request-log lines");

        Assert.Equal(2, entries.Length);
        var first = entries[0].Split(' ');
        var second = entries[1].Split(' ');
        string Field(string[] entry, string name) => entry[Array.IndexOf(fields, name)];

        Assert.Equal("GET", Field(first, "cs-method"));
        Assert.Equal("/style.css", Field(first, "cs-uri-stem"));
        Assert.Equal("200", Field(first, "sc-status"));
        Assert.Equal("example.test", Field(first, "cs-host"));
        Assert.Equal("/missing", Field(second, "cs-uri-stem"));
        Assert.Equal("404", Field(second, "sc-status"));
        Assert.Equal("docs.test", Field(second, "cs-host"));

        static string[] ReadShared(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
    }

    [Fact]
    public async Task RequestLogCanBeSwitchedOff()
    {
        var settings = Sites.Settings()
            .With("StaticHost:RequestLog:Enabled", "false")
            .With("StaticHost:RequestLog:Directory", "logs");
        await using (var host = Start(settings))
        {
            using var response = await host.GetAsync("/", "example.test");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.False(Directory.Exists(Sandbox["logs"]));
    }

    [Fact]
    public async Task KestrelLimitsAreBoundFromConfiguration()
    {
        await using var host = Start(Sites.Settings()
            .With("Kestrel:Limits:KeepAliveTimeout", "00:00:42")
            .With("Kestrel:Limits:RequestHeadersTimeout", "00:00:07"));

        var limits = host.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits;
        Assert.Equal(TimeSpan.FromSeconds(42), limits.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), limits.RequestHeadersTimeout);
    }

    [Fact]
    public async Task SampleConfigurationServesTheSampleSitesWithDocumentedTimeouts()
    {
        // No content root override: the app's own appsettings.json and www/ (WebApplicationFactory points the
        // content root at the project directory). The request log is off so the test writes nothing there.
        await using var host = RunningHost.Start(Kind, contentRoot: null, new Settings());

        using var docs = await host.GetAsync("/", "docs.test");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("<h1>docs.test</h1>", await docs.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var css = await host.GetAsync("/css/site.css", "www.example.test");
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);

        using var blog = await host.GetAsync("/blog", "example.test");
        Assert.Equal(HttpStatusCode.MovedPermanently, blog.StatusCode);

        // DefaultSite is example.test.
        using var unknown = await host.GetAsync("/", "unknown.test");
        Assert.Contains("<h1>example.test</h1>", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var limits = host.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits;
        Assert.Equal(TimeSpan.FromSeconds(75), limits.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), limits.RequestHeadersTimeout);
    }

    [Fact]
    public async Task MissingPathsAndPathsThroughAFileAre404()
    {
        await using var host = StartStandard();

        // ENOENT and ENOTDIR (a file used as a directory).
        foreach (var path in new[] { "/missing.html", "/missing/", "/sub/missing.css", "/file.txt/", "/file.txt/x", "/style.css/index.html" })
        {
            using var response = await host.GetAsync(path, "example.test");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task AFileThatVanishedIs404AndLoggedAtDebugNot500()
    {
        var logs = new LogRecorder();
        await using var host = Start(Sites.Settings(), services => services.AddLogging(b => b.AddProvider(logs)));

        using var before = await host.GetAsync("/file.txt", "example.test");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        File.Delete(Sandbox["example/file.txt"]);

        using var after = await host.GetAsync("/file.txt", "example.test");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        Assert.DoesNotContain(logs.All, e => e.Level >= LogLevel.Error);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Sandbox.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts a host that must fail and returns every message in the exception chain.</summary>
    private string StartFailure(Settings settings)
    {
        var exception = Assert.ThrowsAny<Exception>(() =>
        {
            var host = Start(settings);
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });

        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
        }

        var all = string.Join(Environment.NewLine, messages);
        Assert.True(all.Contains("StaticHost", StringComparison.Ordinal), exception.ToString());
        return all;
    }
}
