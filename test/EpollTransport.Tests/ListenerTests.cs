using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.Tests;

/// <summary>The listener contract Kestrel relies on: binding errors, unbinding, disposal.</summary>
public sealed class ListenerTests
{
    [Fact]
    public async Task BindingATakenPortThrowsAddressInUseException()
    {
        await using var first = await DirectTransport.StartAsync();

        var error = await Assert.ThrowsAsync<AddressInUseException>(async () =>
            await first.Factory.BindAsync(new IPEndPoint(IPAddress.Loopback, first.EndPoint.Port)));
        Assert.IsType<SocketException>(error.InnerException);
        Assert.Equal(SocketError.AddressAlreadyInUse, ((SocketException)error.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task BindingAnAddressNotOnThisMachineIsASocketExceptionNotAnIOException()
    {
        // Kestrel's localhost fallback depends on this being anything but an IOException.
        await using var transport = await DirectTransport.StartAsync();

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
            await transport.Factory.BindAsync(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0)));
        Assert.Equal(SocketError.AddressNotAvailable, error.SocketErrorCode);
    }

    [Fact]
    public async Task UnbindStopsAcceptingWhileOpenConnectionsCarryOn()
    {
        await using var transport = await DirectTransport.StartAsync();
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();

        await transport.Listener.UnbindAsync();

        // No new connections...
        using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var error = await Assert.ThrowsAsync<SocketException>(() => refused.ConnectAsync(transport.EndPoint).WaitAsync(TestTimeouts.Operation));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }

        Assert.Null(await transport.Listener.AcceptAsync().AsTask().WaitAsync(TestTimeouts.Operation));

        // ...while the open one still works both ways.
        await RawHttp.SendAsync(client, "still here");
        var result = await connection.Transport.Input.ReadAtLeastAsync(10).AsTask().WaitAsync(TestTimeouts.Operation);
        Assert.Equal("still here", Encoding.ASCII.GetString(result.Buffer.ToArray()));
        connection.Transport.Input.AdvanceTo(result.Buffer.End);
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("and so am I"));
        Assert.Equal("and so am I", Encoding.ASCII.GetString(await new ResponseReader(client).ReadExactlyAsync(11)));

        await connection.Transport.Output.CompleteAsync();
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task DisposingTheFactoryClosesConnectionsItStillOwns()
    {
        var transport = await DirectTransport.StartAsync();
        using var client = await RawHttp.ConnectAsync(transport.EndPoint);
        var connection = await transport.AcceptAsync();
        var closed = new TaskCompletionSource();
        connection.ConnectionClosed.Register(closed.SetResult);

        await transport.DisposeAsync();

        await closed.Task.WaitAsync(TestTimeouts.Operation);
        await connection.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Operation);

        // The client sees the connection end (RST, as for any abort).
        var error = await Assert.ThrowsAsync<SocketException>(() =>
            client.ReceiveAsync(new byte[1].AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task BindingAfterDisposeIsRefused()
    {
        var transport = await DirectTransport.StartAsync();
        await transport.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
            await transport.Factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0)));
    }
}
