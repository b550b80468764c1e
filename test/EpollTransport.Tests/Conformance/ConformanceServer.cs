using System.Net;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EpollTransport.Tests.Conformance;

/// <summary>
/// A Kestrel host on the transport under test, listening on loopback port 0, that records every log entry and
/// the error tags of Kestrel's and Hosting's metrics.
/// </summary>
internal sealed class ConformanceServer : TestHost
{
    private ConformanceServer(WebApplication app, LogRecorder logs)
        : base(app, logs)
    {
        ErrorTypes = new ErrorTypeRecorder(app.Services);
    }

    public ErrorTypeRecorder ErrorTypes { get; }

    /// <summary>The loopback endpoint on the port Kestrel bound.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Loopback, new Uri(Addresses[0]).Port);

    public static async Task<ConformanceServer> StartAsync(
        TransportUnderTest transport,
        Action<WebApplication> configureApp,
        Action<KestrelServerOptions>? configureKestrel = null)
    {
        var (app, logs) = await BuildAndStartAsync(
            builder =>
            {
                if (Transports.EpollOptions(transport) is { } configureEpoll)
                {
                    builder.WebHost.UseEpollTransport(configureEpoll);
                }

                builder.WebHost.ConfigureKestrel(kestrel =>
                {
                    kestrel.Listen(IPAddress.Loopback, 0);
                    configureKestrel?.Invoke(kestrel);
                });
            },
            configureApp);
        return new ConformanceServer(app, logs);
    }

    /// <summary>Stops the host, which waits for every connection to finish, so everything they log is recorded.</summary>
    public Task StopAsync() => App.StopAsync().WaitAsync(TestTimeouts.Operation);

    public override async ValueTask DisposeAsync()
    {
        // Stopped before the recorder lets go of the meters, so the errors of the last connections are counted.
        await StopAsync();
        ErrorTypes.Dispose();
        await base.DisposeAsync();
    }
}
