using System.Net;
using System.Net.Sockets;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using System.Buffers;
using EpollTransport.Interop;
using Xunit.Abstractions;

namespace EpollTransport.Tests;

/// <summary>Descriptors: none leak, and running out of them does not spin the loop.</summary>
[Collection(NonParallelCollection.Name)]
public sealed class ResourceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryDescriptorIsClosedAfterTheServersStop()
    {
        // The first round warms up what the runtime opens once and keeps (its own socket engine, for the clients).
        await RunMixedWorkloadAsync();
        var before = ProcessDescriptors.Snapshot();

        await RunMixedWorkloadAsync();
        await RunMixedWorkloadAsync();

        var after = ProcessDescriptors.Snapshot();
        int socketsBefore = before.Values.Count(ProcessDescriptors.IsTransportKind);
        int socketsAfter = after.Values.Count(ProcessDescriptors.IsTransportKind);
        output.WriteLine($"open descriptors before: {before.Count} ({socketsBefore} sockets/epoll/eventfd), after: {after.Count} ({socketsAfter})");
        Assert.True(socketsBefore == socketsAfter, $"new descriptors: {ProcessDescriptors.Describe(before, after)}");
    }

    [Fact]
    public async Task RunningOutOfDescriptorsBacksOffInsteadOfSpinningAndRecovers()
    {
        var logs = new LogRecorder();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        // Real descriptor exhaustion cannot be staged inside a .NET process (the runtime itself then fails), so the
        // listen socket sees EMFILE from its first four accept4 calls; everything else is real.
        await using var transport = await DirectTransport.StartAsync(loggerFactory: loggerFactory, systemCalls: TransportSystemCalls.Real with { Accept = new FailingAccept(Errno.EMFILE, 4) });

        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        await logs.WaitForAsync("AcceptError");
        long errorLoggedAt = Environment.TickCount64;
        await logs.WaitForCountAsync("AcceptRetryFailed", 3);
        long elapsed = Environment.TickCount64 - errorLoggedAt;

        // Retries follow the back-off schedule (50, 100, 200 ms); a loop that retried at once would be here in microseconds.
        Assert.True(elapsed >= 50 + 100 - 10, $"three retries took only {elapsed} ms");
        Assert.Equal(1, logs.Count("AcceptError"));

        // The next retry succeeds: the client that waited in the backlog is accepted and works.
        var connection = await transport.AcceptAsync();
        await logs.WaitForAsync("AcceptResumed");
        await RawHttp.SendAsync(client, "ping");
        var result = await connection.Transport.Input.ReadAtLeastAsync(4).AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(result.Buffer.ToArray()));
        connection.Transport.Input.AdvanceTo(result.Buffer.End);
        await connection.DisposeAsync();
    }

    private static async Task RunMixedWorkloadAsync()
    {
        string unixPath = Path.Combine(Path.GetTempPath(), $"epoll-leak-{Guid.NewGuid():N}.sock");
        var idleClients = new List<Socket>();
        ListenOptions? http = null;
        ListenOptions? aborting = null;
        await using (var server = await EpollTestServer.StartAsync(
            kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, 0, o => http = o);
                kestrel.ListenUnixSocket(unixPath);
                kestrel.Listen(IPAddress.Loopback, 0, o =>
                {
                    aborting = o;
                    o.Run(async connection =>
                    {
                        await connection.Transport.Input.ReadAsync();
                        connection.Abort(new ConnectionAbortedException("server abort"));
                    });
                });
            },
            t => t.ThreadCount = 2,
            TestApp.MapEndpoints))
        {
            // Kestrel writes the bound endpoint (port 0 resolved) back into each ListenOptions.
            var httpEndPoint = http!.IPEndPoint!;
            var abortEndPoint = aborting!.IPEndPoint!;

            // Orderly keep-alive requests.
            await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
            {
                using var socket = await RawHttp.ConnectAsync(i % 2 == 0 ? httpEndPoint : new UnixDomainSocketEndPoint(unixPath));
                var reader = new ResponseReader(socket);
                for (int r = 0; r < 3; r++)
                {
                    await RawHttp.SendAsync(socket, RawHttp.Get("/hello"));
                    Assert.Equal(200, (await RawHttp.ReadResponseAsync(reader)).Status);
                }
            }));

            // Clients that reset mid-response.
            for (int i = 0; i < 10; i++)
            {
                var socket = await RawHttp.ConnectAsync(httpEndPoint);
                await RawHttp.SendAsync(socket, RawHttp.Get("/bytes/10000000"));
                await new ResponseReader(socket).ReadLineAsync();
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
            }

            // Connections the server aborts.
            for (int i = 0; i < 10; i++)
            {
                using var socket = await RawHttp.ConnectAsync(abortEndPoint);
                await RawHttp.SendAsync(socket, "x");
                await Assert.ThrowsAsync<SocketException>(() =>
                    socket.ReceiveAsync(new byte[1].AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation));
            }

            // Keep-alive connections still open when the server stops (closed below, after the server is gone).
            for (int i = 0; i < 5; i++)
            {
                var idle = await RawHttp.ConnectAsync(httpEndPoint);
                idleClients.Add(idle);
                await RawHttp.SendAsync(idle, RawHttp.Get("/hello"));
                await RawHttp.ReadResponseAsync(new ResponseReader(idle));
            }
        }

        foreach (var idle in idleClients)
        {
            idle.Dispose();
        }
    }
}
