using System.Buffers;
using System.Net.Sockets;
using System.Text;
using EpollTransport.Tests.Infrastructure;

namespace EpollTransport.Tests;

/// <summary>An idle connection holds no buffer: memory is taken when data arrives and given back once it is consumed and sent.</summary>
public sealed class IdleConnectionMemoryTests
{
    [Theory]
    [InlineData(ApplicationSchedulingMode.ThreadPool)]
    [InlineData(ApplicationSchedulingMode.Inline)]
    public async Task AConnectionThatWentIdleAfterAnExchangeRentsNoBuffer(ApplicationSchedulingMode mode)
    {
        var pool = new CountingMemoryPool();
        await using var transport = await DirectTransport.StartAsync(o => o.ApplicationSchedulingMode = mode, memoryPoolFactory: pool);
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();
        Assert.Equal(0, pool.Rented); // Accepted, nothing received yet: nothing rented.

        // One exchange: the bytes received are read and consumed, the reply is written and sent.
        await RawHttp.SendAsync(client, "ping");
        var input = connection.Transport.Input;
        var read = await input.ReadAtLeastAsync(4).AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.Equal("ping", Encoding.ASCII.GetString(read.Buffer.ToArray()));
        Assert.True(pool.Rented > 0, "the received bytes must have been in a rented block");
        input.AdvanceTo(read.Buffer.End);
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("pong"));
        Assert.Equal("pong", Encoding.ASCII.GetString(await new ResponseReader(client).ReadExactlyAsync(4)));

        // The loop returns the reply's block right after sending it, on its own thread: wait for that, bounded.
        await Eventually.WaitAsync(() => pool.Rented == 0, "the reply's block to return to the pool");

        // A pending read, as Kestrel keeps on an idle keep-alive connection, takes nothing either.
        var pendingRead = input.ReadAsync();
        Assert.False(pendingRead.IsCompleted);
        Assert.Equal(0, pool.Rented);

        client.Shutdown(SocketShutdown.Both);
        await pendingRead.AsTask().WaitAsync(TestTimeouts.Operation);
        connection.Transport.Output.Complete();
        input.Complete();
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task WithoutKestrelsPoolTheTransportReceivesIntoBlocksOfTheSharedPool()
    {
        // MemoryPool<byte>.Shared, the fallback without an IMemoryPoolFactory, reports Array.MaxLength as its
        // largest block: the pipes must not take that as their segment size.
        await using var transport = await DirectTransport.StartAsync();
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await RawHttp.SendAsync(client, "ping");
        var read = await connection.Transport.Input.ReadAtLeastAsync(4).AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.Equal("ping", Encoding.ASCII.GetString(read.Buffer.ToArray()));

        // A segment of the pool's "maximum" would be a 2 GiB array for four bytes (and an OutOfMemoryException under
        // load). The bound is loose because other tests allocate in this process meanwhile.
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 256L * 1024 * 1024, $"receiving four bytes allocated {allocated:N0} bytes");
        connection.Transport.Input.AdvanceTo(read.Buffer.End);
        connection.Transport.Input.Complete();
        connection.Transport.Output.Complete();
        await connection.DisposeAsync();
    }
}
