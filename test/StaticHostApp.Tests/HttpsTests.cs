using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>The per-site HTTP→HTTPS redirect on both servers, and HTTPS from PEM files with the real process.</summary>
public abstract class HttpsTests : IDisposable
{
    private protected HttpsTests(ServerKind kind)
    {
        Kind = kind;
        Sites = new StandardSites(Sandbox);
    }

    /// <summary>The server this run uses.</summary>
    protected ServerKind Kind { get; }

    /// <summary>This test's directory tree.</summary>
    protected SiteSandbox Sandbox { get; } = new();

    /// <summary>The standard sites.</summary>
    protected StandardSites Sites { get; }

    private RunningHost StartRedirecting(string? httpsPort = null)
    {
        var settings = Sites.Settings()
            .With("StaticHost:Sites:0:RedirectToHttps", "true")
            .With("StaticHost:DefaultSite", "example.test");
        if (httpsPort is not null)
        {
            settings.With("StaticHost:HttpsPort", httpsPort);
        }

        return RunningHost.Start(Kind, Sandbox.Path, settings);
    }

    [Fact]
    public async Task ARedirectingSiteSendsPlainHttpToTheSameUrlOverHttps()
    {
        await using var host = StartRedirecting();

        using var get = await host.GetAsync("/sub/page%20one.html?q=a%26b&x", "WWW.example.test:8080");
        Assert.Equal(HttpStatusCode.MovedPermanently, get.StatusCode);
        Assert.Equal("https://www.example.test/sub/page%20one.html?q=a%26b&x", get.Headers.Location?.OriginalString);

        using var head = await host.SendAsync(HttpMethod.Head, "/", "example.test");
        Assert.Equal(HttpStatusCode.MovedPermanently, head.StatusCode);

        using var post = await host.SendAsync(HttpMethod.Post, "/form", "example.test");
        Assert.Equal(HttpStatusCode.PermanentRedirect, post.StatusCode);
        Assert.Equal("https://example.test/form", post.Headers.Location?.OriginalString);

        // Another site is not redirected.
        using var docs = await host.GetAsync("/", "docs.test");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }

    [Fact]
    public async Task TheRedirectUsesTheConfiguredHttpsPortAndNeverAHostTheClientMadeUp()
    {
        await using var host = StartRedirecting(httpsPort: "8443");

        using var known = await host.GetAsync("/file.txt", "example.test");
        Assert.Equal("https://example.test:8443/file.txt", known.Headers.Location?.OriginalString);

        // Reached through DefaultSite with a foreign Host header: the redirect names the site, not that host.
        using var foreign = await host.GetAsync("/file.txt", "evil.test");
        Assert.Equal("https://example.test:8443/file.txt", foreign.Headers.Location?.OriginalString);
    }

    [Fact]
    public void AnInvalidHttpsPortFailsStartWithTheKey()
    {
        var error = Assert.ThrowsAny<Exception>(() => StartRedirecting(httpsPort: "70000"));
        Assert.Contains("StaticHost:HttpsPort 70000 is not a TCP port", error.ToString(), StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Sandbox.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>On TestServer.</summary>
    public sealed class OnTestServer() : HttpsTests(ServerKind.TestServer);

    /// <summary>On Kestrel, plus the documented HTTPS set-up in the real process.</summary>
    public sealed class OnKestrel() : HttpsTests(ServerKind.Kestrel)
    {
        [Fact]
        [Trait("Category", "Slow")]
        public async Task ServesHttpsAndHttp2WithACertificateFromPemFiles()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=example.test", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("example.test");
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            Sandbox.WriteFile("tls/cert.pem", certificate.ExportCertificatePem());
            Sandbox.WriteFile("tls/key.pem", key.ExportPkcs8PrivateKeyPem());

            string[] args =
            [
                "--StaticHost:Sites:0:Hosts:0=example.test",
                "--StaticHost:Sites:0:Root=example",
                "--StaticHost:Sites:0:RedirectToHttps=true",
                "--StaticHost:RequestLog:Enabled=false",
                "--Kestrel:Endpoints:Https:Url=https://127.0.0.1:0",
                "--Kestrel:Endpoints:Https:Certificate:Path=tls/cert.pem",
                "--Kestrel:Endpoints:Https:Certificate:KeyPath=tls/key.pem",
            ];
            await using var server = await ChildServer.StartAsync(Sandbox, args, asNobody: false, TimeSpan.FromSeconds(30));
            Assert.Equal("https", server.Address.Scheme);

            var expected = certificate.GetCertHashString(HashAlgorithmName.SHA256);
            using var client = new HttpClient(new SocketsHttpHandler
            {
                UseProxy = false,
                SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString(HashAlgorithmName.SHA256) == expected },
            })
            { BaseAddress = server.Address };
            foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
            {
                using var message = new HttpRequestMessage(HttpMethod.Get, "/file.txt") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                message.Headers.Host = "example.test";
                using var response = await client.SendAsync(message);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(version, response.Version);
                Assert.Equal(StandardSites.FileText, await response.Content.ReadAsStringAsync());
            }
        }
    }
}
