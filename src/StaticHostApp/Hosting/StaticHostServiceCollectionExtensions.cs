using Microsoft.Extensions.DependencyInjection.Extensions;
using StaticHostApp.Configuration;
using StaticHostApp.Logging;

namespace StaticHostApp.Hosting;

/// <summary>Registers the static host's start-up configuration and the request log.</summary>
internal static class StaticHostServiceCollectionExtensions
{
    /// <summary>
    /// Registers the start-up <see cref="ConfigurationVersion"/> of the <c>StaticHost</c> section (bound and checked
    /// once, when first asked for; <see cref="StaticHostPipeline"/> stops the start with every problem it names) and
    /// the request log (W3C or combined) it configures.
    /// </summary>
    public static IServiceCollection AddStaticHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(services => ConfigurationVersion.Read(configuration, services.GetRequiredService<IHostEnvironment>().ContentRootPath));
        services.AddRequestLog();
        return services;
    }
}
