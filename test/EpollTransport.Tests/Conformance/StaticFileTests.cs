using System.Security.Cryptography;
using EpollTransport.Tests.Infrastructure;

namespace EpollTransport.Tests.Conformance;

/// <summary>UseStaticFiles bodies: sendfile on epoll, Kestrel's copy on Sockets, the same bytes and framing either way.</summary>
public sealed class StaticFileTests : IDisposable
{
    private const int FileLength = 3 * 1024 * 1024 + 17;
    private readonly FileSite _site = new();
    private readonly string _hash;

    public StaticFileTests() => _hash = _site.AddFile("file.bin", FileLength);

    public void Dispose() => _site.Dispose();

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task AFileAndARangeOfItArriveIntactOnOneKeepAliveConnection(TransportUnderTest transport)
    {
        await using var server = await ConformanceServer.StartAsync(transport, _site.ServeWithTestEndpoints);
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);

        await RawHttp.SendAsync(client, RawHttp.Get("/file.bin") + RawHttp.Get("/file.bin", extraHeaders: "Range: bytes=1000-2999\r\n") + RawHttp.Get("/hello"));
        var whole = await RawHttp.ReadResponseAsync(reader).WaitAsync(TestTimeouts.Long);
        var range = await RawHttp.ReadResponseAsync(reader);
        var hello = await RawHttp.ReadResponseAsync(reader);

        Assert.Equal(200, whole.Status);
        Assert.Equal(_hash, Convert.ToHexString(SHA256.HashData(whole.Body)));
        Assert.Equal(206, range.Status);
        Assert.Equal(whole.Body.AsSpan(1000, 2000).ToArray(), range.Body);
        Assert.Equal("hello", hello.BodyText);
        await server.StopAsync();
        Assert.Empty(server.Logs.AboveDebug);
    }
}
