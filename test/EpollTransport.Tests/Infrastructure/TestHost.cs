using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>
/// What every Kestrel test host in this project shares (<see cref="EpollTestServer"/> and the conformance server):
/// a started "Testing" application whose every log entry is recorded, stopped within the operation timeout.
/// </summary>
internal abstract class TestHost : IAsyncDisposable
{
    protected TestHost(WebApplication app, LogRecorder logs)
    {
        App = app;
        Logs = logs;
    }

    public LogRecorder Logs { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>The addresses Kestrel reports after binding (port 0 resolved).</summary>
    public IReadOnlyList<string> Addresses =>
        App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();

    protected WebApplication App { get; }

    public virtual async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TestTimeouts.Operation);
        await App.DisposeAsync();
    }

    /// <summary>Builds and starts the application; if it fails to start, it is disposed and the failure thrown.</summary>
    protected static async Task<(WebApplication App, LogRecorder Logs)> BuildAndStartAsync(
        Action<WebApplicationBuilder> configureBuilder,
        Action<WebApplication>? configureApp)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var logs = new LogRecorder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        configureBuilder(builder);

        var app = builder.Build();
        configureApp?.Invoke(app);
        try
        {
            await app.StartAsync().WaitAsync(TestTimeouts.Operation);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return (app, logs);
    }
}
