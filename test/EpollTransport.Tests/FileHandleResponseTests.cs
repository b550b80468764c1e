using System.Net;
using System.Security.Cryptography;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EpollTransport.Tests;

/// <summary>
/// <see cref="FileHandleResponseExtensions.SendFileAsync(HttpResponse, Microsoft.Win32.SafeHandles.SafeFileHandle, long, long?, CancellationToken)"/>:
/// the body comes from the descriptor the application opened, whatever the path names by the time it is sent.
/// </summary>
public sealed class FileHandleResponseTests : IDisposable
{
    private readonly FileSite _site = new();

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task TheOpenedFileIsSentBySendfileEvenAfterItsPathNamesAnotherFile()
    {
        var (originalHash, length) = PrepareSwap();
        await using var server = await StartAsync();
        using var metrics = new TransportMetrics(server.Services);

        var response = await GetAsync(server, "/swap");

        Assert.Equal(200, response.Status);
        Assert.Equal(originalHash, Hash(response.Body));
        await metrics.WaitForSendFileBytesAsync(length);
        Assert.Equal(length, metrics.SendFileBytes);
    }

    [Fact]
    public async Task TheCopyFallbackReadsTheOpenedFileToo()
    {
        var (originalHash, _) = PrepareSwap();
        await using var server = await StartAsync(configureTransport: o => o.SendFile = false);
        using var metrics = new TransportMetrics(server.Services);

        var response = await GetAsync(server, "/swap");

        Assert.Equal(200, response.Status);
        Assert.Equal(originalHash, Hash(response.Body));
        Assert.Equal(0, metrics.SendFileBytes);
    }

    [Fact]
    public async Task OverHttp2TheOpenedFileIsCopied()
    {
        var (originalHash, _) = PrepareSwap();
        await using var server = await StartAsync(protocols: HttpProtocols.Http2);
        using var metrics = new TransportMetrics(server.Services);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        var body = await http.GetByteArrayAsync($"http://127.0.0.1:{server.EndPoint.Port}/swap").WaitAsync(TestTimeouts.Operation);

        Assert.Equal(originalHash, Hash(body));
        Assert.Equal(0, metrics.SendFileBytes);
        Assert.Equal(1, metrics.Fallbacks("protocol"));
    }

    [Fact]
    public async Task ARegionOfTheOpenedFileIsSent()
    {
        _site.AddFile("file.bin", 100_000);
        var expected = File.ReadAllBytes(_site.PathOf("file.bin"))[1000..2000];
        await using var server = await StartAsync();

        var response = await GetAsync(server, "/region");

        Assert.Equal(200, response.Status);
        Assert.Equal(expected, response.Body);
    }

    [Fact]
    public async Task AFileShorterThanTheCountEndsTheConnectionOnTheCopyPath()
    {
        _site.AddFile("file.bin", 1000);
        await using var server = await StartAsync(configureTransport: o => o.SendFile = false);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, RawHttp.Get("/too-long"));

        // Content-Length promised 2000 bytes: the connection must end (FIN or RST) before they all arrive.
        var failure = await Record.ExceptionAsync(() => RawHttp.ReadResponseAsync(new ResponseReader(client)));
        Assert.True(failure is EndOfStreamException or System.Net.Sockets.SocketException, $"expected a cut connection, got {failure}");
    }

    /// <summary>
    /// Writes "file.bin" and a different "other.bin"; the endpoint opens file.bin, then moves other.bin over its
    /// path before it sends: a path-based send would now read other.bin.
    /// </summary>
    private (string OriginalHash, long Length) PrepareSwap()
    {
        const int length = 256 * 1024;
        string hash = _site.AddFile("file.bin", length);
        File.WriteAllBytes(_site.PathOf("other.bin"), new byte[length]);
        return (hash, length);
    }

    private Task<EpollTestServer> StartAsync(Action<EpollTransportOptions>? configureTransport = null, HttpProtocols protocols = HttpProtocols.Http1) =>
        EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0, o => o.Protocols = protocols),
            configureTransport,
            configureApp: app =>
            {
                app.MapGet("/swap", async (HttpResponse response) =>
                {
                    using var file = File.OpenHandle(_site.PathOf("file.bin"));
                    File.Move(_site.PathOf("other.bin"), _site.PathOf("file.bin"), overwrite: true);
                    response.ContentLength = RandomAccess.GetLength(file);
                    await response.SendFileAsync(file);
                });
                app.MapGet("/region", async (HttpResponse response) =>
                {
                    using var file = File.OpenHandle(_site.PathOf("file.bin"));
                    response.ContentLength = 1000;
                    await response.SendFileAsync(file, offset: 1000, count: 1000);
                });
                app.MapGet("/too-long", async (HttpResponse response) =>
                {
                    using var file = File.OpenHandle(_site.PathOf("file.bin"));
                    response.ContentLength = 2000;
                    await response.SendFileAsync(file, offset: 0, count: 2000);
                });
            });

    private static async Task<RawResponse> GetAsync(EpollTestServer server, string path)
    {
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get(path));
        return await RawHttp.ReadResponseAsync(new ResponseReader(client));
    }

    private static string Hash(byte[] body) => Convert.ToHexString(SHA256.HashData(body));
}
