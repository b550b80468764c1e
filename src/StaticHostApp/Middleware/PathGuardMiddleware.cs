namespace StaticHostApp.Middleware;

/// <summary>
/// Rejects request paths no file name can legitimately contain with 400 Bad Request, before any site sees them:
/// NUL and other control characters, backslashes (a Windows separator some clients and proxies treat as '/'),
/// and "." or ".." segments. Kestrel already removes dot segments from the request line, but other servers
/// (TestServer, a future proxy in front) may not, so this does not rely on it.
/// </summary>
internal sealed class PathGuardMiddleware(RequestDelegate next)
{
    /// <summary>Checks the path and calls the next middleware, or answers 400.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        if (IsHostile(context.Request.Path.Value))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        return next(context);
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
