using System.Net.Sockets;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Tests;

/// <summary>Accepting stops while Backlog accepted connections wait for Kestrel, and resumes as it takes them.</summary>
public sealed class AcceptBackPressureTests
{
    [Fact]
    public async Task NoMoreThanBacklogConnectionsWaitForAcceptAsyncAndAcceptingResumesAsTheyAreTaken()
    {
        const int backlog = 4;
        const int clients = 8; // All fit: Backlog accepted plus the kernel's listen queue (Backlog + 1), so no SYN waits for a retry.
        var logs = new LogRecorder();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        await using var transport = await DirectTransport.StartAsync(o => o.Backlog = backlog, loggerFactory: loggerFactory);
        var loop = ((EpollConnectionListener)transport.Listener).Socket.Home;

        // Connects complete in the kernel's backlog (or wait there) whether or not the transport accepts them.
        var sockets = Enumerable.Range(0, clients).Select(_ => new Socket(SocketType.Stream, ProtocolType.Tcp)).ToArray();
        var connects = sockets.Select(s => s.ConnectAsync(transport.EndPoint)).ToArray();
        try
        {
            await logs.WaitForCountAsync("ConnectionAccepted", backlog);

            // Two more loop turns: a watched listen socket with clients waiting would have been accepted from by now.
            await loop.InvokeAsync(static () => { });
            await loop.InvokeAsync(static () => { });
            Assert.Equal(backlog, logs.Count("ConnectionAccepted"));

            // Each connection taken lets one more in, until every client is served.
            var taken = new List<ConnectionContext>();
            for (int i = 0; i < clients; i++)
            {
                taken.Add(await transport.AcceptAsync());
                await logs.WaitForCountAsync("ConnectionAccepted", Math.Min(clients, backlog + i + 1));
            }

            await Task.WhenAll(connects).WaitAsync(TestTimeouts.Operation);
            Assert.Equal(clients, logs.Count("ConnectionAccepted"));
            foreach (var connection in taken)
            {
                await connection.DisposeAsync();
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
}
