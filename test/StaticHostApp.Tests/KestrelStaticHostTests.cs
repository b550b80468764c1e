using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// The shared cases on real Kestrel over the epoll transport, plus what needs a real connection: raw request lines,
/// the Date header, idle timeouts, transport selection.
/// </summary>
public sealed class KestrelStaticHostTests() : StaticHostTests(ServerKind.Kestrel)
{
    [Fact]
    public async Task RunsOnTheEpollTransportByDefault()
    {
        await using var host = StartStandard();

        // Kestrel binds with the last registered transport factory that can bind the endpoint.
        var factories = host.Services.GetServices<IConnectionListenerFactory>().ToList();
        Assert.IsType<EpollTransport.EpollTransportFactory>(factories[^1]);
        using var response = await host.GetAsync("/", "example.test");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TransportSocketsKeepsKestrelsOwnTransport()
    {
        await using var host = Start(Sites.Settings().With("Transport", "sockets"));

        Assert.DoesNotContain(host.Services.GetServices<IConnectionListenerFactory>(), f => f is EpollTransport.EpollTransportFactory);
        using var response = await host.GetAsync("/file.txt", "example.test");
        Assert.Equal(StandardSites.FileText, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void UnknownTransportFailsStartWithAClearMessage()
    {
        var exception = Assert.ThrowsAny<Exception>(() => Start(Sites.Settings().With("Transport", "uring")));
        Assert.Contains("Transport 'uring' is not supported", exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryResponseHasACurrentRfc1123Date()
    {
        await using var host = StartStandard();
        using var ok = await host.GetAsync("/style.css", "example.test");
        using var notModified = await host.GetAsync("/style.css", "example.test", r => r.Headers.IfNoneMatch.Add(ok.Headers.ETag!));
        using var notFound = await host.GetAsync("/missing", "example.test");
        using var misdirected = await host.GetAsync("/", "unknown.test");
        using var notAllowed = await host.SendAsync(HttpMethod.Delete, "/style.css", "example.test");

        foreach (var response in new[] { ok, notModified, notFound, misdirected, notAllowed })
        {
            var raw = Assert.Single(response.Headers.GetValues("Date"));
            var date = DateTimeOffset.ParseExact(raw, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.EndsWith(" GMT", raw, StringComparison.Ordinal);
            Assert.InRange((DateTimeOffset.UtcNow - date).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>
    /// Hostile request targets, sent byte for byte so no client normalises them. <paramref name="secret"/> is the
    /// absolute path of the file next to the site's root that must never be served.
    /// </summary>
    private static string[] HostileTargets(string secret)
    {
        var encodedSecret = secret.Replace("/", "%2f", StringComparison.Ordinal);
        return
        [
            "/../secret.txt",
            "/../../../../../../secret.txt",
            "/sub/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/.%2e/secret.txt",
            "/%2e./secret.txt",
            "/%2e%2e%2fsecret.txt",
            "/..%2fsecret.txt",
            "/..%2Fsecret.txt",
            "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
            "/..\\secret.txt",
            "/..%5csecret.txt",
            "/%5c..%5csecret.txt",
            "/sub\\..\\..\\secret.txt",
            "/%252e%252e/secret.txt",
            "/..;/secret.txt",
            "/....//secret.txt",
            "/secret.txt%00.html",
            "/%00/../secret.txt",
            "/secret.txt\0",
            "/%c0%ae%c0%ae/secret.txt",
            "/%u002e%u002e/secret.txt",
            "/" + secret,
            "/" + encodedSecret,
            secret,
            "http://example.test/../secret.txt",
            "http://example.test" + secret,
            "/" + string.Concat(Enumerable.Repeat("../", 1500)) + "secret.txt",
            "/" + string.Concat(Enumerable.Repeat("%2e%2e/", 600)) + "secret.txt",
            "/" + new string('a', 5000),
            "/" + string.Concat(Enumerable.Repeat("a/", 2500)),
            "/link-out.txt",
            "/linkdir/page.html",
            "secret.txt",
            "*",
        ];
    }

    [Fact]
    public async Task HostileRequestTargetsNeverLeaveTheRoot()
    {
        await using var host = StartStandard();
        var failures = new List<string>();

        foreach (var target in HostileTargets(Sandbox["secret.txt"]))
        {
            var response = await RawHttp.RequestAsync(host.Address, "GET", target, "example.test");
            // Kestrel itself answers a target in asterisk-form or authority-form with a method other than OPTIONS or
            // CONNECT with 405 and "Allow: OPTIONS"/"Allow: CONNECT", before the application sees it.
            var kestrelFormRejection = response.Status == 405
                && response.Headers.TryGetValue("Allow", out var allow) && allow is "OPTIONS" or "CONNECT";
            if ((response.Status is not (400 or 404) && !kestrelFormRejection)
                || response.BodyText.Contains(Sites.Secret, StringComparison.Ordinal))
            {
                failures.Add($"{Printable(target)} -> {response.Status}");
            }
        }

        Assert.True(failures.Count == 0, "Hostile targets not answered with 400/404:\n" + string.Join("\n", failures));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task IdleKeepAliveConnectionIsClosedAfterKeepAliveTimeout()
    {
        await using var host = Start(Sites.Settings().With("Kestrel:Limits:KeepAliveTimeout", "00:00:01"));
        using var socket = await RawHttp.ConnectAsync(host.Address);
        await RawHttp.SendAsync(socket, RawHttp.Get("/file.txt", "example.test"));
        var reader = new ResponseReader(socket);
        Assert.Equal(200, (await RawHttp.ReadResponseAsync(reader)).Status);
        var idleSince = DateTime.UtcNow;

        // The server, not the test's bound, must end the connection.
        Assert.Empty(await ReadUntilTheServerClosesAsync(reader));
        Assert.True(DateTime.UtcNow - idleSince >= TimeSpan.FromSeconds(0.9), "Closed before the keep-alive timeout.");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task SlowRequestHeadersAreCutOffAfterRequestHeadersTimeout()
    {
        await using var host = Start(Sites.Settings().With("Kestrel:Limits:RequestHeadersTimeout", "00:00:01"));
        using var socket = await RawHttp.ConnectAsync(host.Address);

        await RawHttp.SendAsync(socket, "GET /file.txt HTTP/1.1\r\nHost: example.test\r\n");

        var received = await ReadUntilTheServerClosesAsync(new ResponseReader(socket));
        Assert.DoesNotContain("200 OK", received, StringComparison.Ordinal);
    }

    /// <summary>
    /// What arrives until the server ends the connection with a FIN or a reset; a server that never does fails the
    /// test when a read passes <see cref="TestTimeouts.Operation"/>.
    /// </summary>
    private static async Task<string> ReadUntilTheServerClosesAsync(ResponseReader reader)
    {
        try
        {
            return Encoding.Latin1.GetString(await reader.ReadToEndAsync());
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            return string.Empty;
        }
    }

    private static string Printable(string target) =>
        target.Length > 80 ? target[..80] + $"…({target.Length} chars)" : target.Replace("\0", "\\0", StringComparison.Ordinal);
}
