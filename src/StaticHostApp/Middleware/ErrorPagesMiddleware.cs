using System.Collections.Frozen;
using EpollTransport;
using Microsoft.AspNetCore.StaticFiles;
using StaticHostApp.Files;

namespace StaticHostApp.Middleware;

/// <summary>
/// Gives an error response of a site the body of the site's page for that status (nginx's <c>error_page</c>): after
/// the rest of the branch has answered 403, 404, 405, 500 or any other configured status without a body, the page
/// is opened like any file of the site (confined, checked on its descriptor) and sent from that descriptor, by
/// sendfile on the epoll transport. The status and the headers already set (such as <c>Allow</c>) are kept. A
/// page that is missing itself leaves the empty error response as it was.
/// </summary>
internal sealed partial class ErrorPagesMiddleware(
    RequestDelegate next,
    SiteFileProvider files,
    FrozenDictionary<int, string> pages,
    IContentTypeProvider contentTypes,
    string site,
    ILogger<ErrorPagesMiddleware> logger)
{
    // A missing page is a configuration problem, not a per-request event: say it once per site (and reload).
    private int _warned;

    /// <summary>Runs the rest of the branch, then fills an empty error response with its page.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var rest = next(context);

        // A response that has started can never take a page. A file being sent (the usual reason for the rest to
        // still be running) has started its response, so its task is passed on as it is rather than awaited here,
        // which would cost every such request an asynchronous state machine for nothing.
        return rest.IsCompletedSuccessfully || !context.Response.HasStarted ? FillErrorPageAsync(rest, context) : rest;
    }

    private async Task FillErrorPageAsync(Task rest, HttpContext context)
    {
        await rest;

        var response = context.Response;
        if (response.HasStarted || response.ContentLength > 0 || !pages.TryGetValue(response.StatusCode, out var page))
        {
            return;
        }

        if (files.GetFileInfo(page) is not SiteFileInfo { Handle: { } handle } file)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                LogMissingPage(logger, site, response.StatusCode, page);
            }

            return;
        }

        response.ContentType = contentTypes.TryGetContentType(page, out var type) ? type : "text/html";
        response.ContentLength = file.Length;
        if (file.Coding != ContentCoding.None)
        {
            FileResponseHeaders.ApplyCoding(response.Headers, file.Coding);
        }

        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.SendFileAsync(handle, 0, file.Length, CancellationToken.None);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "The error page of {Site} for status {Status}, {Page}, is not a readable file of the site; error responses keep an empty body (logged once)")]
    private static partial void LogMissingPage(ILogger logger, string site, int status, string page);
}
