namespace StaticHostApp.Hosting;

/// <summary>
/// Chooses the content root (where appsettings.json is read from and relative site roots start) when none was given.
/// </summary>
/// <remarks>
/// ASP.NET Core defaults the content root to the current directory, so a published app started from elsewhere
/// (<c>dotnet /srv/app/StaticHostApp.dll</c>, a service manager, a benchmark script) would miss its appsettings.json
/// and its sample sites. The app's own directory is where the build and publish put both, so it is the default
/// here — the same choice <c>UseSystemd()</c> makes. An explicit <c>--contentRoot</c> argument or the
/// <c>ASPNETCORE_CONTENTROOT</c>/<c>DOTNET_CONTENTROOT</c> environment variable still wins, and test hosts rely on that.
/// </remarks>
internal static class ContentRootLocator
{
    /// <summary>
    /// The content root to put in <see cref="WebApplicationOptions.ContentRootPath"/>: <see langword="null"/> when
    /// the arguments or environment set one (the host then honours it), otherwise the application's base directory.
    /// </summary>
    public static string? DefaultFor(string[] args)
    {
        var explicitSettings = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build();
        return string.IsNullOrEmpty(explicitSettings[HostDefaults.ContentRootKey]) ? AppContext.BaseDirectory : null;
    }
}
