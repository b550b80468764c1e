using System.Net;
using System.Net.Sockets;
using EpollTransport.Interop;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace EpollTransport.Tests;

/// <summary>
/// An idle loop sleeps in epoll_wait, whatever happened to the descriptors it watched. Measured as the CPU ticks of
/// the loop's thread over two seconds (100 ticks a second is a whole core); alone in their collection so no other
/// test's loop shares the name.
/// </summary>
[Collection(NonParallelCollection.Name)]
public sealed class LoopSpinTests(ITestOutputHelper output)
{
    private const string LoopThread = "epoll-0";
    private const int IdleTickLimit = 20;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task AnUnboundListenerWhoseSocketIsStillOpenElsewhereDoesNotWakeTheLoop()
    {
        // An inherited listen socket whose file description another process (systemd, a child) still holds: here
        // the test keeps the original and gives the transport a duplicate.
        using var original = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        original.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        original.Listen();
        int duplicate = Libc.Fcntl((int)original.Handle, FDuplicateWithCloseOnExec, 0);
        Assert.True(duplicate >= 0);

        await using var factory = new EpollTransportFactory(Options.Create(new EpollTransportOptions()), NullLoggerFactory.Instance);
        var listener = await factory.BindAsync(new FileHandleEndPoint((ulong)duplicate, FileHandleType.Tcp));
        await listener.UnbindAsync();

        // A client waiting in the backlog makes the (still listening) file description readable for good.
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(original.LocalEndPoint!).WaitAsync(TestTimeouts.Operation);

        long ticks = await ThreadCpu.TicksOverAsync(LoopThread, Window);
        output.WriteLine($"{LoopThread}: {ticks} ticks in {Window.TotalSeconds} s");
        Assert.True(ticks < IdleTickLimit, $"the idle loop used {ticks} ticks in {Window.TotalSeconds} s");
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task AListenerThatEpollRefusesLeavesTheLoopsWakeUpIntact()
    {
        await using var factory = new EpollTransportFactory(Options.Create(new EpollTransportOptions()), NullLoggerFactory.Instance);
        var first = (EpollConnectionListener)await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var loop = first.Socket.Home;
        await loop.InvokeAsync(() => loop.FailNextAdd(Errno.ENOMEM));

        await Assert.ThrowsAnyAsync<SocketException>(async () => await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0)));

        // Wake the loop: its eventfd must still be read and so stop reporting.
        await loop.InvokeAsync(static () => { });
        long ticks = await ThreadCpu.TicksOverAsync(LoopThread, Window);
        output.WriteLine($"{LoopThread}: {ticks} ticks in {Window.TotalSeconds} s");
        Assert.True(ticks < IdleTickLimit, $"the idle loop used {ticks} ticks in {Window.TotalSeconds} s");

        // And the loop still works: the first listener accepts.
        using var client = await RawHttp.ConnectAsync(first.EndPoint);
        var connection = await first.AcceptAsync().AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.NotNull(connection);
        await connection.DisposeAsync();
        await first.DisposeAsync();
    }

    private const int FDuplicateWithCloseOnExec = 1030; // F_DUPFD_CLOEXEC
}
