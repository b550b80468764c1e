using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;
using StaticHostApp.Configuration;
using StaticHostApp.Files;
using StaticHostApp.Logging;
using StaticHostApp.Middleware;
using StaticHostApp.Sites;

namespace StaticHostApp.Hosting;

/// <summary>
/// Builds the request pipeline: request log → path guard → host router, and behind the router one prebuilt branch
/// of standard middleware per site (StaticFiles, DefaultFiles, StaticFiles again, on the site's root). Everything is
/// built once, when the application starts, after the options have been validated; a request then costs one
/// dictionary look-up to find its site. A configuration reload rebuilds the sites behind the router as a new
/// snapshot (see <see cref="SiteReloader"/>).
/// </summary>
internal static class StaticHostPipeline
{
    /// <summary>
    /// Adds the static host as the application's terminal middleware. Reads (and so validates) the options now:
    /// a bad configuration throws an <see cref="OptionsValidationException"/> naming every problem before the
    /// server binds a port, instead of surfacing later from inside the host's start-up.
    /// </summary>
    public static IApplicationBuilder UseStaticHost(this IApplicationBuilder app)
    {
        app.Run(Build(app));
        return app;
    }

    private static RequestDelegate Build(IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        var version = services.GetRequiredService<ConfigurationVersion>();
        version.Validated();
        var loggers = services.GetRequiredService<ILoggerFactory>();

        // The sites are rebuilt as a whole when the configuration changes (see SiteReloader); the request log and
        // the path guard in front of them are built once.
        var contentTypes = new FileExtensionContentTypeProvider();
        SiteRouterSnapshot BuildSites(ConfigurationVersion sites) =>
            BuildRouter(app, sites.Validated(), sites.Options, contentTypes, loggers);

        // Created here, so disposed here: when the application has stopped.
        var router = new SiteRouter(BuildSites(version));
        var reloader = new SiteReloader(
            services.GetRequiredService<IConfiguration>(),
            services.GetRequiredService<IHostEnvironment>().ContentRootPath,
            router,
            version,
            BuildSites,
            loggers.CreateLogger<SiteReloader>());

        var root = app.New();
        var reopenLog = root.UseRequestLog();
        var signals = OperatorSignals.Register(reopenLog, reloader.ReloadConfiguration, loggers);
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() =>
        {
            signals.Dispose();
            reloader.Dispose();
            router.Dispose();
        });

        root.UseMiddleware<PathGuardMiddleware>();
        root.Run(router.InvokeAsync);
        return root.Build();
    }

    private static SiteRouterSnapshot BuildRouter(
        IApplicationBuilder app,
        SiteCatalog catalog,
        StaticHostOptions options,
        FileExtensionContentTypeProvider contentTypes,
        ILoggerFactory loggers)
    {
        var resources = new List<IDisposable>();
        var branches = new Dictionary<SiteDefinition, SiteBranch>();
        var hosts = new List<KeyValuePair<string, SiteBranch>>();
        try
        {
            foreach (var site in catalog.Sites)
            {
                // Created here, so disposed here, with the snapshot's other resources (also when the provider cannot be
                // created: a failed reload leaks no timer); the provider only uses it.
                var cache = options.OpenFileCache is { Validity.Ticks: > 0 } caching ? new OpenFileCache(caching.Validity, caching.MaxFiles, caching.CheckInterval) : null;
                if (cache is not null)
                {
                    resources.Add(cache);
                }

                var files = new SiteFileProvider(site.Root, options.FollowSymlinksOutsideRoot, site.Rules.Precompressed, cache, site.Rules.AllowedDotPaths);
                resources.Add(files);
                var serve = BuildSite(app.New(), site, files, options, contentTypes, loggers);
                var branch = new SiteBranch(site.Name, site.RedirectToHttps ? HttpsRedirect.Before(serve, site, options.HttpsPort) : serve);
                branches.Add(site, branch);
                hosts.AddRange(site.Hosts.Select(host => KeyValuePair.Create(host, branch)));
            }
        }
        catch
        {
            resources.ForEach(static resource => resource.Dispose());
            throw;
        }

        var router = new HostRouter(hosts, catalog.DefaultSite is { } fallback ? branches[fallback] : null);
        return new SiteRouterSnapshot(router, resources);
    }

    private static RequestDelegate BuildSite(
        IApplicationBuilder branch,
        SiteDefinition site,
        SiteFileProvider files,
        StaticHostOptions options,
        FileExtensionContentTypeProvider contentTypes,
        ILoggerFactory loggers)
    {
        // Files are opened once, checked on their descriptors and sent from them; the request closes them at its end.
        // A file response cut short because the file changed under it is reported with the site and the path.
        var cutShort = new CutShortResponses(site.Name, loggers.CreateLogger<CutShortResponses>());
        branch.Use(next => new RequestFilesMiddleware(next, cutShort).InvokeAsync);

        var rules = site.Rules;
        if (rules.ErrorPages.Count > 0)
        {
            var pagesLogger = loggers.CreateLogger<ErrorPagesMiddleware>();
            branch.Use(next => new ErrorPagesMiddleware(next, files, rules.ErrorPages, contentTypes, site.Name, pagesLogger).InvokeAsync);
        }

        var errorLogger = loggers.CreateLogger<FileErrorMiddleware>();
        branch.Use(next => new FileErrorMiddleware(next, site.Name, errorLogger).InvokeAsync);

        var staticFiles = new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = rules.AllowedDotPaths.Count > 0 ? new DotPathContentTypes(contentTypes, rules.AllowedDotPaths, rules.DefaultContentType) : contentTypes,
            ServeUnknownFileTypes = rules.ServeUnknownFileTypes,
            DefaultContentType = rules.DefaultContentType,
        };
        if (rules.HasFileResponseHeaders)
        {
            staticFiles.OnPrepareResponse = new FileResponseHeaders(rules).Apply;
        }

        // StaticFiles runs before DefaultFiles as well as after it: a request for a file, the common case, is then
        // served before DefaultFiles looks for a directory at the same path, a file-system look-up that cannot
        // succeed. A directory is no file, so its request passes through to DefaultFiles, which rewrites it to the
        // index file for the second StaticFiles; every request gets the answer it got with DefaultFiles first.
        branch.UseStaticFiles(staticFiles);

        // RedirectToAppendTrailingSlash answers "/dir" with 301 to "/dir/" when the directory has an index file.
        branch.UseDefaultFiles(new DefaultFilesOptions
        {
            FileProvider = files,
            DefaultFileNames = [.. rules.IndexFiles],
            RedirectToAppendTrailingSlash = true,
        });
        branch.UseStaticFiles(staticFiles);

        // A directory without an index file: listed when the site asks for it, else the fallback's 404.
        if (rules.DirectoryListing)
        {
            branch.UseDirectoryBrowser(new DirectoryBrowserOptions { FileProvider = files, RedirectToAppendTrailingSlash = true, Formatter = new SiteDirectoryFormatter() });
        }

        var fallback = new SiteFallbackMiddleware(files, rules.IndexFiles, site.Name, loggers.CreateLogger<SiteFallbackMiddleware>());
        branch.Run(fallback.InvokeAsync);
        return branch.Build();
    }
}
