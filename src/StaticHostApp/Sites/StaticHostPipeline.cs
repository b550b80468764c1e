using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;
using StaticHostApp.Files;
using StaticHostApp.Middleware;

namespace StaticHostApp.Sites;

/// <summary>
/// Builds the request pipeline: request log → path guard → host router, and behind the router one prebuilt branch
/// of standard middleware per site (StaticFiles, DefaultFiles, StaticFiles again, on the site's root). Everything is
/// built once, when the application starts, after the options have been validated; a request then costs one
/// dictionary look-up to find its site.
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
        var options = services.GetRequiredService<IOptions<StaticHostOptions>>().Value;
        var environment = services.GetRequiredService<IHostEnvironment>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();

        var catalog = SiteCatalog.Read(options, environment.ContentRootPath);
        if (catalog.Errors.Count > 0)
        {
            throw new OptionsValidationException(StaticHostOptions.SectionName, typeof(StaticHostOptions), catalog.Errors);
        }

        var contentTypes = new FileExtensionContentTypeProvider();
        var branches = new Dictionary<SiteDefinition, RequestDelegate>();
        var hosts = new List<KeyValuePair<string, RequestDelegate>>();
        foreach (var site in catalog.Sites)
        {
            var files = new SiteFileProvider(site.Root, options.FollowSymlinksOutsideRoot);
            lifetime.ApplicationStopped.Register(files.Dispose);
            var branch = BuildSite(app.New(), site, files, options, contentTypes, loggers);
            branches.Add(site, branch);
            hosts.AddRange(site.Hosts.Select(host => KeyValuePair.Create(host, branch)));
        }

        var router = new HostRouter(hosts, catalog.DefaultSite is { } fallback ? branches[fallback] : null);

        var root = app.New();
        if (options.RequestLog.Enabled)
        {
            root.UseW3CLogging();
        }

        root.UseMiddleware<PathGuardMiddleware>();
        root.Run(router.InvokeAsync);
        return root.Build();
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
        branch.Use(next => new RequestFilesMiddleware(next).InvokeAsync);

        var errorLogger = loggers.CreateLogger<FileErrorMiddleware>();
        branch.Use(next => new FileErrorMiddleware(next, site.Name, errorLogger).InvokeAsync);

        var staticFiles = new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = contentTypes,
            ServeUnknownFileTypes = options.ServeUnknownFileTypes,
            DefaultContentType = options.DefaultContentType,
        };

        // StaticFiles runs before DefaultFiles as well as after it: a request for a file, the common case, is then
        // served before DefaultFiles looks for a directory at the same path, a file-system look-up that cannot
        // succeed. A directory is no file, so its request passes through to DefaultFiles, which rewrites it to the
        // index file for the second StaticFiles; every request gets the answer it got with DefaultFiles first.
        branch.UseStaticFiles(staticFiles);

        // RedirectToAppendTrailingSlash answers "/dir" with 301 to "/dir/" when the directory has an index file.
        branch.UseDefaultFiles(new DefaultFilesOptions
        {
            FileProvider = files,
            DefaultFileNames = [SiteFallbackMiddleware.IndexFile],
            RedirectToAppendTrailingSlash = true,
        });
        branch.UseStaticFiles(staticFiles);

        var fallback = new SiteFallbackMiddleware(files, site.Name, loggers.CreateLogger<SiteFallbackMiddleware>());
        branch.Run(fallback.InvokeAsync);
        return branch.Build();
    }
}
