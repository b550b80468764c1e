using System.Security.Cryptography;
using System.Text;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EpollTransport.Tests.Conformance;

/// <summary>Ordinary request flows, byte for byte the same on every transport.</summary>
public sealed class RequestFlowTests
{
    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task PipelinedRequestsAreAnsweredInOrderOnOneConnection(TransportUnderTest transport)
    {
        await using var server = await ConformanceServer.StartAsync(transport, TestApp.MapEndpoints);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);

        await RawHttp.SendAsync(client, string.Concat(Enumerable.Range(0, 16).Select(i => RawHttp.Get($"/echo/p{i}"))));
        var reader = new ResponseReader(client);
        for (int i = 0; i < 16; i++)
        {
            var response = await RawHttp.ReadResponseAsync(reader);
            Assert.Equal(200, response.Status);
            Assert.Equal($"p{i}", response.BodyText);
        }
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task AnUploadLargerThanTheReadBufferReachesASlowConsumerIntact(TransportUnderTest transport)
    {
        const int length = 4 * 1024 * 1024;
        await using var server = await ConformanceServer.StartAsync(transport, TestApp.MapEndpoints);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var body = new byte[length];
        using (var pattern = new PatternStream(length))
        {
            pattern.ReadExactly(body);
        }

        var send = Task.Run(async () =>
        {
            await RawHttp.SendAsync(client, $"POST /sha256 HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n\r\n");
            await RawHttp.SendAsync(client, body);
        });
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(client)).WaitAsync(TestTimeouts.Long);
        await send;

        Assert.Equal(200, response.Status);
        Assert.Equal($"{length} {Convert.ToHexString(SHA256.HashData(body))}", response.BodyText);
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task AStreamedDownloadArrivesIntactAndTheConnectionIsKeptAlive(TransportUnderTest transport)
    {
        const int length = 8 * 1024 * 1024;
        await using var server = await ConformanceServer.StartAsync(transport, TestApp.MapEndpoints);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);

        await RawHttp.SendAsync(client, RawHttp.Get($"/bytes/{length}"));
        var download = await RawHttp.ReadResponseAsync(reader).WaitAsync(TestTimeouts.Long);
        await RawHttp.SendAsync(client, RawHttp.Get("/hello"));
        var next = await RawHttp.ReadResponseAsync(reader);

        using var pattern = new PatternStream(length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(pattern)), Convert.ToHexString(SHA256.HashData(download.Body)));
        Assert.Equal("hello", Encoding.UTF8.GetString(next.Body));
    }

    [Theory]
    [MemberData(nameof(Transports.ThreadPoolScheduled), MemberType = typeof(Transports))]
    public async Task ARequestThatBlocksItsThreadDoesNotHoldUpAnotherConnection(TransportUnderTest transport)
    {
        using var blockedRequestStarted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        await using var server = await ConformanceServer.StartAsync(transport, app =>
        {
            // Synchronous blocking, as an application calling a blocking API does: the thread it runs on is held.
            app.MapGet("/block", () =>
            {
                blockedRequestStarted.Set();
                return release.Wait(TestTimeouts.Long) ? "released" : "timed out";
            });
            app.MapGet("/ready", () => "ready");
            app.MapGet("/release", () =>
            {
                release.Set();
                return Results.Text("done");
            });
        });

        // Both connections first complete a request, so each next request is delivered to a waiting read (the
        // transport schedules it), not picked up by Kestrel's start of the connection.
        using var blocked = await RawHttp.ConnectAsync(server.EndPoint);
        using var other = await RawHttp.ConnectAsync(server.EndPoint);
        var blockedReader = new ResponseReader(blocked);
        var otherReader = new ResponseReader(other);
        foreach (var (socket, reader) in new[] { (blocked, blockedReader), (other, otherReader) })
        {
            await RawHttp.SendAsync(socket, RawHttp.Get("/ready"));
            Assert.Equal("ready", (await RawHttp.ReadResponseAsync(reader).WaitAsync(TestTimeouts.Operation)).BodyText);
        }

        await RawHttp.SendAsync(blocked, RawHttp.Get("/block"));
        Assert.True(blockedRequestStarted.Wait(TestTimeouts.Operation), "The blocking request never started.");

        // Only this request can release the first one, so it must be served while the first one blocks its thread.
        await RawHttp.SendAsync(other, RawHttp.Get("/release"));
        var otherResponse = await RawHttp.ReadResponseAsync(otherReader).WaitAsync(TestTimeouts.Operation);
        var blockedResponse = await RawHttp.ReadResponseAsync(blockedReader).WaitAsync(TestTimeouts.Operation);

        Assert.Equal("done", otherResponse.BodyText);
        Assert.Equal("released", blockedResponse.BodyText);
    }
}
