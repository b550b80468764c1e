using System.Net.Sockets;
using EpollTransport.Memory;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.Tests;

/// <summary>
/// Memory goes back after a burst: once many connections have come and gone, every block they rented is back in the
/// pool and the transport releases what the burst left behind, once, without waiting for the next connection; not
/// at all when <see cref="EpollTransportOptions.ReleaseMemoryAfterBurst"/> is off.
/// </summary>
public sealed class MemoryAfterBurstTests
{
    private const int Burst = 300;

    [Fact]
    public async Task WhenABurstOfConnectionsHasClosedItsBlocksAreReturnedAndItsMemoryReleasedOnce()
    {
        var release = new CountedRelease();
        var pool = new CountingMemoryPool();
        await using var transport = await DirectTransport.StartAsync(memoryPoolFactory: pool, memoryRelease: release.Policy);

        await OpenAndCloseBurstAsync(transport, whileOpen: async () =>
        {
            // Every connection received into a rented block; the burst is still open, so nothing is released yet.
            await Eventually.WaitAsync(() => pool.Rented == 0, "the received bytes to be consumed and their blocks returned");
            Assert.Equal(0, release.Count);
        });

        await Eventually.WaitAsync(() => release.Count > 0, "the transport to release the burst's memory");
        Assert.Equal(0, pool.Rented);
        Assert.Equal(1, release.Count);
    }

    [Fact]
    public async Task WithReleaseMemoryAfterBurstOffNothingIsReleased()
    {
        var enabled = new CountedRelease();
        var disabled = new CountedRelease();
        await using var reference = await DirectTransport.StartAsync(memoryRelease: enabled.Policy);
        await using var transport = await DirectTransport.StartAsync(options => options.ReleaseMemoryAfterBurst = false, memoryRelease: disabled.Policy);

        await Task.WhenAll(OpenAndCloseBurstAsync(reference), OpenAndCloseBurstAsync(transport));

        // The same burst, closed at the same time, made the transport with the option on release its memory; the one
        // with it off is given that long again plus a few checks of its policy to do the same, which it must not.
        await Eventually.WaitAsync(() => enabled.Count > 0, "the transport with the option on to release the burst's memory");
        var released = System.Diagnostics.Stopwatch.StartNew();
        var margin = disabled.Policy.QuietTime + (5 * disabled.Policy.CheckInterval);
        await Eventually.WaitAsync(() => released.Elapsed > margin, "the transport with the option off to have had as long");
        Assert.Equal(0, disabled.Count);
    }

    /// <summary>Opens <see cref="Burst"/> connections, each sending a little, runs <paramref name="whileOpen"/>, then closes them all.</summary>
    private static async Task OpenAndCloseBurstAsync(DirectTransport transport, Func<Task>? whileOpen = null)
    {
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

            if (whileOpen is not null)
            {
                await whileOpen();
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await Task.WhenAll(held).WaitAsync(TestTimeouts.Operation);
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

    /// <summary>A policy for a burst of <see cref="Burst"/> with short times, whose release only counts.</summary>
    private sealed class CountedRelease
    {
        private int _count;

        public CountedRelease() =>
            Policy = new MemoryReleasePolicy(
                MinimumBurst: Burst / 2,
                QuietTime: TimeSpan.FromMilliseconds(100),
                CheckInterval: TimeSpan.FromMilliseconds(20),
                Release: () => Interlocked.Increment(ref _count));

        public MemoryReleasePolicy Policy { get; }

        public int Count => Volatile.Read(ref _count);
    }
}
