namespace StaticHostApp.Middleware;

/// <summary>
/// Rejects request paths no file name can legitimately contain with 400 Bad Request, before any site sees them:
/// NUL and other control characters, backslashes (a Windows separator some clients and proxies treat as '/'),
/// and "." or ".." segments. Kestrel already removes dot segments from the request line, but other servers
/// (TestServer, a future proxy in front) may not, so this does not rely on it.
/// </summary>
/// <remarks>
/// It also merges runs of slashes (<c>//index.html</c>, <c>/d//x.txt</c>) into one, as nginx's
/// <c>merge_slashes on</c> does, before any site sees the path: the file looked up, the open-file cache's key and
/// the <c>Cache-Control</c> rules (<c>/assets/*</c>) all see one spelling of each path. The access log keeps the
/// request target as the client sent it.
/// </remarks>
internal sealed class PathGuardMiddleware(RequestDelegate next)
{
    /// <summary>Checks the path and calls the next middleware, or answers 400.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (IsHostile(path))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        if (path is not null && path.Contains("//", StringComparison.Ordinal))
        {
            context.Request.Path = new PathString(MergeSlashes(path));
        }

        return next(context);
    }

    /// <summary><paramref name="path"/> with every run of slashes replaced by one slash.</summary>
    internal static string MergeSlashes(string path)
    {
        // Only paths that have a double slash get here, a rare request: clarity over speed.
        var merged = new System.Text.StringBuilder(path.Length);
        foreach (var c in path)
        {
            if (c != '/' || merged.Length == 0 || merged[^1] != '/')
            {
                merged.Append(c);
            }
        }

        return merged.ToString();
    }

    /// <summary>True for paths that must never reach a file provider.</summary>
    internal static bool IsHostile(ReadOnlySpan<char> path)
    {
        foreach (var c in path)
        {
            if (c < ' ' || c == '\x7f' || c == '\\')
            {
                return true;
            }
        }

        // A "." or ".." segment: a dot preceded by '/' and followed by '/', the end, or another dot that ends the segment.
        for (var i = path.IndexOf("/.", StringComparison.Ordinal); i >= 0;)
        {
            var rest = path[(i + 2)..];
            if (rest.IsEmpty || rest[0] == '/' || (rest[0] == '.' && (rest.Length == 1 || rest[1] == '/')))
            {
                return true;
            }

            var next = rest.IndexOf("/.", StringComparison.Ordinal);
            i = next < 0 ? -1 : i + 2 + next;
        }

        return false;
    }
}
