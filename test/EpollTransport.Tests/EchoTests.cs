using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.Tests;

/// <summary>Connection-level traffic through Kestrel's ConnectionHandler on every endpoint kind.</summary>
public sealed partial class EchoTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task EchoesBytesOnManyConnections(int threadCount)
    {
        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0, o => o.UseConnectionHandler<EchoConnectionHandler>()),
            transport => transport.ThreadCount = threadCount);

        // Several connections, so with two threads both of them carry traffic.
        var clients = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var socket = await RawHttp.ConnectAsync(server.EndPoint);
            var message = Encoding.ASCII.GetBytes($"message {i} " + new string('x', i * 1000));
            await RawHttp.SendAsync(socket, message);
            var echoed = await new ResponseReader(socket).ReadExactlyAsync(message.Length);
            return echoed.AsSpan().SequenceEqual(message);
        }));

        Assert.All(clients, Assert.True);
    }

    [Fact]
    public async Task PortZeroReportsTheRealPort()
    {
        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0, o => o.UseConnectionHandler<EchoConnectionHandler>()));

        Assert.NotEqual(0, server.EndPoint.Port);
        await AssertEchoesAsync(server.EndPoint);
    }

    [Fact]
    public async Task ServesIPv6Loopback()
    {
        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.IPv6Loopback, 0, o => o.UseConnectionHandler<EchoConnectionHandler>()));

        Assert.Equal(AddressFamily.InterNetworkV6, server.EndPoint.AddressFamily);
        await AssertEchoesAsync(server.EndPoint);
    }

    [Fact]
    public async Task IPv6AnyIsDualMode()
    {
        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.IPv6Any, 0, o => o.UseConnectionHandler<EchoConnectionHandler>()));

        int port = server.EndPoint.Port;
        await AssertEchoesAsync(new IPEndPoint(IPAddress.Loopback, port));
        await AssertEchoesAsync(new IPEndPoint(IPAddress.IPv6Loopback, port));
    }

    [Fact]
    public async Task ServesUnixDomainSocketAndRemovesItsFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"epoll-{Guid.NewGuid():N}.sock");
        var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.ListenUnixSocket(path, o => o.UseConnectionHandler<EchoConnectionHandler>()));
        try
        {
            Assert.True(File.Exists(path));
            await AssertEchoesAsync(new UnixDomainSocketEndPoint(path));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task TwoListenersAtOnce()
    {
        await using var server = await EpollTestServer.StartAsync(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, o => o.UseConnectionHandler<EchoConnectionHandler>());
            kestrel.Listen(IPAddress.Loopback, 0, o => o.UseConnectionHandler<EchoConnectionHandler>());
        });

        var ports = server.Addresses.Select(a => new Uri(a).Port).Distinct().ToList();
        Assert.Equal(2, ports.Count);
        foreach (int port in ports)
        {
            await AssertEchoesAsync(new IPEndPoint(IPAddress.Loopback, port));
        }
    }

    [Fact]
    public async Task AdoptsAnInheritedListenDescriptor()
    {
        // Stands in for systemd socket activation: a listening socket created elsewhere, passed by descriptor.
        int port;
        int inherited;
        using (var original = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            original.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            original.Listen();
            port = ((IPEndPoint)original.LocalEndPoint!).Port;
            inherited = Dup((int)original.Handle);
            Assert.True(inherited >= 0);
        }

        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.ListenHandle((ulong)inherited, o => o.UseConnectionHandler<EchoConnectionHandler>()));

        await AssertEchoesAsync(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task RejectsADescriptorThatIsNotASocket()
    {
        string file = Path.GetTempFileName();
        using var handle = File.OpenHandle(file);
        int fd = Dup((int)handle.DangerousGetHandle());
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => EpollTestServer.StartAsync(
                kestrel => kestrel.ListenHandle((ulong)fd, o => o.UseConnectionHandler<EchoConnectionHandler>())));
            Assert.Contains("not a socket", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            // Not closed here: a descriptor handed to ListenHandle is the transport's, which closes one it rejects.
            // Closing the number again would close whatever a test running alongside has opened under it since.
            File.Delete(file);
        }
    }

    private static async Task AssertEchoesAsync(EndPoint endPoint)
    {
        using var socket = await RawHttp.ConnectAsync(endPoint);
        var message = Encoding.ASCII.GetBytes($"ping {Guid.NewGuid()}");
        await RawHttp.SendAsync(socket, message);
        Assert.Equal(message, await new ResponseReader(socket).ReadExactlyAsync(message.Length));
    }

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);
}
