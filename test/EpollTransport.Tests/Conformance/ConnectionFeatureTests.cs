using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace EpollTransport.Tests.Conformance;

/// <summary>The connection features an application can reach through HttpContext.Features, on every transport.</summary>
public sealed class ConnectionFeatureTests
{
    [Theory]
    [MemberData(nameof(Transports.All), MemberType = typeof(Transports))]
    public async Task TheSocketFeatureGivesTheConnectionsSocketForOptionsAndEndPoints(TransportUnderTest transport)
    {
        await using var server = await ConformanceServer.StartAsync(transport, app => app.MapGet("/socket", (HttpContext context) =>
        {
            var socket = context.Features.Get<IConnectionSocketFeature>()!.Socket;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            bool keepAlive = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)! != 0;
            return $"{((IPEndPoint)socket.RemoteEndPoint!).Port} {keepAlive}";
        }));

        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        var reader = new ResponseReader(client);
        for (int i = 0; i < 2; i++)
        {
            await RawHttp.SendAsync(client, RawHttp.Get("/socket"));
            var response = await RawHttp.ReadResponseAsync(reader);
            Assert.Equal(200, response.Status);
            Assert.Equal($"{((IPEndPoint)client.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture)} True", response.BodyText);
        }

        // The connection still works after the application used (and Kestrel finished with) its socket view.
        await RawHttp.SendAsync(client, RawHttp.Get("/socket"));
        Assert.Equal(200, (await RawHttp.ReadResponseAsync(reader)).Status);
    }
}
