using System.Net;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
            var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return new IPEndPoint(IPAddress.Loopback, address.Port);
        }
    }

    public static async Task<ConformanceServer> StartAsync(
        TransportUnderTest transport,
        Action<WebApplication> configureApp,
        Action<KestrelServerOptions>? configureKestrel = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var logs = new LogRecorder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        if (Transports.EpollOptions(transport) is { } configureEpoll)
        {
            builder.WebHost.UseEpollTransport(configureEpoll);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            configureKestrel?.Invoke(kestrel);
        });

        var app = builder.Build();
        configureApp(app);
        try
        {
            await app.StartAsync().WaitAsync(TestTimeouts.Operation);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new ConformanceServer(app, logs);
    }

    /// <summary>Stops the host, which waits for every connection to finish, so everything they log is recorded.</summary>
    public Task StopAsync() => _app.StopAsync().WaitAsync(TestTimeouts.Operation);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TestTimeouts.Operation);
        ErrorTypes.Dispose();
        await _app.DisposeAsync();
    }
}
