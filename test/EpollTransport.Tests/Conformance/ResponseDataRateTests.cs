using System.Net.Sockets;
using System.Security.Cryptography;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.FileProviders;

namespace EpollTransport.Tests.Conformance;

/// <summary>
/// Kestrel's MinResponseDataRate must see a file body's bytes as written bytes on every transport: each write
/// earns the response time at the minimum rate, so a reader that pauses after a good start keeps its download.
/// </summary>
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
}
