using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StaticHostApp.Hosting;

/// <summary>Binds <c>Kestrel:Limits</c> from configuration onto <see cref="KestrelServerOptions.Limits"/>.</summary>
/// <remarks>
/// Kestrel's own configuration loader reads endpoints, certificates and endpoint defaults from the <c>Kestrel</c>
/// section, but not <c>Limits</c>; without this, <c>Kestrel:Limits:KeepAliveTimeout</c> in appsettings.json would be
/// silently ignored.
/// </remarks>
internal static class KestrelLimitsBinding
{
    /// <summary>The configuration section bound onto the limits.</summary>
    public const string SectionName = "Kestrel:Limits";

    /// <summary>Binds the section when Kestrel's options are first created, so every configuration source counts.</summary>
    public static IServiceCollection BindKestrelLimits(this IServiceCollection services)
    {
        services.AddOptions<KestrelServerOptions>()
            .Configure<IConfiguration>(static (kestrel, configuration) => configuration.GetSection(SectionName).Bind(kestrel.Limits));
        return services;
    }
}
