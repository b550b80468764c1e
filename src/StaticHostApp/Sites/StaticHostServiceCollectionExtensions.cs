using Microsoft.AspNetCore.HttpLogging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StaticHostApp.Logging;

namespace StaticHostApp.Sites;

/// <summary>Registers the static host's options, their start-up validation and the request log.</summary>
internal static class StaticHostServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="StaticHostOptions"/> from the <c>StaticHost</c> section, validates it when the host starts
    /// (so a bad configuration stops the server with a message naming the key) and sets up the request log (W3C or combined).
    /// </summary>
    public static IServiceCollection AddStaticHost(this IServiceCollection services, IConfiguration configuration)
    {
        // Bound once, without the change-token source that Bind(section) would add: SiteReloader applies changes
        // itself. With a change token, the options monitor (ValidateOnStart uses one) would re-validate inside
        // every configuration reload and throw out of it when a change is invalid, taking the reload (or the
        // SIGHUP handler) down with it.
        services.AddOptions<StaticHostOptions>()
            .Configure(options => configuration.GetSection(StaticHostOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StaticHostOptions>, StaticHostOptionsValidator>());

        // Registered whether or not the log is enabled: the logger (and its file) is only created when the
        // middleware is added, which StaticHostPipeline does only when RequestLog:Enabled is true.
        services.AddW3CLogging(static _ => { });
        services.AddOptions<W3CLoggerOptions>()
            .Configure<IOptions<StaticHostOptions>, IHostEnvironment>(static (w3c, host, environment) =>
            {
                var log = host.Value.RequestLog;
                w3c.LoggingFields = log.Fields;
                w3c.LogDirectory = SiteCatalog.ResolvePath(log.Directory, environment.ContentRootPath);
                w3c.FileName = log.FileName;
                w3c.FlushInterval = log.FlushInterval;
            });
        services.AddCombinedRequestLog();
        return services;
    }
}
