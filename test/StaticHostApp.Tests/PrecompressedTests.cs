using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Precompressed siblings (<c>file.br</c>, <c>file.gz</c>): chosen by Accept-Encoding with q-values, served with the
/// original's type, Content-Encoding and Vary, their own ETag, ranges and 304s; on TestServer and on the epoll
/// transport (where the body goes by sendfile like any file).
/// </summary>
public abstract class PrecompressedTests : IDisposable
{
    private const string Script = "function greet() { return 'hello, precompressed world'; } // padding padding padding padding";

    private readonly ServerKind _kind;
    private readonly SiteSandbox _sandbox = new();
    private readonly byte[] _gzip;
    private readonly byte[] _brotli;

    private protected PrecompressedTests(ServerKind kind)
    {
        _kind = kind;
        var modified = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        _sandbox.WriteFile("site/app.js", Script, modified);
        _gzip = Compress(Script, stream => new GZipStream(stream, CompressionLevel.SmallestSize));
        _brotli = Compress(Script, stream => new BrotliStream(stream, CompressionLevel.SmallestSize));
        _sandbox.WriteFile("site/app.js.gz", _gzip, modified.AddSeconds(1));
        _sandbox.WriteFile("site/app.js.br", _brotli, modified.AddSeconds(1));
        _sandbox.WriteFile("site/index.html", "INDEX", modified);
        _sandbox.WriteFile("site/index.html.gz", Compress("INDEX", s => new GZipStream(s, CompressionLevel.SmallestSize)), modified);
        _sandbox.WriteFile("site/stale.css", "body { }", modified);
        _sandbox.WriteFile("site/stale.css.gz", Compress("body { color: red }", s => new GZipStream(s, CompressionLevel.SmallestSize)), modified.AddDays(-1));
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WithTheOpenFileCacheASiblingAskedForByItsOwnPathIsServedAsItself(bool siblingFirst)
    {
        await using var host = Start(s => s.With("StaticHost:OpenFileCache:Validity", "00:05:00"));

        for (int round = 0; round < 2; round++)
        {
            if (siblingFirst || round > 0)
            {
                using var direct = await GetAsync(host, "/app.js.gz", acceptEncoding: "");
                Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
                Assert.Empty(direct.Content.Headers.ContentEncoding);
                Assert.NotEqual("text/javascript", direct.Content.Headers.ContentType?.MediaType);
                Assert.Equal(_gzip, await direct.Content.ReadAsByteArrayAsync());
            }

            using var asSibling = await GetAsync(host, "/app.js", "gzip");
            Assert.Equal(HttpStatusCode.OK, asSibling.StatusCode);
            Assert.Equal(["gzip"], asSibling.Content.Headers.ContentEncoding);
            Assert.Equal("text/javascript", asSibling.Content.Headers.ContentType?.MediaType);
            Assert.Equal(_gzip, await asSibling.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task WithTheOpenFileCacheAMissingSiblingIsRememberedForTheValidityButNotForItsOwnPath()
    {
        var (host, gzip) = await StartWithAMissingSiblingCachedAsync("00:05:00");
        await using var _ = host;

        // Within the validity the sibling's absence stands (the original is still a correct answer)...
        using (var cached = await GetAsync(host, "/plain.txt", "gzip"))
        {
            Assert.Empty(cached.Content.Headers.ContentEncoding);
            Assert.Equal("PLAIN", await cached.Content.ReadAsStringAsync());
        }

        // ...but asked for by its own path, the new file is served at once.
        using var direct = await GetAsync(host, "/plain.txt.gz", acceptEncoding: "");
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(gzip, await direct.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task WithTheOpenFileCacheASiblingThatAppearsIsUsedAfterTheValidity()
    {
        var (host, gzip) = await StartWithAMissingSiblingCachedAsync("00:00:00.100");
        await using var _ = host;

        await Eventually.WaitAsync(
            async () =>
            {
                using var response = await GetAsync(host, "/plain.txt", "gzip");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                if (response.Content.Headers.ContentEncoding.Count == 0)
                {
                    return false;
                }

                Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
                Assert.Equal(gzip, await response.Content.ReadAsByteArrayAsync());
                return true;
            },
            "the new sibling to be served");
    }

    [Theory]
    [InlineData("gzip", "gzip")]
    [InlineData("gzip, deflate, br", "br")]
    [InlineData("br;q=0.5, gzip;q=0.8", "gzip")]
    [InlineData("BR;Q=1, GZIP", "br")]
    [InlineData("br;q=0, gzip", "gzip")]
    [InlineData("*", "br")]
    [InlineData("*;q=0.5, br;q=0", "gzip")]
    [InlineData("x-gzip", "gzip")]
    [InlineData("deflate", null)]
    [InlineData("gzip;q=0, br;q=0", null)]
    [InlineData("", null)]
    public async Task TheBestAcceptedSiblingIsServedWithTheOriginalType(string acceptEncoding, string? expected)
    {
        await using var host = Start();

        using var response = await GetAsync(host, "/app.js", acceptEncoding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(expected switch { "br" => _brotli, "gzip" => _gzip, _ => System.Text.Encoding.UTF8.GetBytes(Script) }, body);
        Assert.Equal(expected is null ? [] : [expected], response.Content.Headers.ContentEncoding);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
    }

    [Fact]
    public async Task EachCodingHasItsOwnEtagAndRevalidatesTo304()
    {
        await using var host = Start();
        using var plain = await GetAsync(host, "/app.js", "");
        using var gzip = await GetAsync(host, "/app.js", "gzip");
        using var brotli = await GetAsync(host, "/app.js", "br");
        var tags = new[] { plain, gzip, brotli }.Select(r => r.Headers.ETag!.Tag).ToList();
        Assert.Equal(3, tags.Distinct().Count());

        using var notModified = await GetAsync(host, "/app.js", "br", r => r.Headers.IfNoneMatch.Add(brotli.Headers.ETag!));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Contains("Accept-Encoding", notModified.Headers.Vary);

        // The gzip representation's tag does not match the brotli one the client now gets.
        using var changed = await GetAsync(host, "/app.js", "br", r => r.Headers.IfNoneMatch.Add(gzip.Headers.ETag!));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(_brotli, await changed.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ARangeAppliesToTheCompressedBytes()
    {
        await using var host = Start();

        using var response = await GetAsync(host, "/app.js", "gzip", r => r.Headers.Range = new RangeHeaderValue(2, 9));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(_gzip[2..10], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Equal($"bytes 2-9/{_gzip.Length}", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task HeadAndIndexFilesGetTheSiblingToo()
    {
        await using var host = Start();

        using var head = await SendAsync(host, HttpMethod.Head, "/app.js", "gzip");
        Assert.Equal(_gzip.Length, head.Content.Headers.ContentLength);
        Assert.Equal(["gzip"], head.Content.Headers.ContentEncoding);

        using var index = await GetAsync(host, "/", "gzip");
        Assert.Equal(["gzip"], index.Content.Headers.ContentEncoding);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        using var decompressed = new GZipStream(await index.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        Assert.Equal("INDEX", await new StreamReader(decompressed).ReadToEndAsync());
    }

    [Fact]
    public async Task ASiblingOlderThanItsFileIsIgnored()
    {
        await using var host = Start();

        using var response = await GetAsync(host, "/stale.css", "gzip");

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal("body { }", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheSiteCanSwitchItOff()
    {
        await using var host = Start(settings => settings.With("StaticHost:Sites:0:Precompressed", "false"));

        using var response = await GetAsync(host, "/app.js", "gzip, br");

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(Script, await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("Accept-Encoding", response.Headers.Vary);
    }

    private static byte[] Compress(string text, Func<Stream, Stream> compressor)
    {
        using var output = new MemoryStream();
        using (var compressing = compressor(output))
        {
            compressing.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    /// <summary>
    /// Starts a host with the open-file cache at <paramref name="validity"/>, lets it learn that plain.txt has no
    /// gzip sibling, then writes that sibling; returns the host and the sibling's bytes.
    /// </summary>
    private async Task<(RunningHost Host, byte[] Gzip)> StartWithAMissingSiblingCachedAsync(string validity)
    {
        var modified = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        _sandbox.WriteFile("site/plain.txt", "PLAIN", modified);
        var host = Start(s => s.With("StaticHost:OpenFileCache:Validity", validity));
        try
        {
            using var before = await GetAsync(host, "/plain.txt", "gzip");
            Assert.Empty(before.Content.Headers.ContentEncoding);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        var gzip = Compress("PLAIN", stream => new GZipStream(stream, CompressionLevel.SmallestSize));
        _sandbox.WriteFile("site/plain.txt.gz", gzip, modified);
        return (host, gzip);
    }

    private RunningHost Start(Action<Settings>? configure = null)
    {
        var settings = new Settings().Site(_sandbox["site"], "pre.test");
        configure?.Invoke(settings);
        return RunningHost.Start(_kind, _sandbox.Path, settings);
    }

    private static Task<HttpResponseMessage> GetAsync(RunningHost host, string path, string acceptEncoding, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(host, HttpMethod.Get, path, acceptEncoding, configure);

    private static Task<HttpResponseMessage> SendAsync(RunningHost host, HttpMethod method, string path, string acceptEncoding, Action<HttpRequestMessage>? configure = null) =>
        host.SendAsync(method, path, "pre.test", request =>
        {
            if (acceptEncoding.Length > 0)
            {
                request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            }

            configure?.Invoke(request);
        });

    /// <summary>On the in-memory TestServer.</summary>
    public sealed class OnTestServer() : PrecompressedTests(ServerKind.TestServer);

    /// <summary>On real Kestrel over the epoll transport.</summary>
    public sealed class OnKestrel() : PrecompressedTests(ServerKind.Kestrel);
}
