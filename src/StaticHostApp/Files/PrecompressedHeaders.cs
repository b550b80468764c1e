using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace StaticHostApp.Files;

/// <summary>
/// The response headers of a site that serves precompressed siblings, set from the static file middleware's
/// <c>OnPrepareResponse</c> (which runs for 200, 206, 304, 412 and 416, HEAD included).
/// </summary>
internal static class PrecompressedHeaders
{
    /// <summary>
    /// <c>Content-Encoding</c> when the file served is a sibling, and <c>Vary: Accept-Encoding</c> on every file
    /// response of the site: whether a sibling is chosen depends on that request header, so a cache must key on it
    /// (including for the uncompressed answer, which another client's request could have received compressed).
    /// </summary>
    public static void Apply(StaticFileResponseContext context)
    {
        var headers = context.Context.Response.Headers;
        headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
        if (context.File is SiteFileInfo { Coding: not ContentCoding.None } file && context.Context.Response.StatusCode < 400)
        {
            headers.ContentEncoding = ContentCodings.HeaderValue(file.Coding);
        }
    }
}
