using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// A file truncated while clients download it: each cut-short response is logged once, at Warning, with the site
/// and the path, and nothing at Error, on the epoll transport in each of its modes (sendfile, sendfile with inline
/// scheduling, copies, HTTP/2 over TLS) and on Kestrel's Sockets transport (HTTP/1.1, and HTTP/2 over TLS). Clients that simply go away while the file stays as it
/// was log nothing above Debug.
/// </summary>
public sealed class TruncatedDownloadTests : IDisposable
{
    private const int Clients = 4;
    private const int FileLength = 16 * 1024 * 1024;
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;
    private readonly SiteSandbox _sandbox = new();
    private readonly LogRecorder _logs = new();

    public TruncatedDownloadTests() => _sandbox.WriteFile("site/big.bin", new byte[FileLength]);

    /// <summary>The transports and modes.</summary>
    public static TheoryData<string> Modes() => ["epoll-sendfile", "epoll-inline", "epoll-copy", "sockets", "epoll-tls-h2", "sockets-tls-h2"];

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ADownloadCutShortByTruncationIsOneWarningWithSiteAndPath(string mode)
    {
        await using var host = Start(mode);
        using var client = Client(host, mode);
        var downloads = await StartDownloadsAsync(client);

        // Truncated in place (same inode), as an editor or a careless deploy does, while every download is under way.
        using (var file = new FileStream(_sandbox["site/big.bin"], FileMode.Open, FileAccess.Write))
        {
            file.SetLength(1024 * 1024);
        }

        foreach (var (response, body) in downloads)
        {
            // Each client gets less than Content-Length promised, and the connection ends.
            await Assert.ThrowsAnyAsync<Exception>(() => body.CopyToAsync(Stream.Null));
            body.Dispose();
            response.Dispose();
        }

        await Eventually.WaitAsync(() => CutShortWarnings().Count == Clients, Timeout, $"{Clients} warnings, one per response");
        Assert.All(CutShortWarnings(), e => Assert.Contains("serving trunc.test /big.bin", e.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.All, e => e.Level >= LogLevel.Error);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ClientsThatGoAwayFromAnUnchangedFileLogNothingAboveDebug(string mode)
    {
        await using var host = Start(mode, accessLog: true);
        using (var client = Client(host, mode))
        {
            foreach (var (response, body) in await StartDownloadsAsync(client))
            {
                body.Dispose();
                response.Dispose();
            }
        }

        // Every request has ended once its access log line is written.
        var log = _sandbox["logs/access.log"];
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(log).Length == Clients, Timeout, "an access log line per request");
        Assert.DoesNotContain(_logs.All, e => e.Level >= LogLevel.Warning && e.Category.StartsWith("StaticHostApp", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.All, e => e.Level >= LogLevel.Error);
    }

    private static async Task<List<(HttpResponseMessage Response, Stream Body)>> StartDownloadsAsync(HttpClient client)
    {
        var downloads = new List<(HttpResponseMessage, Stream)>();
        var buffer = new byte[64 * 1024];
        for (var i = 0; i < Clients; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/big.bin");
            request.Headers.Host = "trunc.test";
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(FileLength, response.Content.Headers.ContentLength);
            var body = await response.Content.ReadAsStreamAsync();
            await body.ReadExactlyAsync(buffer);
            downloads.Add((response, body));
        }

        return downloads;
    }

    /// <summary>A client for the mode: HTTP/2 over TLS (any certificate) for the TLS modes, HTTP/1.1 otherwise.</summary>
    private static HttpClient Client(RunningHost host, string mode)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        var client = new HttpClient(handler) { BaseAddress = host.Address, Timeout = Timeout };
        if (mode.EndsWith("-tls-h2", StringComparison.Ordinal))
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            client.DefaultRequestVersion = HttpVersion.Version20;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=trunc.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private List<LogEntry> CutShortWarnings() =>
        _logs.All.Where(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Response cut short", StringComparison.Ordinal)).ToList();

    private RunningHost Start(string mode, bool accessLog = false)
    {
        var settings = new Settings().Site(_sandbox["site"], "trunc.test").With("StaticHost:ServeUnknownFileTypes", "true");
        switch (mode)
        {
            case "epoll-inline":
                settings.With("EpollTransport:ApplicationSchedulingMode", "Inline");
                break;
            case "epoll-copy":
                settings.With("EpollTransport:SendFile", "false");
                break;
            case "sockets" or "sockets-tls-h2":
                settings.With("Transport", "sockets");
                break;
        }

        Action<ListenOptions>? listen = mode.EndsWith("-tls-h2", StringComparison.Ordinal)
            ? options =>
            {
                options.Protocols = HttpProtocols.Http1AndHttp2;
                options.UseHttps(SelfSignedCertificate());
            }
            : null;

        if (accessLog)
        {
            settings.With("StaticHost:RequestLog:Enabled", "true")
                .With("StaticHost:RequestLog:Format", "Combined")
                .With("StaticHost:RequestLog:FlushInterval", "00:00:00.010");
        }

        return RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, settings, services => services.AddLogging(l => l.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug)), listen);
    }
}
