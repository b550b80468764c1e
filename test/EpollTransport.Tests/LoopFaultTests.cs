using System.Net.Sockets;
using EpollTransport.Connections;
using EpollTransport.Interop;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Tests;

/// <summary>An exception on the epoll thread costs the affected connection, never the loop or the process.</summary>
public sealed class LoopFaultTests
{
    [Fact]
    public async Task AnExceptionInAConnectionsLoopWorkAbortsThatConnectionAndTheLoopGoesOn()
    {
        var logs = new LogRecorder();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        await using var transport = await DirectTransport.StartAsync(loggerFactory: loggerFactory);
        using var victimClient = await RawHttp.ConnectAsync(transport.EndPoint);
        var victim = (EpollConnection)await transport.AcceptAsync();
        var closed = new TaskCompletionSource();
        victim.ConnectionClosed.Register(closed.SetResult);

        // Work for this connection that fails on its loop, as a bug in event handling would.
        victim.Thread.Schedule(static _ => throw new InvalidOperationException("simulated loop bug"), victim);

        await logs.WaitForAsync("LoopError");
        await closed.Task.WaitAsync(TestTimeouts.Operation);
        var error = await Assert.ThrowsAsync<SocketException>(() =>
            victimClient.ReceiveAsync(new byte[1].AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        await Assert.ThrowsAsync<ConnectionAbortedException>(async () => await victim.Transport.Input.ReadAsync());
        await victim.DisposeAsync();

        // The same thread still accepts and serves.
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();
        await RawHttp.SendAsync(client, "still alive");
        var result = await connection.Transport.Input.ReadAtLeastAsync(11).AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.Equal(11, result.Buffer.Length);
        connection.Transport.Input.AdvanceTo(result.Buffer.End);
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task AFailedEpollWaitIsLoggedCriticalAndTheThreadGetsNoNewConnections()
    {
        var logs = new LogRecorder();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        var epoll = new ScriptedEpoll();
        await using var transport = await DirectTransport.StartAsync(
            o => o.ThreadCount = 2, loggerFactory: loggerFactory, systemCalls: TransportSystemCalls.Real with { Epoll = epoll });
        var listenerThread = ((EpollConnectionListener)transport.Listener).Socket.Home;
        using (var first = await RawHttp.ConnectAsync(transport.EndPoint))
        {
            var connection = (EpollConnection)await transport.AcceptAsync();
            var victim = connection.Context.Threads.Single(t => t != listenerThread);
            await connection.DisposeAsync();

            epoll.FailNextWait(victim, Errno.EBADF);
            await logs.WaitForAsync("LoopFailed");
        }

        // Every new connection goes to the surviving thread, and works.
        for (int i = 0; i < 4; i++)
        {
            using var client = await RawHttp.ConnectAsync(transport.EndPoint);
            var connection = (EpollConnection)await transport.AcceptAsync();
            Assert.Same(listenerThread, connection.Thread);
            await RawHttp.SendAsync(client, "ping");
            var result = await connection.Transport.Input.ReadAtLeastAsync(4).AsTask().WaitAsync(TestTimeouts.Operation);
            Assert.Equal(4, result.Buffer.Length);
            connection.Transport.Input.AdvanceTo(result.Buffer.End);
            await connection.DisposeAsync();
        }
    }
}
