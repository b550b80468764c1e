using System.Net.Sockets;
using EpollTransport.Interop;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EpollTransport.Tests;

/// <summary>What a listener does with descriptors and files it is given or creates, on every path.</summary>
public sealed class ListenerDescriptorTests
{
    private const int DuplicateWithCloseOnExec = 1030; // F_DUPFD_CLOEXEC

    [Fact]
    public async Task AnAdoptedDescriptorThatIsNotASocketIsRefusedAndClosed()
    {
        string path = Path.GetTempFileName();
        try
        {
            int duplicate;
            using (var file = File.OpenHandle(path, FileMode.Open))
            {
                duplicate = Libc.Fcntl((int)file.DangerousGetHandle(), DuplicateWithCloseOnExec, 0);
            }

            Assert.True(duplicate >= 0);
            await using var factory = new EpollTransportFactory(Options.Create(new EpollTransportOptions()), NullLoggerFactory.Instance);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
                await factory.BindAsync(new FileHandleEndPoint((ulong)duplicate, FileHandleType.Auto)));
            Assert.Contains("not a socket", error.Message, StringComparison.Ordinal);

            // The transport took the descriptor over; refusing it, it closed it.
            Assert.DoesNotContain(path, ProcessDescriptors.Snapshot().Values);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task UnbindingRemovesItsOwnUnixSocketFileButNotASuccessorsAtTheSamePath()
    {
        string directory = Directory.CreateTempSubdirectory("epoll-unix-").FullName;
        try
        {
            string own = Path.Combine(directory, "own.sock");
            await using var factory = new EpollTransportFactory(Options.Create(new EpollTransportOptions()), NullLoggerFactory.Instance);
            var first = await factory.BindAsync(new UnixDomainSocketEndPoint(own));
            await first.UnbindAsync();
            Assert.False(File.Exists(own), "the listener's own socket file should be removed");

            // A rolling restart: the successor removes the old file and binds the same path before the old one unbinds.
            string shared = Path.Combine(directory, "shared.sock");
            var old = await factory.BindAsync(new UnixDomainSocketEndPoint(shared));
            File.Delete(shared);
            using var successor = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            successor.Bind(new UnixDomainSocketEndPoint(shared));
            successor.Listen();

            await old.UnbindAsync();

            Assert.True(File.Exists(shared), "the successor's socket file must survive the old listener");
            using var client = await RawHttp.ConnectAsync(new UnixDomainSocketEndPoint(shared));
            using var accepted = await successor.AcceptAsync().WaitAsync(TestTimeouts.Operation);
            await first.DisposeAsync();
            await old.DisposeAsync();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
