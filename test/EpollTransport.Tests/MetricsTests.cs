using System.Net;
using System.Net.Sockets;
using System.Text;
using EpollTransport.Interop;
using EpollTransport.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EpollTransport.Tests;

/// <summary>The EpollTransport meter: every instrument moves with the traffic that should move it, with its attributes.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task BytesConnectionsAndLoopFiguresFollowTheTraffic()
    {
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints);
        using var metrics = new TransportMetrics(server.Services);
        int port = server.EndPoint.Port;

        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var first = Encoding.ASCII.GetBytes(RawHttp.Get("/hello"));
        await RawHttp.SendAsync(client, first);
        var reader = new ResponseReader(client);
        Assert.Equal(200, (await RawHttp.ReadResponseAsync(reader)).Status);

        // One connection open, on the only epoll thread.
        var active = metrics.Observe("epoll.connections.active");
        Assert.Equal(1, Assert.Single(active, entry => entry.Key == "epoll.connections.active[epoll.loop.thread=epoll-0]").Value);
        Assert.Equal(1, metrics.Get("epoll.connections.accepted"));
        Assert.Equal(1, metrics.Get("epoll.connections.accepted[network.transport=tcp,network.type=ipv4,server.address=127.0.0.1,server.port=" + port + "]"));

        // A second request that closes the connection: everything the server sends is what the client reads to EOF.
        var second = Encoding.ASCII.GetBytes(RawHttp.Get("/echo/abc", extraHeaders: "Connection: close\r\n"));
        await RawHttp.SendAsync(client, second);
        long received = await CountBytesToEndAsync(client);
        Assert.True(received > 0);

        await metrics.WaitForAsync(TransportMetrics.ReceivedBytesKey, first.Length + second.Length);
        Assert.Equal(first.Length + second.Length, metrics.Get(TransportMetrics.ReceivedBytesKey));
        await Eventually.WaitAsync(() => metrics.ObserveTotal("epoll.connections.active") == 0, "the active-connections gauge to reach zero");
        long firstResponseLength = metrics.WriteBytes - received;
        Assert.InRange(firstResponseLength, "HTTP/1.1 200 OK\r\n\r\nhello".Length, 1024);
        Assert.Equal(0, metrics.SendFileBytes);

        // The loop turned. Its eventfd wake-ups are reported per thread too; whether this traffic needed one depends on
        // whether the loop slept when a response was flushed (DeferredWakeSchedulerTests count them where it is known).
        Assert.True(metrics.Observe("epoll.loop.turns").GetValueOrDefault("epoll.loop.turns[epoll.loop.thread=epoll-0]") > 0);
        Assert.Contains("epoll.loop.wakeups[epoll.loop.thread=epoll-0]", metrics.Observe("epoll.loop.wakeups").Keys);
    }

    [Fact]
    public async Task ActiveConnectionsAreReportedPerEpollThread()
    {
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, t => t.ThreadCount = 2);
        using var metrics = new TransportMetrics(server.Services);

        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var client = await RawHttp.ConnectAsync(server.EndPoint);
                clients.Add(client);
                await RawHttp.SendAsync(client, RawHttp.Get("/hello"));
                Assert.Equal(200, (await RawHttp.ReadResponseAsync(new ResponseReader(client))).Status);
            }

            // Round robin: two each.
            var active = metrics.Observe("epoll.connections.active");
            Assert.Equal(2, active["epoll.connections.active[epoll.loop.thread=epoll-0]"]);
            Assert.Equal(2, active["epoll.connections.active[epoll.loop.thread=epoll-1]"]);
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }

        await Eventually.WaitAsync(() => metrics.ObserveTotal("epoll.connections.active") == 0, "the active-connections gauge to reach zero");
        Assert.Equal(4, metrics.Get("epoll.connections.accepted"));
    }

    [Fact]
    public async Task AcceptErrorsAreCountedByErrnoName()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new TransportMetrics(services);
        await using var factory = new EpollTransportFactory(
            Options.Create(new EpollTransportOptions()),
            NullLoggerFactory.Instance,
            memoryPoolFactory: null,
            services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            TransportSystemCalls.Real with { Accept = new FailingAccept(Errno.EMFILE, 2) });
        await using var listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));

        using var client = await RawHttp.ConnectAsync(listener.EndPoint);
        var connection = await listener.AcceptAsync().AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.NotNull(connection);
        await connection.DisposeAsync();

        int port = ((IPEndPoint)listener.EndPoint).Port;
        Assert.Equal(2, metrics.Get("epoll.accept.errors"));
        Assert.Equal(2, metrics.Get("epoll.accept.errors[error.type=EMFILE]"));
        Assert.Equal(2, metrics.Get($"epoll.accept.errors[server.port={port}]"));
        Assert.Equal(1, metrics.Get("epoll.connections.accepted"));
    }

    [Fact]
    public async Task BackPressurePausesAreCountedInBothDirections()
    {
        await using var server = await EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, t =>
        {
            t.MaxReadBufferSize = 16 * 1024;
            t.MaxWriteBufferSize = 16 * 1024;
        });
        using var metrics = new TransportMetrics(server.Services);

        // Receive: a 4 MiB upload to a consumer that reads 1 KiB at a time fills the small read buffer.
        using (var uploader = await RawHttp.ConnectAsync(server.EndPoint))
        {
            const int length = 4 * 1024 * 1024;
            var send = Task.Run(async () =>
            {
                await RawHttp.SendAsync(uploader, $"POST /sha256 HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n");
                await RawHttp.SendAsync(uploader, new byte[length]);
            });
            Assert.Equal(200, (await RawHttp.ReadResponseAsync(new ResponseReader(uploader)).WaitAsync(TestTimeouts.Long)).Status);
            await send;
        }

        Assert.True(metrics.Get("epoll.backpressure.pauses[network.io.direction=receive]") > 0, "no receive pause counted");

        // Transmit: a 16 MiB download to a client that reads nothing until the application's flushes have had to wait.
        using var downloader = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(downloader, RawHttp.Get("/bytes/16777216", extraHeaders: "Connection: close\r\n"));
        await metrics.WaitForAsync("epoll.backpressure.pauses[network.io.direction=transmit]", 1);
        Assert.True(await CountBytesToEndAsync(downloader) > 16 * 1024 * 1024);
    }

    private static async Task<long> CountBytesToEndAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Long)) > 0)
        {
            total += read;
        }

        return total;
    }
}
