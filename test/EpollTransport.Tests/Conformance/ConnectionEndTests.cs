using System.Net.Sockets;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EpollTransport.Tests.Conformance;

/// <summary>
/// What an application sees when the client goes away: the same on every transport, as defined by Kestrel's
/// Sockets transport.
/// </summary>
public sealed class ConnectionEndTests
{
    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task RequestAbortedFiresWhenTheClientHalfCloses(TransportUnderTest transport)
    {
        var handler = new HandlerWaitingForAbort(lateWrite: "too late");
        await using var server = await ConformanceServer.StartAsync(transport, handler.Map);

        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/wait"));
        await handler.Entered.WaitAsync(TestTimeouts.Operation);
        client.Shutdown(SocketShutdown.Send);

        await handler.Aborted.WaitAsync(TestTimeouts.Operation);

        // The request was aborted, so no response comes: the connection ends (FIN or RST) with nothing on it.
        var buffer = new byte[1024];
        var error = await Record.ExceptionAsync(async () =>
            Assert.Equal(0, await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation)));
        Assert.True(error is null or SocketException { SocketErrorCode: SocketError.ConnectionReset }, error?.ToString());
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task RequestAbortedFiresWhenTheClientResetsWhileTheHandlerWaits(TransportUnderTest transport)
    {
        var handler = new HandlerWaitingForAbort(lateWrite: null);
        await using var server = await ConformanceServer.StartAsync(transport, handler.Map);

        var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/wait"));
        await handler.Entered.WaitAsync(TestTimeouts.Operation);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();

        // Nothing is being written, so only the transport noticing the reset can abort the request.
        await handler.Aborted.WaitAsync(TestTimeouts.Operation);
        await server.StopAsync();
        Assert.Empty(server.Logs.AboveDebug);
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task WritesAfterTheClientDisconnectsAreNoOpsAndWritesWithTheAbortedTokenThrow(TransportUnderTest transport)
    {
        var handlerEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcome = new TaskCompletionSource<(Exception? Plain, Exception? WithToken)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ConformanceServer.StartAsync(transport, app => app.MapGet("/late", async (HttpContext context) =>
        {
            await context.Response.WriteAsync("started");
            handlerEntered.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

            var chunk = new byte[16 * 1024];
            var plain = await Record.ExceptionAsync(async () =>
            {
                for (int i = 0; i < 64; i++)
                {
                    await context.Response.Body.WriteAsync(chunk);
                    await context.Response.Body.FlushAsync();
                }
            });
            var withToken = await Record.ExceptionAsync(() => context.Response.Body.WriteAsync(chunk, context.RequestAborted).AsTask());
            outcome.TrySetResult((plain, withToken));
        }));

        var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/late"));
        await handlerEntered.Task.WaitAsync(TestTimeouts.Operation);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();

        var (plainError, tokenError) = await outcome.Task.WaitAsync(TestTimeouts.Operation);
        Assert.Null(plainError);
        Assert.IsAssignableFrom<OperationCanceledException>(tokenError);
        await server.StopAsync();
        Assert.Empty(server.Logs.AboveDebug);
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task WritingAfterAnUnobservedCloseFiresRequestAbortedWithoutErrors(TransportUnderTest transport)
    {
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ConformanceServer.StartAsync(transport, app => app.MapGet("/stream", async (HttpContext context) =>
        {
            handlerEntered.TrySetResult();
            var chunk = new byte[64 * 1024];
            outcome.TrySetResult(await Record.ExceptionAsync(async () =>
            {
                // Writes until the transport reports the client gone; never observes the token itself.
                for (int i = 0; i < 100_000 && !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await context.Response.Body.WriteAsync(chunk);
                    if (i % 16 == 15)
                    {
                        await Task.Yield();
                    }
                }
            }));
        }));

        var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/stream"));
        await handlerEntered.Task.WaitAsync(TestTimeouts.Operation);
        client.Dispose();

        Assert.Null(await outcome.Task.WaitAsync(TestTimeouts.Operation));
        await server.StopAsync();
        Assert.Empty(server.Logs.AboveDebug);
    }

    /// <summary>
    /// Maps GET /wait to a handler that waits until the request is aborted, reporting when it has entered and when
    /// RequestAborted fired; with <paramref name="lateWrite"/> it then writes that text, which must not reach the client.
    /// </summary>
    private sealed class HandlerWaitingForAbort(string? lateWrite)
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public Task Aborted => _aborted.Task;

        public void Map(WebApplication app) => app.MapGet("/wait", async (HttpContext context) =>
        {
            using var registration = context.RequestAborted.Register(() => _aborted.TrySetResult());
            _entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            if (lateWrite is not null)
            {
                await context.Response.WriteAsync(lateWrite);
            }
        });
    }
}
