using Microsoft.AspNetCore.HttpLogging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StaticHostApp.Configuration;

namespace StaticHostApp.Logging;

/// <summary>
/// Sets up the request log (<c>StaticHost:RequestLog</c>) in the format it names, W3C or combined, from the start-up
/// <see cref="ConfigurationVersion"/>: the log is server-wide, so a reload does not change it.
/// </summary>
internal static class RequestLogRegistration
{
    /// <summary>
    /// Registers both formats' loggers. Neither is created unless the middleware is added (see
    /// <see cref="UseRequestLog"/>), so nothing is opened or started while the log is off or in the other format.
    /// The container disposes the combined writer after the server has stopped, which writes every queued line.
    /// </summary>
    public static IServiceCollection AddRequestLog(this IServiceCollection services)
    {
        services.AddW3CLogging(static _ => { });
        services.AddOptions<W3CLoggerOptions>()
            .Configure<IServiceProvider>(static (w3c, services) =>
            {
                var (log, directory) = StartupSettings(services);
                w3c.LoggingFields = log.Fields;
                w3c.LogDirectory = directory;
                w3c.FileName = log.FileName;
                w3c.FlushInterval = log.FlushInterval;
            });
        services.TryAddSingleton(static services =>
        {
            var (log, directory) = StartupSettings(services);
            return new RequestLogWriter(
                directory,
                log.FileName,
                log.PerSiteFiles,
                log.QueueCapacity,
                log.FlushInterval,
                TimeZoneInfo.Local,
                services.GetRequiredService<ILogger<RequestLogWriter>>(),
                services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        });
        return services;
    }

    /// <summary>
    /// Adds the request log middleware, if the start-up configuration enables it, and returns what reopens its files
    /// (for SIGHUP and SIGUSR1): the combined writer's reopen, or nothing (the W3C logger rolls its files itself).
    /// </summary>
    public static Action UseRequestLog(this IApplicationBuilder app)
    {
        var log = StartupLog(app.ApplicationServices);
        if (!log.Enabled)
        {
            return static () => { };
        }

        if (log.Format != RequestLogFormat.Combined)
        {
            app.UseW3CLogging();
            return static () => { };
        }

        var writer = app.ApplicationServices.GetRequiredService<RequestLogWriter>();
        app.UseMiddleware<RequestLogMiddleware>(writer);
        return writer.Reopen;
    }

    /// <summary>
    /// The request log's settings and its directory resolved against the content root; asked for only when a logger
    /// is created, that is when the log is enabled (and so its directory checked).
    /// </summary>
    private static (RequestLogOptions Log, string Directory) StartupSettings(IServiceProvider services)
    {
        var log = StartupLog(services);
        var contentRoot = services.GetRequiredService<IHostEnvironment>().ContentRootPath;
        return (log, SiteCatalog.ResolvePath(log.Directory, contentRoot));
    }

    /// <summary>The request log's settings in the start-up configuration: the one place they are read.</summary>
    private static RequestLogOptions StartupLog(IServiceProvider services) =>
        services.GetRequiredService<ConfigurationVersion>().Options.RequestLog;
}
