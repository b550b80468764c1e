using Microsoft.Net.Http.Headers;
using StaticHostApp.Files;

namespace StaticHostApp.Middleware;

/// <summary>
/// The end of a site's branch, reached by every request the static file middleware did not serve. It gives the
/// answer nginx would: 405 with <c>Allow: GET, HEAD</c> for other methods on a path that exists, 403 when the file
/// system denied access, 404 otherwise. Only the cold path pays for the extra file-system look-up.
/// </summary>
internal sealed partial class SiteFallbackMiddleware(SiteFileProvider files, IReadOnlyList<string> indexFiles, string site, ILogger<SiteFallbackMiddleware> logger)
{
    private const string AllowedMethods = "GET, HEAD";

    /// <summary>Answers the request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? string.Empty;
        var access = files.Probe(path);
        var isRead = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);

        // A directory whose index file the server may not read is forbidden, as in nginx, not a missing page.
        if (isRead && access == PathAccess.Directory && HasForbiddenIndex(path))
        {
            access = PathAccess.Forbidden;
        }

        if (!isRead && access != PathAccess.NotFound)
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers[HeaderNames.Allow] = AllowedMethods;
        }
        else if (access == PathAccess.Forbidden)
        {
            LogForbidden(logger, site, request.Path);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Task.CompletedTask;
    }

    private bool HasForbiddenIndex(string directory)
    {
        var prefix = directory.EndsWith('/') ? directory : directory + "/";
        foreach (var index in indexFiles)
        {
            if (files.Probe(prefix + index) == PathAccess.Forbidden)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(1, LogLevel.Warning, "Permission denied serving {Site} {Path}")]
    private static partial void LogForbidden(ILogger logger, string site, PathString path);
}
