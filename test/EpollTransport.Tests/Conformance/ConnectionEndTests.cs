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
        var handlerEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requestAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ConformanceServer.StartAsync(transport, app => app.MapGet("/wait", async (HttpContext context) =>
        {
            using var registration = context.RequestAborted.Register(() => requestAborted.TrySetResult());
            handlerEntered.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            await context.Response.WriteAsync("too late");
        }));

        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/wait"));
        await handlerEntered.Task.WaitAsync(TestTimeouts.Operation);
        client.Shutdown(SocketShutdown.Send);

        await requestAborted.Task.WaitAsync(TestTimeouts.Operation);

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
        var handlerEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requestAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ConformanceServer.StartAsync(transport, app => app.MapGet("/wait", async (HttpContext context) =>
        {
            using var registration = context.RequestAborted.Register(() => requestAborted.TrySetResult());
            handlerEntered.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }));

        var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/wait"));
        await handlerEntered.Task.WaitAsync(TestTimeouts.Operation);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();

        // Nothing is being written, so only the transport noticing the reset can abort the request.
        await requestAborted.Task.WaitAsync(TestTimeouts.Operation);
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
}
