namespace StaticHostApp.Files;

/// <summary>
/// Which request paths a site hides: every path with a dot-segment (dot-files, dot-directories such as
/// <c>.git/</c>, and "." and ".."), except the segments of an allowed dot-path prefix such as <c>/.well-known/</c>;
/// dot-segments below such a prefix are hidden again. nginx serves dot-paths unless told otherwise; hiding them by
/// default, with the few that the web relies on allowed, keeps deploys that copy a whole working tree safe.
/// </summary>
internal sealed class HiddenPaths(IReadOnlyList<string> allowedDotPaths)
{
    /// <summary>
    /// Whether <paramref name="path"/> is hidden: it has a dot-segment outside every allowed dot-path prefix. The prefix
    /// itself without its last slash ("/.well-known") is allowed too, so its directory redirect works.
    /// </summary>
    public bool IsHidden(string path)
    {
        if (!HasHiddenSegment(path))
        {
            return false;
        }

        foreach (var prefix in allowedDotPaths)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal))
            {
                return HasHiddenSegment(path.AsSpan(prefix.Length));
            }

            if (path.Length == prefix.Length - 1 && prefix.StartsWith(path, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when a segment starts with '.', which covers dot-files, dot-directories (.git/config) and the
    /// "." and ".." segments.
    /// </summary>
    public static bool HasHiddenSegment(ReadOnlySpan<char> path)
    {
        for (var i = path.IndexOf('.'); i >= 0; i = NextDot(path, i))
        {
            if (i == 0 || path[i - 1] == '/')
            {
                return true;
            }
        }

        return false;

        static int NextDot(ReadOnlySpan<char> path, int previous)
        {
            var next = path[(previous + 1)..].IndexOf('.');
            return next < 0 ? -1 : previous + 1 + next;
        }
    }
}
