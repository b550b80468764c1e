using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StaticHostApp.Sites;

namespace StaticHostApp.Logging;

/// <summary>Sets up the access log in the format <c>StaticHost:RequestLog:Format</c> names.</summary>
internal static class RequestLogRegistration
{
    /// <summary>
    /// Registers the combined log's writer. It is created only when the middleware is added, so nothing is opened
    /// or started while the log is off or in W3C format. The container disposes it after the server has stopped,
    /// which writes every queued line.
    /// </summary>
    public static IServiceCollection AddCombinedRequestLog(this IServiceCollection services)
    {
        services.TryAddSingleton(static services =>
        {
            var log = services.GetRequiredService<IOptions<StaticHostOptions>>().Value.RequestLog;
            var environment = services.GetRequiredService<IHostEnvironment>();
            return new CombinedLogWriter(
                SiteCatalog.ResolvePath(log.Directory, environment.ContentRootPath),
                log.FileName,
                log.PerSiteFiles,
                log.QueueCapacity,
                log.FlushInterval,
                TimeZoneInfo.Local,
                services.GetRequiredService<ILogger<CombinedLogWriter>>(),
                services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        });
        return services;
    }

    /// <summary>Adds the access log middleware for <paramref name="log"/>, if it is enabled.</summary>
    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app, RequestLogOptions log)
    {
        if (!log.Enabled)
        {
            return app;
        }

        return log.Format == RequestLogFormat.Combined
            ? app.UseMiddleware<CombinedLogMiddleware>(app.ApplicationServices.GetRequiredService<CombinedLogWriter>())
            : app.UseW3CLogging();
    }
}
