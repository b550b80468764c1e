using System.Net;
using EpollTransport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>A real Kestrel host on the epoll transport, bound to loopback port 0 unless the test says otherwise.</summary>
internal sealed class EpollTestServer : TestHost
{
    private EpollTestServer(WebApplication app, LogRecorder logs)
        : base(app, logs)
    {
    }

    /// <summary>The first bound TCP endpoint.</summary>
    public IPEndPoint EndPoint => Addresses.Select(ParseIPEndPoint).OfType<IPEndPoint>().First();

    public static async Task<EpollTestServer> StartAsync(
        Action<KestrelServerOptions> configureKestrel,
        Action<EpollTransportOptions>? configureTransport = null,
        Action<WebApplication>? configureApp = null,
        Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var (app, logs) = await BuildAndStartAsync(
            builder =>
            {
                builder.WebHost.UseEpollTransport(options => configureTransport?.Invoke(options));
                builder.WebHost.ConfigureKestrel(configureKestrel);
                configureBuilder?.Invoke(builder);
            },
            configureApp);
        return new EpollTestServer(app, logs);
    }

    /// <summary>An HTTP/1.1 server on 127.0.0.1:0 with the given endpoints.</summary>
    public static Task<EpollTestServer> StartHttpAsync(Action<WebApplication> configureApp, Action<EpollTransportOptions>? configureTransport = null) =>
        StartAsync(kestrel => kestrel.Listen(IPAddress.Loopback, 0), configureTransport, configureApp);

    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    private static IPEndPoint? ParseIPEndPoint(string address)
    {
        var uri = new Uri(address);
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, uri.Port) : null;
    }
}
