using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace StaticHostApp.Tests.Infrastructure;

/// <summary>
/// Hosts the real Program with a test's settings. Settings go through UseSetting, which WebApplicationFactory hands
/// to Program as command-line arguments, so they are visible as early as real command-line arguments are.
/// </summary>
internal sealed class StaticHostFactory(
    string? contentRoot,
    IReadOnlyDictionary<string, string?> settings,
    Action<IServiceCollection>? configureServices) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // A content root without appsettings.json keeps the sample sites out of the test's configuration.
        if (contentRoot is not null)
        {
            builder.UseContentRoot(contentRoot);
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (configureServices is not null)
        {
            builder.ConfigureServices(configureServices);
        }
    }
}
