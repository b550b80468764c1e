using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;
using StaticHostApp.Configuration;
using StaticHostApp.Sites;

namespace StaticHostApp.Files;

/// <summary>
/// A site's own headers on its file responses, set from the static file middleware's <c>OnPrepareResponse</c>
/// (which runs for 200, 206, 304, 412 and 416, HEAD included): <c>Content-Encoding</c> and <c>Vary</c> for
/// precompressed siblings, <c>Cache-Control</c> by the site's rules, and the site's extra headers.
/// </summary>
internal sealed class FileResponseHeaders(SiteRules rules)
{
    /// <summary>Adds the headers to the response being prepared.</summary>
    public void Apply(StaticFileResponseContext context)
    {
        var response = context.Context.Response;
        var headers = response.Headers;
        var file = context.File as SiteFileInfo;
        bool success = response.StatusCode < 400;

        if (rules.Precompressed)
        {
            // Whether a sibling is chosen depends on Accept-Encoding, so a cache must key on it, for the
            // uncompressed answer too (another client's request for the same URL could have received a sibling).
            ApplyCoding(headers, success && file is not null ? file.Coding : ContentCoding.None);
        }

        if (success && rules.CacheControlFor(file?.Subpath ?? context.Context.Request.Path.Value ?? "/") is { } cacheControl)
        {
            headers.CacheControl = cacheControl;
        }

        foreach (var (name, value) in rules.Headers)
        {
            headers[name] = value;
        }
    }

    /// <summary>
    /// <c>Vary: Accept-Encoding</c>, and <c>Content-Encoding</c> when <paramref name="coding"/> is a sibling's: the
    /// headers of any response whose body may be a precompressed sibling.
    /// </summary>
    public static void ApplyCoding(IHeaderDictionary headers, ContentCoding coding)
    {
        headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
        if (coding != ContentCoding.None)
        {
            headers.ContentEncoding = ContentCodings.HeaderValue(coding);
        }
    }
}
