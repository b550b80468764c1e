using EpollTransport;
using EpollTransport.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Switches Kestrel onto the epoll transport.</summary>
public static class WebHostBuilderEpollExtensions
{
    /// <summary>
    /// Makes Kestrel accept connections through the epoll transport instead of its default Sockets transport.
    /// Options are bound from the <c>EpollTransport</c> configuration section and validated when the host starts.
    /// </summary>
    /// <param name="hostBuilder">The web host builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IWebHostBuilder UseEpollTransport(this IWebHostBuilder hostBuilder) =>
        hostBuilder.UseEpollTransport(static _ => { });

    /// <summary>
    /// Makes Kestrel accept connections through the epoll transport instead of its default Sockets transport.
    /// Options are bound from the <c>EpollTransport</c> configuration section first, then <paramref name="configureOptions"/>
    /// runs, so code wins over configuration. They are validated when the host starts.
    /// </summary>
    /// <param name="hostBuilder">The web host builder.</param>
    /// <param name="configureOptions">Adjusts the options after configuration binding.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IWebHostBuilder UseEpollTransport(this IWebHostBuilder hostBuilder, Action<EpollTransportOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(hostBuilder);
        ArgumentNullException.ThrowIfNull(configureOptions);

        return hostBuilder.ConfigureServices((context, services) =>
        {
            services.AddOptions<EpollTransportOptions>()
                .Bind(context.Configuration.GetSection(EpollTransportOptions.ConfigurationSectionName))
                .Configure(configureOptions)
                .ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EpollTransportOptions>, EpollTransportOptionsValidator>());

            // Kestrel tries transport factories from the last registered to the first, so adding ours after the
            // default Sockets factory (UseKestrel, which WebApplication.CreateBuilder already called) makes it the one
            // that binds every endpoint it can (IConnectionListenerFactorySelector). A later UseKestrel only
            // TryAdds the Sockets factory, which is already registered, so it does not take precedence again.
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectionListenerFactory, EpollTransportFactory>());

            // Routes HttpResponse.SendFileAsync through sendfile(2) on this transport's connections (option SendFile).
            services.TryAddSingleton<SendFileMetrics>();
            services.TryAddSingleton<FileBodyDataRate>();
            services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, SendFileStartupFilter>());
        });
    }
}
