using System.Net.Sockets;
using EpollTransport.Tests.Infrastructure;

namespace EpollTransport.Tests.Conformance;

/// <summary>
/// Clients that go away (resets mid-request, downloads dropped part way, by RST or FIN) are the normal life of a
/// public server: they must leave no log entry above Debug and no error tag in the request and connection metrics.
/// </summary>
public sealed class DisconnectLoggingTests : IDisposable
{
    private const int FileLength = 16 * 1024 * 1024;
    private readonly FileSite _site = new();

    public DisconnectLoggingTests() => _site.AddFile("big.bin", FileLength);

    public void Dispose() => _site.Dispose();

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task ResetsAndAbortedDownloadsLogNothingAboveDebug(TransportUnderTest transport)
    {
        await using var server = await ConformanceServer.StartAsync(transport, _site.ServeWithTestEndpoints);

        for (int round = 0; round < 8; round++)
        {
            await Task.WhenAll(
                ResetMidRequestAsync(server),
                DropDownloadAsync(server, "/big.bin", reset: true),
                DropDownloadAsync(server, "/big.bin", reset: false),
                DropDownloadAsync(server, $"/bytes/{FileLength}", reset: true),
                DropDownloadAsync(server, $"/bytes/{FileLength}", reset: false)).WaitAsync(TestTimeouts.Long);
        }

        // Still serving, then stopped: stopping waits for every connection, so everything they logged is in.
        using (var client = await RawHttp.ConnectAsync(server.EndPoint))
        {
            await RawHttp.SendAsync(client, RawHttp.Get("/hello"));
            Assert.Equal("hello", (await RawHttp.ReadResponseAsync(new ResponseReader(client))).BodyText);
        }

        await server.StopAsync();
        Assert.Empty(server.Logs.AboveDebug);
        Assert.Empty(server.ErrorTypes.Errors);
        Assert.True(server.ErrorTypes.Measurements > 0, "the metrics were not recorded at all");
    }

    private static async Task ResetMidRequestAsync(ConformanceServer server)
    {
        var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, "GET /hello HTTP/1.1\r\nHost: local");
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();
    }

    private static async Task DropDownloadAsync(ConformanceServer server, string path, bool reset)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
        try
        {
            await client.ConnectAsync(server.EndPoint).WaitAsync(TestTimeouts.Operation);
            await RawHttp.SendAsync(client, RawHttp.Get(path));
            var reader = new ResponseReader(client);
            Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
            await reader.ReadExactlyAsync(128 * 1024);
            if (reset)
            {
                client.LingerState = new LingerOption(true, 0);
            }
        }
        finally
        {
            client.Dispose();
        }
    }
}
