using System.Net.Sockets;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EpollTransport.Tests.Conformance;

/// <summary>
/// An aborted connection is closed at once, even while its handler still runs, as Kestrel's Sockets transport
/// closes its socket in <c>Abort</c>: the client sees the end of the connection before the handler completes, and
/// the handler's later writes are no-ops.
/// </summary>
public sealed class AbortWhileHandlerRunsTests
{
    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task AClientHalfCloseClosesTheConnectionWhileTheHandlerStillRuns(TransportUnderTest transport)
    {
        await using var server = await StartAsync(transport, abortFirst: false, out var handler);
        using var client = await RequestHoldAsync(server, handler);

        // Kestrel aborts the connection when the input ends (the handler ignores RequestAborted and keeps running).
        client.Shutdown(SocketShutdown.Send);

        await AssertTheConnectionEndsBeforeTheHandlerAsync(client, handler);
        await server.StopAsync();
        Assert.Empty(server.Logs.AboveDebug);
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task AnApplicationAbortClosesTheConnectionWhileTheHandlerStillRuns(TransportUnderTest transport)
    {
        await using var server = await StartAsync(transport, abortFirst: true, out var handler);
        using var client = await RequestHoldAsync(server, handler);

        await AssertTheConnectionEndsBeforeTheHandlerAsync(client, handler);
    }

    private static Task<ConformanceServer> StartAsync(TransportUnderTest transport, bool abortFirst, out HoldingHandler handler)
    {
        var holding = handler = new HoldingHandler();
        return ConformanceServer.StartAsync(transport, app => app.MapGet("/hold", async (HttpContext context) =>
        {
            if (abortFirst)
            {
                context.Abort();
            }

            holding.Entered.TrySetResult();
            await holding.Release.Task;
            holding.LateWriteError = await Record.ExceptionAsync(async () =>
            {
                await context.Response.WriteAsync("too late");
                await context.Response.Body.FlushAsync();
            });
            holding.Finished.TrySetResult();
        }));
    }

    /// <summary>Connects and sends GET /hold; returns once the handler runs.</summary>
    private static async Task<Socket> RequestHoldAsync(ConformanceServer server, HoldingHandler handler)
    {
        var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/hold"));
        await handler.Entered.Task.WaitAsync(TestTimeouts.Operation);
        return client;
    }

    /// <summary>The client sees the connection end while the handler still runs; once released, its late writes are no-ops.</summary>
    private static async Task AssertTheConnectionEndsBeforeTheHandlerAsync(Socket client, HoldingHandler handler)
    {
        await AssertConnectionEndsAsync(client);
        Assert.False(handler.Finished.Task.IsCompleted, "The connection must end while the handler still runs.");
        await handler.ReleaseAndCheckLateWritesAsync();
    }

    /// <summary>The connection ends with nothing on it: FIN (0 bytes) or RST.</summary>
    private static async Task AssertConnectionEndsAsync(Socket client)
    {
        var buffer = new byte[1024];
        var error = await Record.ExceptionAsync(async () =>
            Assert.Equal(0, await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation)));
        Assert.True(error is null or SocketException { SocketErrorCode: SocketError.ConnectionReset }, error?.ToString());
    }

    private sealed class HoldingHandler
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? LateWriteError { get; set; }

        /// <summary>Lets the handler write after the connection has ended: the writes complete without an exception.</summary>
        public async Task ReleaseAndCheckLateWritesAsync()
        {
            Release.TrySetResult();
            await Finished.Task.WaitAsync(TestTimeouts.Operation);
            Assert.Null(LateWriteError);
        }
    }
}
