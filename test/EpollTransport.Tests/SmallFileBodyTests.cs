using System.Net;
using System.Security.Cryptography;
using System.Text;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;

namespace EpollTransport.Tests;

/// <summary>
/// File bodies up to <see cref="EpollTransportOptions.SendFileCopyThreshold"/> are copied into the output pipe
/// behind their headers instead of going by sendfile: same bytes, same semantics, one send.
/// </summary>
public sealed class SmallFileBodyTests : IDisposable
{
    private const int Threshold = EpollTransportOptions.DefaultSendFileCopyThreshold;

    private readonly FileSite _site = new();

    public void Dispose() => _site.Dispose();

    [Theory]
    [InlineData(1, null)]
    [InlineData(Threshold - 1, null)]
    [InlineData(Threshold, null)]
    [InlineData(Threshold + 1, null)]
    [InlineData(999, 1000)]
    [InlineData(1000, 1000)]
    [InlineData(1001, 1000)]
    [InlineData(1, 0)]
    public async Task BodiesUpToTheThresholdAreCopiedAndLargerOnesGoBySendfile(int length, int? threshold)
    {
        string hash = _site.AddFile("file.bin", length);
        await using var server = await StartStaticServerAsync(threshold);
        using var metrics = new TransportMetrics(server.Services);

        await FileSite.AssertServedIntactAsync(server.EndPoint, "file.bin", hash);
        bool copied = length <= (threshold ?? Threshold);
        if (copied)
        {
            await metrics.WaitForWriteBytesAsync(length + 1);
            Assert.True(metrics.WriteBytes > length, $"{metrics.WriteBytes} pipe bytes for a {length}-byte body");
            Assert.Equal(0, metrics.SendFileBytes);
        }
        else
        {
            await metrics.WaitForSendFileBytesAsync(length);
            Assert.Equal(length, metrics.SendFileBytes);
            Assert.InRange(metrics.WriteBytes, 1, 1024); // the headers, nothing of the body
        }

        // Copying is a choice, not a fallback.
        Assert.Equal(0, metrics.Fallbacks("length-mismatch") + metrics.Fallbacks("changed-on-start"));
    }

    [Fact]
    public async Task AnEmptyFileGivesAnEmptyBodyAndTheConnectionCarriesOn()
    {
        File.WriteAllBytes(_site.PathOf("empty.bin"), []);
        string hash = _site.AddFile("after.bin", 100);
        await using var server = await StartStaticServerAsync();
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);

        await RawHttp.SendAsync(client, RawHttp.Get("/empty.bin") + RawHttp.Get("/after.bin"));
        var empty = await RawHttp.ReadResponseAsync(reader);
        var after = await RawHttp.ReadResponseAsync(reader);

