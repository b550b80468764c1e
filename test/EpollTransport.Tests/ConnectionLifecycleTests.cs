using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace EpollTransport.Tests;

/// <summary>How connections end: FIN, RST, aborts, and what each side observes.</summary>
public sealed class ConnectionLifecycleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task PeerFinCompletesInputWithoutError(int threadCount)
    {
        await using var transport = await DirectTransport.StartAsync(o => o.ThreadCount = threadCount);
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();

        await RawHttp.SendAsync(client, "last words");
        client.Shutdown(SocketShutdown.Send);

        var received = new StringBuilder();
        while (true)
        {
            var result = await connection.Transport.Input.ReadAsync().AsTask().WaitAsync(TestTimeouts.Operation);
            received.Append(Encoding.ASCII.GetString(result.Buffer.ToArray()));
            connection.Transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal("last words", received.ToString());
        await connection.DisposeAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task PeerResetSurfacesAsConnectionResetException(int threadCount)
    {
        await using var transport = await DirectTransport.StartAsync(o => o.ThreadCount = threadCount);
        var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();

        client.LingerState = new LingerOption(true, 0);
        client.Dispose(); // close with linger 0: RST

        await Assert.ThrowsAsync<ConnectionResetException>(async () =>
        {
            while (true)
            {
                var result = await connection.Transport.Input.ReadAsync().AsTask().WaitAsync(TestTimeouts.Operation);
                connection.Transport.Input.AdvanceTo(result.Buffer.End);
                Assert.False(result.IsCompleted, "a reset must not look like an orderly FIN");
            }
        });
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task ConnectionClosedFiresOnceAndEndPointsAreReported()
    {
        await using var transport = await DirectTransport.StartAsync();
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();

        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, ((IPEndPoint)connection.RemoteEndPoint!).Port);
        Assert.Equal(transport.EndPoint, connection.LocalEndPoint);

        int fired = 0;
        var closed = new TaskCompletionSource();
        connection.ConnectionClosed.Register(() =>
        {
            Interlocked.Increment(ref fired);
            closed.TrySetResult();
        });

        client.Shutdown(SocketShutdown.Both);
        await connection.Transport.Output.CompleteAsync();
        await connection.Transport.Input.CompleteAsync();
        await closed.Task.WaitAsync(TestTimeouts.Operation);
        await connection.DisposeAsync();

        Assert.Equal(1, fired);
    }

    [Fact]
    public async Task CompletingOutputSendsFinAfterAllData()
    {
        await using var transport = await DirectTransport.StartAsync();
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();

        var payload = new byte[300_000];
        new Random(7).NextBytes(payload);
        await connection.Transport.Output.WriteAsync(payload);
        await connection.Transport.Output.CompleteAsync();

        var reader = new ResponseReader(client);
        Assert.Equal(payload, await reader.ReadExactlyAsync(payload.Length));
        Assert.True(await reader.IsAtEndAsync());
        await connection.DisposeAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AbortSendsRstOrFinWithFinOnError(bool finOnError)
    {
        await using var transport = await DirectTransport.StartAsync(o => o.FinOnError = finOnError);
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();

        connection.Abort(new ConnectionAbortedException("test abort"));

        var buffer = new byte[16];
        if (finOnError)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation);
            Assert.Equal(0, read);
        }
        else
        {
            var error = await Assert.ThrowsAsync<SocketException>(() => client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation));
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        }

        await Assert.ThrowsAsync<ConnectionAbortedException>(async () => await connection.Transport.Input.ReadAsync());
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task AbortFromAConnectionHandlerResetsTheClient()
    {
        await using var server = await EpollTestServer.StartAsync(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, o => o.Run(async connection =>
            {
                await connection.Transport.Input.ReadAsync();
                connection.Abort(new ConnectionAbortedException("handler gave up"));
            })));
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, "hello");

        var error = await Assert.ThrowsAsync<SocketException>(() =>
            client.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        await server.Logs.WaitForAsync("ConnectionWriteRst");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ClientResetMidResponseAbortsTheRequestAndTheServerKeepsServing(int threadCount)
    {
        var requestAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await EpollTestServer.StartHttpAsync(app =>
        {
            TestApp.MapEndpoints(app);
            app.MapGet("/endless", async (HttpContext context) =>
            {
                using var registration = context.RequestAborted.Register(() => requestAborted.TrySetResult());
                var chunk = new byte[64 * 1024];
                try
                {
                    // Far more than the client will read. Once Kestrel has aborted the response its writes complete
                    // at once without error, so the loop ends quickly; then wait for RequestAborted. (Spinning on
                    // those no-op writes instead would keep a thread-pool thread busy with work items of its own and
                    // starve the queued cancellation of RequestAborted.)
                    for (int i = 0; i < 1024 && !context.RequestAborted.IsCancellationRequested; i++)
                    {
                        await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    }

                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                    // The write failed on the reset (possibly before RequestAborted fired, which Kestrel does on
                    // the thread pool): the request saw the abort either way.
                    requestAborted.TrySetResult();
                }
            });
        }, t => t.ThreadCount = threadCount);

        var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/endless"));
        var reader = new ResponseReader(client);
        Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
        await reader.ReadExactlyAsync(100_000);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();

        await requestAborted.Task.WaitAsync(TestTimeouts.Operation);

        using var next = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(next, RawHttp.Get("/hello"));
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(next));
        Assert.Equal("hello", response.BodyText);
    }
}
