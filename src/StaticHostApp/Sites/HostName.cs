using System.Globalization;

namespace StaticHostApp.Sites;

/// <summary>
/// Turns host names into the form sites are looked up by: no port, no trailing dot, ASCII (punycode) labels.
/// Case is left alone because the lookup itself ignores it.
/// </summary>
internal static class HostName
{
    // A fresh IdnMapping per use: the type does not document thread safety, and it is only needed at start-up and
    // on the cold non-ASCII path. UseStd3AsciiRules rejects spaces, '/', '@' and the like.
    private static IdnMapping Idn => new() { UseStd3AsciiRules = true };

    /// <summary>
    /// Normalises a configured host name. Returns <see langword="false"/> with a reason when it is not a usable name
    /// (empty, carries a port, or is not a valid IDNA name).
    /// </summary>
    public static bool TryNormalizeConfigured(string? configured, out string normalized, out string? error)
    {
        normalized = string.Empty;
        error = null;
        var name = configured?.Trim() ?? string.Empty;
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.Length == 0)
        {
            error = "is empty";
            return false;
        }

        if (name[0] == '[')
        {
            // An IPv6 literal is matched as written (the Host header carries it in brackets too).
            if (name[^1] != ']' || !System.Net.IPAddress.TryParse(name.AsSpan(1, name.Length - 2), out _))
            {
                error = "is not a valid bracketed IPv6 address";
                return false;
            }

            normalized = name.ToLowerInvariant();
            return true;
        }

        if (name.Contains(':', StringComparison.Ordinal))
        {
            error = "must be a host name without a port (the port is ignored when matching)";
            return false;
        }

        try
        {
            normalized = Idn.GetAscii(name).ToLowerInvariant();
            return true;
        }
        catch (ArgumentException)
        {
            error = "is not a valid host name";
            return false;
        }
    }

    /// <summary>
    /// Extracts the name part of a request's Host value: drops the port (keeping an IPv6 literal's brackets) and one
    /// trailing dot. Allocation-free; the result is a slice of <paramref name="host"/>.
    /// </summary>
    public static ReadOnlySpan<char> StripPortAndDot(ReadOnlySpan<char> host)
    {
        if (host.Length > 0 && host[0] == '[')
        {
            var close = host.IndexOf(']');
            host = close < 0 ? host : host[..(close + 1)];
        }
        else
        {
            var colon = host.IndexOf(':');
            if (colon >= 0)
            {
                host = host[..colon];
            }
        }

        return host.Length > 0 && host[^1] == '.' ? host[..^1] : host;
    }

    /// <summary>
    /// The punycode form of a request host that contains non-ASCII characters, or <see langword="null"/> if it is
    /// ASCII already or not a valid name. Kestrel only lets such Host values through on some paths (HTTP/2, tests),
    /// so this is the cold path.
    /// </summary>
    public static string? ToAsciiOrNull(ReadOnlySpan<char> host)
    {
        if (System.Text.Ascii.IsValid(host))
        {
            return null;
        }

        try
        {
            return Idn.GetAscii(host.ToString());
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
