using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>
/// The start and stop steps every Kestrel test host in this project shares (<see cref="EpollTestServer"/> and the
/// conformance server): a "Testing" application whose every log entry is recorded, started within the operation
/// timeout and disposed if it fails to start.
/// </summary>
internal static class TestHost
{
    public static async Task<(WebApplication App, LogRecorder Logs)> StartAsync(
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

    /// <summary>The addresses Kestrel reports after binding (port 0 resolved).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();

    /// <summary>Stops the host, which waits for every connection to finish, then disposes it.</summary>
    public static async Task StopAndDisposeAsync(WebApplication app)
    {
        await app.StopAsync().WaitAsync(TestTimeouts.Operation);
        await app.DisposeAsync();
    }
}
