using System.Security.Cryptography;
using System.Text;
using EpollTransport.Tests.Infrastructure;

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
}
