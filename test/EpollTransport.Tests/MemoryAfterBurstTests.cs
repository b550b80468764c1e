using System.Net.Sockets;
using EpollTransport.Memory;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.Tests;

/// <summary>
/// Memory goes back after a burst: once many connections have come and gone, every block they rented is back in the
/// pool and the transport releases what the burst left behind, once, without waiting for the next connection.
/// </summary>
public sealed class MemoryAfterBurstTests
{
    private const int Burst = 300;

    [Fact]
    public async Task WhenABurstOfConnectionsHasClosedItsBlocksAreReturnedAndItsMemoryReleasedOnce()
    {
        int releases = 0;
        var policy = new MemoryReleasePolicy(
            MinimumBurst: Burst / 2,
            QuietTime: TimeSpan.FromMilliseconds(100),
            CheckInterval: TimeSpan.FromMilliseconds(20),
            Release: () => Interlocked.Increment(ref releases));
        var pool = new CountingMemoryPool();
        await using var transport = await DirectTransport.StartAsync(memoryPoolFactory: pool, memoryRelease: policy);

        var clients = new List<Socket>(Burst);
        var held = new List<Task>(Burst);
        try
        {
            for (int i = 0; i < Burst; i++)
            {
                var client = await RawHttp.ConnectAsync(transport.EndPoint);
                clients.Add(client);
                var connection = await transport.AcceptAsync();
                await RawHttp.SendAsync(client, "ping");
                held.Add(HoldUntilClosedAsync(connection));
            }

            // Every connection received into a rented block; the burst is still open, so nothing is released yet.
            await Eventually.WaitAsync(() => pool.Rented == 0, "the received bytes to be consumed and their blocks returned");
            Assert.Equal(0, Volatile.Read(ref releases));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await Task.WhenAll(held).WaitAsync(TestTimeouts.Operation);
        await Eventually.WaitAsync(() => Volatile.Read(ref releases) > 0, "the transport to release the burst's memory");
        Assert.Equal(0, pool.Rented);
        Assert.Equal(1, Volatile.Read(ref releases));
    }

    /// <summary>What Kestrel does with an idle connection: a read pending until the peer goes, then the connection's end.</summary>
    private static async Task HoldUntilClosedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync();
            input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }
        }

        await input.CompleteAsync();
        await connection.Transport.Output.CompleteAsync();
        await connection.DisposeAsync();
    }
}
