using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using EpollTransport.Interop;
using EpollTransport.Loop;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace EpollTransport.Tests;

/// <summary>
/// An idle loop sleeps in epoll_wait, whatever happened to the descriptors it watched. Measured as the loop turns
/// (<c>epoll.loop.turns</c>, one per epoll_wait that returned) of the test's own transport over a second: an idle loop
/// makes next to none, one that a descriptor keeps waking makes thousands however slowly the machine runs it.
/// </summary>
public sealed class LoopSpinTests(ITestOutputHelper output) : IDisposable
{
    private const int IdleTurnLimit = 20;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

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

        using var metrics = new TransportMetrics(_services);
        await using var factory = CreateFactory();
        var listener = await factory.BindAsync(new FileHandleEndPoint((ulong)duplicate, FileHandleType.Tcp));
        await listener.UnbindAsync();

        // A client waiting in the backlog makes the (still listening) file description readable for good.
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(original.LocalEndPoint!).WaitAsync(TestTimeouts.Operation);

        long turns = await TurnsOverAsync(metrics, Window);
        output.WriteLine($"{turns} loop turns in {Window.TotalSeconds} s");
        Assert.True(turns < IdleTurnLimit, $"the idle loop turned {turns} times in {Window.TotalSeconds} s");
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task AListenerThatEpollRefusesLeavesTheLoopsWakeUpIntact()
    {
        using var metrics = new TransportMetrics(_services);
        var epoll = new ScriptedEpoll();
        await using var factory = CreateFactory(epoll);
        var first = (EpollConnectionListener)await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var loop = first.Socket.Home;
        epoll.FailNextAdd(Errno.ENOMEM);

        await Assert.ThrowsAnyAsync<SocketException>(async () => await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0)));

        // Wake the loop: its eventfd must still be read and so stop reporting.
        await loop.InvokeAsync(static () => { });
        long turns = await TurnsOverAsync(metrics, Window);
        output.WriteLine($"{turns} loop turns in {Window.TotalSeconds} s");
        Assert.True(turns < IdleTurnLimit, $"the idle loop turned {turns} times in {Window.TotalSeconds} s");

        // And the loop still works: the first listener accepts.
        using var client = await RawHttp.ConnectAsync(first.EndPoint);
        var connection = await first.AcceptAsync().AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.NotNull(connection);
        await connection.DisposeAsync();
        await first.DisposeAsync();
    }

    public void Dispose() => _services.Dispose();

    private const int FDuplicateWithCloseOnExec = 1030; // F_DUPFD_CLOEXEC

    private EpollTransportFactory CreateFactory(IEpollCalls? epoll = null) => new(
        Options.Create(new EpollTransportOptions()),
        NullLoggerFactory.Instance,
        memoryPoolFactory: null,
        _services.GetRequiredService<IMeterFactory>(),
        TransportSystemCalls.Real with { Epoll = epoll ?? EpollCalls.Instance });

    /// <summary>The turns the transport's loops made over <paramref name="window"/> of wall-clock time.</summary>
    private static async Task<long> TurnsOverAsync(TransportMetrics metrics, TimeSpan window)
    {
        long before = metrics.ObserveTotal("epoll.loop.turns");
        await Task.Delay(window);
        return metrics.ObserveTotal("epoll.loop.turns") - before;
    }
}
