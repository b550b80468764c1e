using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using EpollTransport.Tests.Infrastructure;

namespace EpollTransport.Tests;

/// <summary>HTTP/1.1 through Kestrel on the epoll transport, driven from raw sockets.</summary>
public sealed class HttpTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task PipelinedRequestsInOnePacketAreAnsweredInOrder(int threadCount)
    {
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, t => t.ThreadCount = threadCount);
        using var socket = await RawHttp.ConnectAsync(server.EndPoint);

        const int count = 20;
        string requests = string.Concat(Enumerable.Range(0, count).Select(i => RawHttp.Get($"/echo/r{i}")));
        await RawHttp.SendAsync(socket, requests);

        var reader = new ResponseReader(socket);
        for (int i = 0; i < count; i++)
        {
            var response = await RawHttp.ReadResponseAsync(reader);
            Assert.Equal(200, response.Status);
            Assert.Equal($"r{i}", response.BodyText);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task RequestDeliveredOneByteAtATime(int threadCount)
    {
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, t => t.ThreadCount = threadCount);
        using var socket = await RawHttp.ConnectAsync(server.EndPoint);
        socket.NoDelay = true;

        foreach (byte b in Encoding.ASCII.GetBytes(RawHttp.Get("/echo/slowly")))
        {
            await RawHttp.SendAsync(socket, new[] { b });
        }

        var response = await RawHttp.ReadResponseAsync(new ResponseReader(socket));
        Assert.Equal(200, response.Status);
        Assert.Equal("slowly", response.BodyText);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task UploadOf16MiBArrivesIntactThroughReadBackPressure(int threadCount)
    {
        // A small read buffer and a consumer that reads 1 KiB at a time force the transport to pause and resume.
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, t =>
        {
            t.ThreadCount = threadCount;
            t.MaxReadBufferSize = 64 * 1024;
        });
        using var socket = await RawHttp.ConnectAsync(server.EndPoint);

        const int length = 16 * 1024 * 1024;
        var sendTask = Task.Run(async () =>
        {
            await RawHttp.SendAsync(socket, $"POST /sha256 HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n");
            var chunk = new byte[256 * 1024];
            using var pattern = new PatternStream(length);
            int read;
            while ((read = pattern.Read(chunk, 0, chunk.Length)) > 0)
            {
                await RawHttp.SendAsync(socket, chunk.AsMemory(0, read));
            }
        });

        var response = await RawHttp.ReadResponseAsync(new ResponseReader(socket)).WaitAsync(TestTimeouts.Long);
        await sendTask;

        Assert.Equal(200, response.Status);
        Assert.Equal($"{length} {HashOfPattern(length)}", response.BodyText);
        Assert.True(server.Logs.Count("ConnectionPause") > 0, "reading never paused");
        Assert.True(server.Logs.Count("ConnectionResume") > 0, "reading never resumed");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [Trait("Category", "Slow")]
    public async Task DownloadOf64MiBArrivesIntactToASlowReader(int threadCount)
    {
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, t => t.ThreadCount = threadCount);

        const int length = 64 * 1024 * 1024;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            // A tiny receive window and small reads keep the server's socket full: partial writes and EPOLLOUT waits.
            ReceiveBufferSize = 4096,
        };
        await socket.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(socket, RawHttp.Get($"/bytes/{length}"));

        var reader = new ResponseReader(socket);
        Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
        string line;
        long contentLength = -1;
        while ((line = await reader.ReadLineAsync()).Length > 0)
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = long.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(length, contentLength);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long remaining = length;
        while (remaining > 0)
        {
            var piece = await reader.ReadExactlyAsync((int)Math.Min(remaining, 4096)).WaitAsync(TestTimeouts.Long);
            hash.AppendData(piece);
            remaining -= piece.Length;
        }

        Assert.Equal(HashOfPattern(length), Convert.ToHexString(hash.GetHashAndReset()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [Trait("Category", "Slow")]
    public async Task ThousandConcurrentKeepAliveConnectionsEachCompleteRequests(int threadCount)
    {
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, t => t.ThreadCount = threadCount);

        const int count = 1000;
        var sockets = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => RawHttp.ConnectAsync(server.EndPoint)));
        try
        {
            var readers = sockets.Select(s => new ResponseReader(s)).ToArray();

            // Two requests on every connection while all of them stay open: keep-alive on each.
            for (int round = 0; round < 2; round++)
            {
                var responses = await Task.WhenAll(sockets.Select(async (socket, i) =>
                {
                    await RawHttp.SendAsync(socket, RawHttp.Get($"/echo/c{i}-{round}"));
                    return await RawHttp.ReadResponseAsync(readers[i]);
                })).WaitAsync(TestTimeouts.Long);

                for (int i = 0; i < count; i++)
                {
                    Assert.Equal(200, responses[i].Status);
                    Assert.Equal($"c{i}-{round}", responses[i].BodyText);
                }
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static string HashOfPattern(long length)
    {
        using var pattern = new PatternStream(length);
        return Convert.ToHexString(SHA256.HashData(pattern));
    }
}
