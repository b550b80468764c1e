using System.Net.Sockets;
using EpollTransport.Connections;
using EpollTransport.Loop;
using EpollTransport.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EpollTransport.Tests;

/// <summary>Interest changes are applied once per loop turn, not once per partial write and again per EPOLLOUT.</summary>
public sealed class InterestChangeTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task ADownloadToASlowReaderCostsAFewEpollCtlCallsNotTwoPerPartialWrite()
    {
        const int length = 16 * 1024 * 1024;
        // No write-buffer limit: the application's bytes are all in the pipe, so the send never waits for more of
        // them, only for the socket (EPOLLOUT), turn after turn.
        var epoll = new ScriptedEpoll();
        await using var transport = await DirectTransport.StartAsync(
            o => o.MaxWriteBufferSize = null, systemCalls: TransportSystemCalls.Real with { Epoll = epoll });
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
        await client.ConnectAsync(transport.EndPoint).WaitAsync(TestTimeouts.Operation);
        var connection = (EpollConnection)await transport.AcceptAsync();
        var loop = connection.Thread;

        // A small send buffer makes nearly every send partial, so each one waits for EPOLLOUT.
        ((Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature)connection).Socket.SendBufferSize = 4096;
        long before = await CallsAsync(loop, epoll);

        // The application writes far more than the socket buffers hold; the client reads in small pieces.
        var write = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            for (int sent = 0; sent < length; sent += chunk.Length)
            {
                await connection.Transport.Output.WriteAsync(chunk);
            }
        });
        var buffer = new byte[4096];
        long received = 0;
        while (received < length)
        {
            received += await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation);
        }

        await write.WaitAsync(TestTimeouts.Operation);
        long calls = await CallsAsync(loop, epoll) - before;
        output.WriteLine($"epoll_ctl calls for a {length}-byte download: {calls}");
        // At least one: waiting for EPOLLOUT takes an interest change, so none counted means none was seen.
        Assert.True(calls is > 0 and < 32, $"{calls} epoll_ctl calls");
        await connection.DisposeAsync();
    }

    /// <summary>The epoll_ctl calls made so far, read after everything already queued on the loop has run.</summary>
    private static async Task<long> CallsAsync(EpollThread loop, ScriptedEpoll epoll)
    {
        await loop.InvokeAsync(static () => { });
        return epoll.ControlCalls;
    }
}
