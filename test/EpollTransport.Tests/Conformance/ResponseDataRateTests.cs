using System.Net.Sockets;
using System.Security.Cryptography;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.FileProviders;

namespace EpollTransport.Tests.Conformance;

/// <summary>
/// Kestrel's MinResponseDataRate holds for file bodies on every transport, whether Kestrel copies them or the epoll
/// transport sends them as file regions it times itself: each byte sent earns the response time at the minimum
/// rate, so a reader that pauses after a good start keeps its download, while one that stops reading is cut off
/// after the grace period, with Kestrel's own log event.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ResponseDataRateTests : IDisposable
{
    private const int FileLength = 16 * 1024 * 1024;
    private readonly FileSite _site = new();
    private readonly string _hash;

    public ResponseDataRateTests() => _hash = _site.AddFile("big.bin", FileLength);

    public void Dispose() => _site.Dispose();

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task AReaderThatPausesLongerThanTheGracePeriodThenResumesGetsTheWholeFile(TransportUnderTest transport)
    {
        // The default rate (240 B/s) with a grace of 1.5 s: a pause of four seconds outlasts the grace period
        // by far, but not the time the megabytes already written have earned.
        await using var server = await ConformanceServer.StartAsync(
            transport,
            app => app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(_site.Root) }),
            kestrel => kestrel.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(1.5)));

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await client.ConnectAsync(server.EndPoint).WaitAsync(TestTimeouts.Operation);
        await RawHttp.SendAsync(client, RawHttp.Get("/big.bin"));
        var reader = new ResponseReader(client);
        Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync());
        while ((await reader.ReadLineAsync()).Length > 0)
        {
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(await reader.ReadExactlyAsync(1024 * 1024));

        // The pause is the behaviour under test, not a synchronisation: the server's flushes stall meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(4));

        long remaining = FileLength - (1024 * 1024);
        while (remaining > 0)
        {
            var piece = await reader.ReadExactlyAsync((int)Math.Min(remaining, 256 * 1024));
            hash.AppendData(piece);
            remaining -= piece.Length;
        }

        Assert.Equal(_hash, Convert.ToHexString(hash.GetHashAndReset()));
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task AClientThatStopsReadingIsCutOffAndLoggedAsKestrelDoes(TransportUnderTest transport)
    {
        // A rate far above what a stalled client reaches: the bytes the socket buffers take earn well under a second.
        await using var server = await StartAsync(transport, new MinDataRate(bytesPerSecond: 16 * 1024 * 1024, gracePeriod: TimeSpan.FromSeconds(1.5)));
        using var client = await StartDownloadAsync(server, "/big.bin");

        await AssertCutOffAndLoggedOnlyAsKestrelDoesAsync(server);
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task ARateTheApplicationSetsIsHonoured(TransportUnderTest transport)
    {
        // Kestrel's limit is off; the application sets a strict one for this response only.
        await using var server = await StartAsync(transport, kestrelRate: null);
        using var client = await StartDownloadAsync(server, "/big.bin?strict");

        await AssertCutOffAndLoggedOnlyAsKestrelDoesAsync(server);
    }

    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task ANullRateTheApplicationSetsTurnsTheLimitOff(TransportUnderTest transport)
    {
        await using var server = await StartAsync(transport, new MinDataRate(bytesPerSecond: 16 * 1024 * 1024, gracePeriod: TimeSpan.FromSeconds(1.5)));
        using var client = await StartDownloadAsync(server, "/big.bin?unlimited");
        var reader = new ResponseReader(client);
        while ((await reader.ReadLineAsync()).Length > 0)
        {
        }

        // The pause is the behaviour under test, not a synchronisation: the same stall is cut off within about three
        // seconds under the rate above (see the test before), and must not be with the rate turned off.
        await Task.Delay(TimeSpan.FromSeconds(4));

        Assert.Equal(_hash, Convert.ToHexString(SHA256.HashData(await reader.ReadExactlyAsync(FileLength))));
        Assert.Equal(0, server.Logs.AboveDebug.Count + CountRateEvents(server));
    }

    private const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    private static int CountRateEvents(ConformanceServer server) =>
        server.Logs.All.Count(entry => entry.EventId.Name == "ResponseMinimumDataRateNotSatisfied");

    private Task<ConformanceServer> StartAsync(TransportUnderTest transport, MinDataRate? kestrelRate) =>
        ConformanceServer.StartAsync(
            transport,
            app =>
            {
                app.Use((context, next) =>
                {
                    var rate = context.Features.Get<IHttpMinResponseDataRateFeature>()!;
                    if (context.Request.Query.ContainsKey("strict"))
                    {
                        rate.MinDataRate = new MinDataRate(bytesPerSecond: 16 * 1024 * 1024, gracePeriod: TimeSpan.FromSeconds(1.5));
                    }
                    else if (context.Request.Query.ContainsKey("unlimited"))
                    {
                        rate.MinDataRate = null;
                    }

                    return next(context);
                });
                app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(_site.Root) });
            },
            kestrel => kestrel.Limits.MinResponseDataRate = kestrelRate);

    /// <summary>Requests <paramref name="path"/> on a socket with a small receive buffer, and reads nothing.</summary>
    private static async Task<Socket> StartDownloadAsync(ConformanceServer server, string path)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        try
        {
            await client.ConnectAsync(server.EndPoint).WaitAsync(TestTimeouts.Operation);
            await RawHttp.SendAsync(client, RawHttp.Get(path));
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Kestrel reports the slow response at Debug, and nothing (the cut connection included) logs above it.</summary>
    private static async Task AssertCutOffAndLoggedOnlyAsKestrelDoesAsync(ConformanceServer server)
    {
        await server.Logs.WaitForAsync(KestrelCategory, "ResponseMinimumDataRateNotSatisfied");
        await server.StopAsync();
        Assert.Empty(server.Logs.AboveDebug);
    }
}
