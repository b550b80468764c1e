using System.IO.Pipelines;
using System.Security.Cryptography;
using EpollTransport.Tests.Infrastructure;

namespace EpollTransport.Tests;

/// <summary>Where a flush that waited for a file region continues, in each scheduling mode.</summary>
public sealed class FileRegionSchedulingTests : IDisposable
{
    private readonly FileSite _site = new();

    public void Dispose() => _site.Dispose();

    [Theory]
    [InlineData(ApplicationSchedulingMode.Inline)]
    [InlineData(ApplicationSchedulingMode.ThreadPool)]
    public async Task AWaitForAFileRegionContinuesWhereTheModeRunsTheApplication(ApplicationSchedulingMode mode)
    {
        // Far more than the socket buffers take, so the flush has to wait until the client reads.
        const int length = 16 * 1024 * 1024;
        string hash = _site.AddFile("file.bin", length);
        await using var transport = await DirectTransport.StartAsync(o => o.ApplicationSchedulingMode = mode);
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();
        var feature = connection.Features.Get<IConnectionSendFileFeature>()!;
        var output = connection.Transport.Output;
        using var file = File.OpenHandle(_site.PathOf("file.bin"));

        feature.QueueFile(file, 0, length);
        int count = length;
        while (count > 0)
        {
            int advance = Math.Min(count, output.GetMemory().Length);
            output.Advance(advance);
            count -= advance;
        }

        // A region is no pipe data: the flush does not wait for it.
        Assert.True(output.FlushAsync().IsCompleted);

        // The client has not read anything yet, so the wait must still be pending when its continuation is
        // registered: where it runs is decided by whoever completes it.
        var sent = feature.WaitForUnsentFileBytesAsync(0);
        Assert.False(sent.IsCompleted);
        var continuedOn = ThreadAfterAsync(sent);
        var body = await new ResponseReader(client).ReadExactlyAsync(length);
        string? thread = await continuedOn.WaitAsync(TestTimeouts.Operation);

        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(body)));
        if (mode == ApplicationSchedulingMode.Inline)
        {
            // On the loop, as the application there expects, and from its work queue rather than the send loop.
            Assert.Equal("epoll-0", thread);
        }
        else
        {
            Assert.False(thread?.StartsWith("epoll-", StringComparison.Ordinal) ?? false, $"continued on {thread}");
        }

        await output.CompleteAsync();
        await connection.DisposeAsync();
    }

    private static async Task<string?> ThreadAfterAsync(ValueTask<bool> wait)
    {
        Assert.True(await wait.ConfigureAwait(false));
        return Thread.CurrentThread.Name;
    }
}
