using Microsoft.Extensions.Options;
using StaticHostApp.Hosting;
using StaticHostApp.Logging;

namespace StaticHostApp.Sites;

/// <summary>
/// Connects a <see cref="ReloadableSiteRouter"/> to what triggers a reload — configuration changes and SIGHUP — and
/// the access log to SIGUSR1 (reopen), for as long as the application runs, and retires the router's last snapshot
/// when it stops.
/// </summary>
internal static class SiteReloading
{
    /// <summary>Starts reloading <paramref name="router"/> with snapshots from <paramref name="build"/>.</summary>
    public static void Attach(IServiceProvider services, ReloadableSiteRouter router, Func<SiteCatalog, StaticHostOptions, SiteRouterSnapshot> build)
    {
        var environment = services.GetRequiredService<IHostEnvironment>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var log = services.GetRequiredService<IOptions<StaticHostOptions>>().Value.RequestLog;

        var reloader = new SiteReloader(
            services.GetRequiredService<IConfiguration>(),
            environment.ContentRootPath,
            router,
            build,
            loggers.CreateLogger<SiteReloader>());

        // SIGHUP also reopens the combined log's files (log rotation); the W3C logger rolls its files itself.
        Action reopenLog = log is { Enabled: true, Format: RequestLogFormat.Combined }
            ? services.GetRequiredService<CombinedLogWriter>().Reopen
            : static () => { };
        var signal = ReloadSignal.Register(
            () =>
            {
                reopenLog();
                reloader.ReloadConfiguration();
            },
            loggers.CreateLogger(typeof(ReloadSignal)));

        var reopenSignal = LogReopenSignal.Register(reopenLog, loggers.CreateLogger(typeof(LogReopenSignal)));

        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() =>
        {
            reopenSignal?.Dispose();
            signal?.Dispose();
            reloader.Dispose();
            router.Dispose();
        });
    }
}
