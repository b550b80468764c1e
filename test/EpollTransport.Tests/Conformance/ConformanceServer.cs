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
internal sealed class ConformanceServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ConformanceServer(WebApplication app, LogRecorder logs)
    {
        _app = app;
        Logs = logs;
        ErrorTypes = new ErrorTypeRecorder(app.Services);
    }

    public LogRecorder Logs { get; }

    public ErrorTypeRecorder ErrorTypes { get; }

    public IServiceProvider Services => _app.Services;

    public IPEndPoint EndPoint
    {
        get
        {
            var address = new Uri(TestHost.Addresses(_app)[0]);
            return new IPEndPoint(IPAddress.Loopback, address.Port);
        }
    }

    public static async Task<ConformanceServer> StartAsync(
        TransportUnderTest transport,
        Action<WebApplication> configureApp,
        Action<KestrelServerOptions>? configureKestrel = null)
    {
        var (app, logs) = await TestHost.StartAsync(
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
    public Task StopAsync() => _app.StopAsync().WaitAsync(TestTimeouts.Operation);

    public async ValueTask DisposeAsync()
    {
        // Stopped before the recorder lets go of the meters, so the errors of the last connections are counted.
        await StopAsync();
        ErrorTypes.Dispose();
        await _app.DisposeAsync();
    }
}
