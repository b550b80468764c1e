using System.Globalization;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Browser;

/// <summary>
/// A real browser against the sample sites: headless Chromium, driven over the DevTools protocol, loads the example
/// site from StaticHostApp in its own process (Kestrel on the epoll transport, loopback port, the sample
/// appsettings.json) over HTTP/1.1 and over HTTP/2 with TLS, and must see what a visitor would.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SampleSiteInBrowserTests : IDisposable
{
    private const string Host = "example.test";
    private const string HeadingColorFromSiteCss = "rgb(11, 83, 148)"; // h1 { color: #0b5394 } in css/site.css
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(15);

    private readonly SiteSandbox _sandbox = new();

    /// <summary>How the browser reaches the server.</summary>
    public enum Protocol
    {
        /// <summary>Plain HTTP/1.1.</summary>
        Http11,

        /// <summary>HTTP/2, negotiated by ALPN over TLS.</summary>
        Http2OverTls,
    }

    [ChromiumTheory]
    [InlineData(Protocol.Http11)]
    [InlineData(Protocol.Http2OverTls)]
    public async Task ABrowserRendersTheSampleSiteGetsAppJsCompressedRevalidatesOnReloadAndSeesThe404Page(Protocol protocol)
    {
        SampleSiteCopy.CopyInto(_sandbox);
        var tls = protocol == Protocol.Http2OverTls;
        var certificate = tls ? new ServerCertificate(_sandbox, Host) : null;
        await using var server = await ChildServer.StartAsync(_sandbox, ServerArguments(certificate), asNobody: false, StartTimeout);
        await using var browser = await HeadlessChromium.LaunchAsync(ChromiumExecutable.Path!, [Host], certificate?.SpkiSha256, StartTimeout);
        var page = await BrowserPage.OpenAsync(browser);
        var origin = new UriBuilder(tls ? "https" : "http", Host, server.Address.Port).Uri;
        var wireProtocol = tls ? "h2" : "http/1.1";

        // First visit: everything comes from the server, app.js as its gzip sibling.
        await page.NavigateAsync(new Uri(origin, SampleSiteCopy.ScriptedPage));
        var document = await SettledAsync(page, SampleSiteCopy.ScriptedPage);
        Assert.True(document.WireStatus == 200, document.ToString());
        Assert.Equal(wireProtocol, document.Protocol);
        await AssertRenderedWithCssAndJsAsync(page);
        await AssertAppJsArrivedCompressedAsync(page, wireProtocol);

        // Reload: the page is no-cache and app.js is made no-cache too, so both are revalidated, and the server
        // answers 304; site.css (max-age=3600) may come from the cache. Nothing is downloaded whole again.
        await page.ReloadAsync();
        var revalidatedPage = await SettledAsync(page, SampleSiteCopy.ScriptedPage);
        var revalidatedScript = await SettledAsync(page, "/js/app.js");
        foreach (var exchange in new[] { revalidatedPage, revalidatedScript })
        {
            Assert.True(exchange.WireStatus == 304, exchange.ToString());
            Assert.True(exchange.RequestHeaders?.ContainsKey("if-none-match") == true, $"{exchange.Url} was not revalidated by ETag.");
        }

        Assert.DoesNotContain(page.Exchanges, exchange => exchange.WireStatus == 200);
        await AssertRenderedWithCssAndJsAsync(page);

        // A missing page: the site's own 404 page, styled by the site's CSS, not the browser's error page.
        await page.NavigateAsync(new Uri(origin, "/no-such-page"));
        var missing = await SettledAsync(page, "/no-such-page");
        Assert.True(missing.WireStatus == 404, missing.ToString());
        Assert.Equal("Not found", await page.EvaluateStringAsync("document.title"));
        Assert.Equal("Not found", await page.EvaluateStringAsync("document.querySelector('h1').textContent"));
        Assert.Equal(HeadingColorFromSiteCss, await page.EvaluateStringAsync("getComputedStyle(document.querySelector('h1')).color"));
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    private static List<string> ServerArguments(ServerCertificate? certificate)
    {
        List<string> args =
        [
            "--Transport=epoll",
            // The sample leaves app.js to the browser's heuristic freshness (10 % of its age), which would decide by
            // the clock whether a reload asks the server. no-cache makes the reload revalidate it every time.
            "--StaticHost:Sites:0:CacheControl:2:Match=/js/*",
            "--StaticHost:Sites:0:CacheControl:2:Value=no-cache",
        ];
        if (certificate is not null)
        {
            args.AddRange(
            [
                "--Kestrel:Endpoints:Https:Url=https://127.0.0.1:0",
                "--Kestrel:Endpoints:Https:Protocols=Http1AndHttp2",
                $"--Kestrel:Endpoints:Https:Certificate:Path={certificate.CertificatePath}",
                $"--Kestrel:Endpoints:Https:Certificate:KeyPath={certificate.KeyPath}",
            ]);
        }

        return args;
    }

    /// <summary>
    /// The exchange for <paramref name="path"/> once it finished and its raw response (or cache hit) was reported:
    /// DevTools sends those events on their own schedule, which may be after the load event.
    /// </summary>
    private static async Task<NetworkExchange> SettledAsync(BrowserPage page, string path)
    {
        NetworkExchange? found = null;
        await Eventually.WaitAsync(
            () =>
            {
                found = page.Exchanges.FirstOrDefault(e => e.Url is not null && new Uri(e.Url).AbsolutePath == path
                    && e.Finished && (e.WireStatus is not null || e.FromCache || e.FailureText is not null));
                return found is not null;
            },
            SettleTimeout,
            $"the browser's exchange for {path} (seen: {string.Join("; ", page.Exchanges)})");
        return found!;
    }

    private static async Task AssertRenderedWithCssAndJsAsync(BrowserPage page)
    {
        // The stylesheet applied: values only css/site.css sets.
        Assert.Equal(HeadingColorFromSiteCss, await page.EvaluateStringAsync("getComputedStyle(document.querySelector('h1')).color"));
        Assert.Equal("640px", await page.EvaluateStringAsync("getComputedStyle(document.body).maxWidth"));

        // The script ran: app.js's section0 observes the heading and marks it 'visible' once it is on screen (a
        // module that failed to load, or came with a non-JavaScript type, never gets that far).
        await Eventually.WaitAsync(
            async () => (await page.EvaluateAsync("document.querySelector('h1').classList.contains('visible')"))?.GetValue<bool>() == true,
            SettleTimeout,
            "app.js to mark the heading visible");
    }

    private async Task AssertAppJsArrivedCompressedAsync(BrowserPage page, string wireProtocol)
    {
        var script = await SettledAsync(page, "/js/app.js");
        Assert.True(script.WireStatus == 200, script.ToString());
        Assert.Equal(wireProtocol, script.Protocol);
        Assert.NotNull(script.ResponseHeaders);
        var coding = script.ResponseHeaders.GetValueOrDefault("content-encoding");
        var sibling = coding switch
        {
            "gzip" => "app.js.gz",
            "br" => "app.js.br",
            _ => throw new Xunit.Sdk.XunitException($"app.js came with Content-Encoding '{coding}', not one of its precompressed siblings."),
        };

        // Resource Timing: the body on the wire is the sibling, and the browser decoded it to the original.
        var jsDirectory = Path.Combine(SampleSiteCopy.ExampleRoot(_sandbox), "js");
        var sizes = await page.EvaluateAsync(
            "(() => { const t = performance.getEntriesByName(new URL('/js/app.js', location).href)[0];" +
            " return [t.encodedBodySize, t.decodedBodySize]; })()");
        Assert.Equal(new FileInfo(Path.Combine(jsDirectory, sibling)).Length, sizes![0]!.GetValue<long>());
        Assert.Equal(new FileInfo(Path.Combine(jsDirectory, "app.js")).Length, sizes[1]!.GetValue<long>());
        Assert.True(sizes[0]!.GetValue<long>() < sizes[1]!.GetValue<long>(), string.Create(CultureInfo.InvariantCulture, $"encoded {sizes[0]} >= decoded {sizes[1]}"));
    }
}