        Assert.Equal(200, empty.Status);
        Assert.Equal("0", empty.Headers["Content-Length"]);
        Assert.Empty(empty.Body);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(after.Body)));
    }

    [Fact]
    public async Task ASmallRangeOfALargeFileIsCopiedFromTheRightOffset()
    {
        _site.AddFile("file.bin", 1024 * 1024);
        var content = File.ReadAllBytes(_site.PathOf("file.bin"));
        await using var server = await StartStaticServerAsync();
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, RawHttp.Get("/file.bin", extraHeaders: "Range: bytes=700000-700999\r\n"));
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(client));

        Assert.Equal(206, response.Status);
        Assert.Equal(content[700000..701000], response.Body);
        Assert.Equal(0, metrics.SendFileBytes);
    }

    [Fact]
    public async Task PipelinedRequestsForSmallFilesInOneWriteAreAnsweredInOrder()
    {
        int[] lengths = [13, 4096, 1, Threshold, 700, 4096, Threshold - 1, 13, 2, 9000, 13, 4096, 100, 1, 4096, 13];
        var hashes = new string[lengths.Length];
        var requests = new StringBuilder();
        for (int i = 0; i < lengths.Length; i++)
        {
            hashes[i] = _site.AddFile($"f{i}.bin", lengths[i]);
            requests.Append(RawHttp.Get($"/f{i}.bin"));
        }

        await using var server = await StartStaticServerAsync();
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);

        await RawHttp.SendAsync(client, requests.ToString());

        for (int i = 0; i < lengths.Length; i++)
        {
            var response = await RawHttp.ReadResponseAsync(reader);
            Assert.Equal(200, response.Status);
            Assert.Equal(hashes[i], Convert.ToHexString(SHA256.HashData(response.Body)));
        }

        Assert.Equal(0, metrics.SendFileBytes);
    }

    [Fact]
    public async Task HeadOfASmallFileHasItsLengthAndNoBody()
    {
        _site.AddFile("file.bin", 500);
        string hash = _site.AddFile("next.bin", 300);
        await using var server = await StartStaticServerAsync();
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);

        await RawHttp.SendAsync(client, "HEAD /file.bin HTTP/1.1\r\nHost: localhost\r\n\r\n" + RawHttp.Get("/next.bin"));

        var (statusLine, headHeaders) = await RawHttp.ReadHeaderBlockAsync(reader);
        Assert.Equal("HTTP/1.1 200 OK", statusLine);
        Assert.Equal("500", headHeaders["Content-Length"]);

        // The next response follows the HEAD's headers directly: no body bytes came between them.
        var next = await RawHttp.ReadResponseAsync(reader);
        Assert.Equal(200, next.Status);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(next.Body)));
    }

    [Fact]
    public async Task AFileShorterThanTheCountEndsTheConnectionQuietlyAndLetsGoOfIt()
    {
        _site.AddFile("file.bin", 1000);
        var appSaw = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0),
            configureApp: app => MapSendFile(app, "/too-long", FileAccess.Read, length: 2000, appSaw));
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, RawHttp.Get("/too-long"));

        // Content-Length promised 2000 bytes: the connection must end before they all arrive, never hang.
        var failure = await Record.ExceptionAsync(() => RawHttp.ReadResponseAsync(new ResponseReader(client)));
        Assert.True(failure is EndOfStreamException or System.Net.Sockets.SocketException, $"expected a cut connection, got {failure}");

        // As when sendfile finds the file short: the send returns without an error, nothing is logged above Debug.
        Assert.Null(await appSaw.Task.WaitAsync(TestTimeouts.Operation));
        await server.Logs.WaitForAsync("ConnectionWriteRst").WaitAsync(TestTimeouts.Operation);
        Assert.Empty(server.Logs.AboveDebug);
        Assert.Equal(0, metrics.SendFileBytes);

        await Eventually.WaitAsync(() => !ProcessDescriptors.Snapshot().ContainsValue(_site.PathOf("file.bin")), "no descriptor to refer to the file");
    }

    [Fact]
    public async Task AHandleThatCannotBeReadFailsTheSendWithAnIOExceptionAndEndsTheConnection()
    {
        _site.AddFile("file.bin", 1000);
        var appSaw = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0),
            configureApp: app => MapSendFile(app, "/write-only", FileAccess.Write, length: 1000, appSaw));
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, RawHttp.Get("/write-only"));

        var error = await appSaw.Task.WaitAsync(TestTimeouts.Operation);
        Assert.IsType<IOException>(error);
        Assert.Contains("pread", error.Message, StringComparison.Ordinal);
        var failure = await Record.ExceptionAsync(() => RawHttp.ReadResponseAsync(new ResponseReader(client)));
        Assert.True(failure is EndOfStreamException or System.Net.Sockets.SocketException, $"expected a cut connection, got {failure}");
    }

    /// <summary>
    /// Maps <paramref name="route"/> to SendFileAsync of file.bin opened with <paramref name="access"/>, promising
    /// <paramref name="length"/> bytes; <paramref name="appSaw"/> gets what the send threw (null when it returned).
    /// </summary>
    private void MapSendFile(WebApplication app, string route, FileAccess access, int length, TaskCompletionSource<Exception?> appSaw) =>
        app.MapGet(route, async (HttpResponse response) =>
        {
            using var file = File.OpenHandle(_site.PathOf("file.bin"), FileMode.Open, access);
            response.ContentLength = length;
            try
            {
                await response.SendFileAsync(file, offset: 0, count: length);
                appSaw.TrySetResult(null);
            }
            catch (Exception ex)
            {
                appSaw.TrySetResult(ex);
                throw;
            }
        });

    private Task<EpollTestServer> StartStaticServerAsync(int? threshold = null) =>
        EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0),
            configureTransport: threshold is { } value ? o => o.SendFileCopyThreshold = value : null,
            configureApp: app => app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(_site.Root), ServeUnknownFileTypes = true }));
}
