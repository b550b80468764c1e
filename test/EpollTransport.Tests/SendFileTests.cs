using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace EpollTransport.Tests;

/// <summary>Static file bodies through sendfile(2), on real Kestrel over the epoll transport.</summary>
public sealed class SendFileTests : IDisposable
{
    private readonly FileSite _site = new();

    public void Dispose() => _site.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(64 * 1024)]
    [InlineData(16 * 1024 * 1024)]
    public async Task FileArrivesIntactAndGoesBySendfile(int length)
    {
        string hash = _site.AddFile("file.bin", length);
        await using var server = await StartStaticServerAsync(transport: SendFileForEveryLength);
        using var metrics = new TransportMetrics(server.Services);

        await FileSite.AssertServedIntactAsync(server.EndPoint, "file.bin", hash);
        await metrics.WaitForSendFileBytesAsync(length);
        Assert.Equal(length, metrics.SendFileBytes);
        await metrics.WaitForWriteBytesAsync(1);
        Assert.InRange(metrics.WriteBytes, 1, 1024); // the headers, nothing of the body
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RangeNearTheEndOfAFileOver4GiBComesFromTheRightOffset(bool bySendFile)
    {
        // A sparse file: 5 GiB long, with a known marker near its end and zeros elsewhere.
        const long length = 5L * 1024 * 1024 * 1024;
        var marker = Encoding.ASCII.GetBytes("the end is near");
        long markerOffset = length - 100;
        using (var file = File.Create(_site.PathOf("huge.bin")))
        {
            file.SetLength(length);
            file.Position = markerOffset;
            file.Write(marker);
        }

        // The 110-byte range is copied by default; with no copy threshold it goes by sendfile.
        await using var server = await StartStaticServerAsync(transport: bySendFile ? SendFileForEveryLength : null);
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        long first = markerOffset - 10;
        await RawHttp.SendAsync(client, RawHttp.Get("/huge.bin", extraHeaders: $"Range: bytes={first}-{length - 1}\r\n"));
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(client));

        Assert.Equal(206, response.Status);
        Assert.Equal($"bytes {first}-{length - 1}/{length}", response.Headers["Content-Range"]);
        Assert.Equal(110, response.Body.Length);
        Assert.Equal(new byte[10], response.Body[..10]);
        Assert.Equal(marker, response.Body[10..(10 + marker.Length)]);
        await metrics.WaitForSendFileBytesAsync(bySendFile ? 110 : 0);
        Assert.Equal(bySendFile ? 110 : 0, metrics.SendFileBytes);
    }

    [Fact]
    public async Task HundredSequentialGetsOnOneKeepAliveConnection()
    {
        string hash = _site.AddFile("file.bin", 64 * 1024);
        await using var server = await StartStaticServerAsync();
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);

        for (int i = 0; i < 100; i++)
        {
            await RawHttp.SendAsync(client, RawHttp.Get("/file.bin"));
            var response = await RawHttp.ReadResponseAsync(reader);
            Assert.Equal(200, response.Status);
            Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(response.Body)));
        }

        await metrics.WaitForSendFileBytesAsync(100L * 64 * 1024);
        Assert.Equal(100L * 64 * 1024, metrics.SendFileBytes);
    }

    [Fact]
    public async Task PipelinedMixOfGetHeadRangeAndNotModifiedIsAnsweredInOrder()
    {
        string hash = _site.AddFile("file.bin", 64 * 1024);
        var content = File.ReadAllBytes(_site.PathOf("file.bin"));
        await using var server = await StartStaticServerAsync(transport: SendFileForEveryLength);
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);

        await RawHttp.SendAsync(client, RawHttp.Get("/file.bin"));
        string etag = (await RawHttp.ReadResponseAsync(reader)).Headers["ETag"];
        await metrics.WaitForSendFileBytesAsync(64 * 1024);
        long sentBefore = metrics.SendFileBytes;

        await RawHttp.SendAsync(client,
            RawHttp.Get("/file.bin") +
            "HEAD /file.bin HTTP/1.1\r\nHost: localhost\r\n\r\n" +
            RawHttp.Get("/file.bin", extraHeaders: "Range: bytes=1000-1999\r\n") +
            RawHttp.Get("/file.bin", extraHeaders: $"If-None-Match: {etag}\r\n") +
            RawHttp.Get("/file.bin"));

        var get1 = await RawHttp.ReadResponseAsync(reader);
        Assert.Equal(200, get1.Status);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(get1.Body)));

        // HEAD: headers of the file, no body (read the header block only).
        var (statusLine, headHeaders) = await RawHttp.ReadHeaderBlockAsync(reader);
        Assert.Equal("HTTP/1.1 200 OK", statusLine);
        Assert.Equal("65536", headHeaders["Content-Length"]);

        var range = await RawHttp.ReadResponseAsync(reader);
        Assert.Equal(206, range.Status);
        Assert.Equal(content[1000..2000], range.Body);

        var notModified = await RawHttp.ReadResponseAsync(reader);
        Assert.Equal(304, notModified.Status);
        Assert.Empty(notModified.Body);

        var get2 = await RawHttp.ReadResponseAsync(reader);
        Assert.Equal(200, get2.Status);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(get2.Body)));

        // Two full bodies and the range went by sendfile; HEAD and 304 queued nothing.
        await metrics.WaitForSendFileBytesAsync(sentBefore + (2 * 64 * 1024) + 1000);
        Assert.Equal((2 * 64 * 1024) + 1000, metrics.SendFileBytes - sentBefore);
    }

    [Fact]
    public async Task CompressedResponsesAreCopiedAndCorrect()
    {
        var text = string.Concat(Enumerable.Repeat("compressible text ", 5000));
        File.WriteAllText(_site.PathOf("page.txt"), text);
        await using var server = await StartStaticServerAsync(
            configureServices: services => services.AddResponseCompression(),
            beforeStaticFiles: app => app.UseResponseCompression());
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, RawHttp.Get("/page.txt", extraHeaders: "Accept-Encoding: gzip\r\n"));
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(client));

        Assert.Equal(200, response.Status);
        Assert.Equal("gzip", response.Headers["Content-Encoding"]);
        using var gzip = new GZipStream(new MemoryStream(response.Body), CompressionMode.Decompress);
        Assert.Equal(text, new StreamReader(gzip).ReadToEnd());
        Assert.Equal(0, metrics.SendFileBytes); // Compression wraps the body feature: the file never reaches sendfile.
    }

    [Fact]
    public async Task AConnectionMiddlewareWrappingTheTransportMakesItFallBack()
    {
        string hash = _site.AddFile("file.bin", 100_000);
        await using var server = await StartStaticServerAsync(listen: o => o.Use(next => connection =>
        {
            connection.Transport = new PassThroughDuplexPipe(connection.Transport);
            return next(connection);
        }));
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, RawHttp.Get("/file.bin"));
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(client));

        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(response.Body)));
        Assert.Equal(0, metrics.SendFileBytes);
        Assert.Equal(1, metrics.Fallbacks("wrapped-transport"));
    }

    [Fact]
    public async Task Http2FallsBack()
    {
        string hash = _site.AddFile("file.bin", 100_000);
        await using var server = await StartStaticServerAsync(listen: o => o.Protocols = HttpProtocols.Http2);
        using var metrics = new TransportMetrics(server.Services);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        // h2c with prior knowledge.
        var body = await http.GetByteArrayAsync($"http://127.0.0.1:{server.EndPoint.Port}/file.bin").WaitAsync(TestTimeouts.Operation);

        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(body)));
        Assert.Equal(0, metrics.SendFileBytes);
        Assert.Equal(1, metrics.Fallbacks("protocol"));
    }

    [Fact]
    public async Task AFileTruncatedWhileBeingSentAbortsTheConnection()
    {
        const int length = 64 * 1024 * 1024;
        _site.AddFile("shrinking.bin", length);
        await using var server = await StartStaticServerAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/shrinking.bin"));

        // Wait until the body is flowing, then cut the file to 1 MiB while most of it is still unsent.
        var reader = new ResponseReader(client);
        Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
        await reader.ReadExactlyAsync(64 * 1024);
        using (var file = File.Open(_site.PathOf("shrinking.bin"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            file.SetLength(1024 * 1024);
        }

        // The client must see the connection end well short of Content-Length, never hang and never get other bytes.
        long received = 0;
        var error = await Record.ExceptionAsync(async () =>
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation)) > 0)
            {
                received += read;
            }
        });
        Assert.True(error is null or SocketException { SocketErrorCode: SocketError.ConnectionReset }, error?.ToString());
        Assert.True(received < length - (64 * 1024), $"received {received} bytes");

        // The server let go of the file and keeps serving.
        await AssertNoDescriptorRefersToAsync(_site.PathOf("shrinking.bin"), server);
    }

    [Fact]
    public async Task AClientClosingMidDownloadLeaksNothing()
    {
        _site.AddFile("big.bin", 32 * 1024 * 1024);
        await using var server = await StartStaticServerAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/big.bin"));
        var reader = new ResponseReader(client);
        Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
        await reader.ReadExactlyAsync(100_000);
        client.Dispose();

        await AssertNoDescriptorRefersToAsync(_site.PathOf("big.bin"), server);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task AClientThatStopsReadingIsCutOffByMinResponseDataRate()
    {
        _site.AddFile("big.bin", 64 * 1024 * 1024);
        // Written file bytes earn time at the minimum rate, as copied ones do; a high rate keeps what the socket
        // buffers took (a few MiB) from earning more than a few seconds.
        await using var server = await StartStaticServerAsync(configureKestrel: kestrel =>
            kestrel.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024 * 1024, gracePeriod: TimeSpan.FromSeconds(1.5)));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/big.bin"));

        // Read the start of the response, then stop reading: the server's flushes stall on the full socket.
        var reader = new ResponseReader(client);
        Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
        await server.Logs.WaitForAsync("ConnectionWriteRst").WaitAsync(TestTimeouts.Long);

        // Kestrel aborted the connection; the client, reading again, finds it reset before the whole body.
        var error = await Record.ExceptionAsync(async () =>
        {
            var buffer = new byte[64 * 1024];
            while (await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation) > 0)
            {
            }
        });
        Assert.IsType<SocketException>(error);
    }

    [Fact]
    public async Task AFileResponseCompletesWithoutWaitingForItsLastWindowAndTheBodyStillArrivesWhole()
    {
        // A window larger than loopback's socket buffers hold while the client does not read, and a file a little
        // longer: the last flush waits only for the first few KiB (all but the window), which the kernel takes at
        // once. Had it waited for the whole region, the response could not complete before the client reads.
        const int window = 16 * 1024 * 1024;
        const int length = window + 4096;
        string hash = _site.AddFile("window.bin", length);
        string secondHash = _site.AddFile("second.bin", 100_000);
        var firstCompleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartStaticServerAsync(
            transport: options => options.MaxWriteBufferSize = window,
            beforeStaticFiles: app => app.Use(async (context, next) =>
            {
                await next(context);
                if (context.Request.Path == "/window.bin")
                {
                    firstCompleted.TrySetResult();
                }
            }));
        using var metrics = new TransportMetrics(server.Services);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/window.bin"));

        await firstCompleted.Task.WaitAsync(TestTimeouts.Operation);

        // Nothing of the region was lost by completing early, it went by sendfile, and the connection goes on.
        var reader = new ResponseReader(client);
        var first = await RawHttp.ReadResponseAsync(reader);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(first.Body)));
        await metrics.WaitForSendFileBytesAsync(length);
        Assert.Equal(length, metrics.SendFileBytes);
        await RawHttp.SendAsync(client, RawHttp.Get("/second.bin"));
        var second = await RawHttp.ReadResponseAsync(reader);
        Assert.Equal(secondHash, Convert.ToHexString(SHA256.HashData(second.Body)));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task APipeliningClientThatStopsReadingBehindAnUnsentRegionIsCutOffByMinResponseDataRate()
    {
        // The first response completes with its whole region (one window) still unsent; the second waits for that
        // region before queueing its own. The wait is a flush Kestrel times, so the client is cut off rather than
        // holding the connection, the request and the first file's descriptor for as long as it stays silent.
        const int window = 16 * 1024 * 1024;
        _site.AddFile("first.bin", window);
        _site.AddFile("second.bin", 100_000);
        await using var server = await StartStaticServerAsync(
            transport: options => options.MaxWriteBufferSize = window,
            configureKestrel: kestrel =>
                // A window earns window / rate seconds: at 16 MiB/s the stalled client is cut off after about a second
                // beyond the grace period instead of sixteen, and the behaviour (a timed wait, not an endless one) is the same.
                kestrel.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 16 * 1024 * 1024, gracePeriod: TimeSpan.FromSeconds(1.5)));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/first.bin") + RawHttp.Get("/second.bin"));

        await server.Logs.WaitForAsync("ConnectionWriteRst").WaitAsync(TestTimeouts.Long);

        var error = await Record.ExceptionAsync(async () =>
        {
            var buffer = new byte[64 * 1024];
            while (await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation) > 0)
            {
            }
        });
        Assert.IsType<SocketException>(error);
        await AssertNoDescriptorRefersToAsync(_site.PathOf("first.bin"), server);
    }

    [Fact]
    public async Task PipelinedFileResponsesWhoseRegionsOverlapArriveInOrderAndWhole()
    {
        // Each response completes before its region's last window is sent; the next region must still wait its
        // turn behind it, never interleave with it.
        const int window = 4 * 1024 * 1024;
        string[] hashes = [_site.AddFile("a.bin", window), _site.AddFile("b.bin", window - 1), _site.AddFile("c.bin", 300_000)];
        await using var server = await StartStaticServerAsync(transport: options => options.MaxWriteBufferSize = window);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/a.bin") + RawHttp.Get("/b.bin") + RawHttp.Get("/c.bin"));

        var reader = new ResponseReader(client);
        foreach (string hash in hashes)
        {
            var response = await RawHttp.ReadResponseAsync(reader);
            Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(response.Body)));
        }
    }

    [Fact]
    public async Task AnOnStartingCallbackThatDropsContentLengthMakesItFallBack()
    {
        string hash = _site.AddFile("file.bin", 50_000);
        await using var server = await StartStaticServerAsync(beforeStaticFiles: app => app.Use((context, next) =>
        {
            // Runs inside StartAsync, after the zero-copy guards have passed: the body becomes chunked.
            context.Response.OnStarting(() =>
            {
                context.Response.ContentLength = null;
                return Task.CompletedTask;
            });
            return next(context);
        }));
        using var metrics = new TransportMetrics(server.Services);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, RawHttp.Get("/file.bin"));
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(client));

        Assert.Equal("chunked", response.Headers["Transfer-Encoding"]);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(response.Body)));
        Assert.Equal(1, metrics.Fallbacks("changed-on-start"));
        Assert.Equal(0, metrics.SendFileBytes);
    }

    [Fact]
    public async Task TheConnectionFeatureSendsSeveralRegionsInOrderBetweenPipeBytes()
    {
        string hash1 = _site.AddFile("one.bin", 70_000);
        File.WriteAllBytes(_site.PathOf("two.bin"), Encoding.ASCII.GetBytes("0123456789abcdef"));
        await using var transport = await DirectTransport.StartAsync();
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();
        var feature = connection.Features.Get<IConnectionSendFileFeature>()!;
        var output = connection.Transport.Output;
        Assert.True(feature.CanSendFile);

        using var one = File.OpenHandle(_site.PathOf("one.bin"));
        using var two = File.OpenHandle(_site.PathOf("two.bin"));
        await output.WriteAsync(Encoding.ASCII.GetBytes("<"));
        feature.QueueFile(one, 0, 70_000);
        await AdvanceStandInsAsync(output, 70_000);
        await output.WriteAsync(Encoding.ASCII.GetBytes("|"));
        feature.QueueFile(two, 4, 6); // "456789"
        await AdvanceStandInsAsync(output, 6);
        await output.WriteAsync(Encoding.ASCII.GetBytes(">"));
        Assert.True(await feature.WaitForUnsentFileBytesAsync(0).AsTask().WaitAsync(TestTimeouts.Operation));
        Assert.Equal(0, feature.UnsentFileBytes);
        await output.CompleteAsync();

        var reader = new ResponseReader(client);
        Assert.Equal("<", Encoding.ASCII.GetString(await reader.ReadExactlyAsync(1)));
        Assert.Equal(hash1, Convert.ToHexString(SHA256.HashData(await reader.ReadExactlyAsync(70_000))));
        Assert.Equal("|456789>", Encoding.ASCII.GetString(await reader.ReadExactlyAsync(8)));
        Assert.True(await reader.IsAtEndAsync());
        await connection.DisposeAsync();

        static async Task AdvanceStandInsAsync(PipeWriter output, int count)
        {
            while (count > 0)
            {
                int advance = Math.Min(count, output.GetMemory().Length);
                output.Advance(advance);
                count -= advance;
            }

            await output.FlushAsync();
        }
    }

    private async Task<EpollTestServer> StartStaticServerAsync(
        Action<ListenOptions>? listen = null,
        Action<IServiceCollection>? configureServices = null,
        Action<WebApplication>? beforeStaticFiles = null,
        Action<KestrelServerOptions>? configureKestrel = null,
        Action<EpollTransportOptions>? transport = null)
    {
        return await EpollTestServer.StartAsync(
            kestrel =>
            {
                configureKestrel?.Invoke(kestrel);
                kestrel.Listen(IPAddress.Loopback, 0, o => listen?.Invoke(o));
            },
            transport,
            configureApp: app =>
            {
                beforeStaticFiles?.Invoke(app);
                app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(_site.Root), ServeUnknownFileTypes = true });
            },
            configureBuilder: builder => configureServices?.Invoke(builder.Services));
    }

    /// <summary>Small bodies are copied by default (see SmallFileBodyTests); these tests are about sendfile itself.</summary>
    private static void SendFileForEveryLength(EpollTransportOptions options) => options.SendFileCopyThreshold = 0;

    /// <summary>Waits (bounded) until no descriptor of this process refers to <paramref name="path"/>, then checks the server still answers.</summary>
    private async Task AssertNoDescriptorRefersToAsync(string path, EpollTestServer server)
    {
        // The server lets go of the file when the aborted request unwinds, on its own schedule: poll the
        // descriptor table for that condition, bounded by the operation timeout.
        await Eventually.WaitAsync(() => !ProcessDescriptors.Snapshot().ContainsValue(path), $"no descriptor to refer to {path}");

        string hash = _site.AddFile("after.bin", 10_000);
        await FileSite.AssertServedIntactAsync(server.EndPoint, "after.bin", hash);
    }

    private sealed class PassThroughDuplexPipe(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input { get; } = inner.Input;

        public PipeWriter Output { get; } = new PassThroughWriter(inner.Output);
    }

    private sealed class PassThroughWriter(PipeWriter inner) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }
}
