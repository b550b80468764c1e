using System.Buffers;
using System.Collections.Frozen;
using System.Collections.Immutable;

namespace StaticHostApp.Configuration;

/// <summary>
/// How one site serves its files, resolved once from its <see cref="SiteOptions"/> over the server-wide defaults of
/// <see cref="StaticHostOptions"/> and checked: what a request then reads is immutable and allocation-free.
/// </summary>
internal sealed class SiteRules
{
    private const string DefaultIndexFile = "index.html";
    private const string WellKnown = "/.well-known/";

    /// <summary>Serve files with an unknown extension as <see cref="DefaultContentType"/>.</summary>
    public required bool ServeUnknownFileTypes { get; init; }

    /// <summary>The content type of files with an unknown extension.</summary>
    public required string DefaultContentType { get; init; }

    /// <summary>Index file names, in order.</summary>
    public required IReadOnlyList<string> IndexFiles { get; init; }

    /// <summary>List directories without an index file.</summary>
    public required bool DirectoryListing { get; init; }

    /// <summary>Path prefixes under which dot-segments are served (see <see cref="StaticHostOptions.AllowedDotPaths"/>).</summary>
    public required IReadOnlyList<string> AllowedDotPaths { get; init; }

    /// <summary>Serve precompressed siblings.</summary>
    public required bool Precompressed { get; init; }

    // The two lists read per request are immutable arrays: their foreach needs no enumerator object, where one
    // through IReadOnlyList<T> would allocate on every response.

    /// <summary>Cache-Control rules; the first match wins.</summary>
    public required ImmutableArray<(string Match, string Value)> CacheControl { get; init; }

    /// <summary>Headers added to every file response.</summary>
    public required ImmutableArray<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>Error pages by status, as request paths inside the root.</summary>
    public required FrozenDictionary<int, string> ErrorPages { get; init; }

    /// <summary>Whether file responses need <see cref="Files.FileResponseHeaders"/> at all.</summary>
    public bool HasFileResponseHeaders => Precompressed || CacheControl.Length > 0 || Headers.Length > 0;

    /// <summary>
    /// The <c>Cache-Control</c> value for a file requested as <paramref name="path"/>, or null. <c>*.ext</c>
    /// matches the extension, <c>/dir/*</c> a prefix, anything else the exact path.
    /// </summary>
    public string? CacheControlFor(string path)
    {
        foreach (var (match, value) in CacheControl)
        {
            bool matches = match.StartsWith("*.", StringComparison.Ordinal)
                ? path.EndsWith(match.AsSpan(1), StringComparison.OrdinalIgnoreCase)
                : match.EndsWith('*')
                    ? path.AsSpan().StartsWith(match.AsSpan(0, match.Length - 1), StringComparison.Ordinal)
                    : path == match;
            if (matches)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Resolves a site's rules; problems are added to <paramref name="errors"/> with their configuration keys.</summary>
    public static SiteRules Resolve(StaticHostOptions server, SiteOptions site, string key, List<string> errors)
    {
        const string Section = StaticHostOptions.SectionName;
        var indexFiles = site.IndexFiles.Count > 0 ? site.IndexFiles : server.IndexFiles.Count > 0 ? server.IndexFiles : [DefaultIndexFile];
        var indexKey = site.IndexFiles.Count > 0 ? $"{key}:IndexFiles" : $"{Section}:IndexFiles";
        foreach (var name in indexFiles)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('/') || name.StartsWith('.'))
            {
                errors.Add($"{indexKey} '{name}' is not a file name (no '/', not hidden).");
            }
        }

        var (dotPaths, dotKey) = site.AllowedDotPaths.Count > 0 ? (site.AllowedDotPaths, $"{key}:AllowedDotPaths") : (server.AllowedDotPaths, $"{Section}:AllowedDotPaths");
        var allowedDotPaths = new List<string>();
        for (var i = 0; i < dotPaths.Count; i++)
        {
            var prefix = dotPaths[i];
            if (string.IsNullOrEmpty(prefix))
            {
                continue; // a single empty entry stands for "none"
            }

            if (prefix.Length < 2 || prefix[0] != '/' || prefix[^1] != '/' || Middleware.PathGuardMiddleware.IsHostile(prefix) || prefix.Contains("//", StringComparison.Ordinal))
            {
                errors.Add($"{dotKey}:{i} '{prefix}' must be a path prefix that starts and ends with '/', e.g. '/.well-known/' (no '.' or '..' segment, no '//').");
            }
            else
            {
                allowedDotPaths.Add(prefix);
            }
        }

        if (dotPaths.Count == 0)
        {
            allowedDotPaths.Add(WellKnown);
        }

        var cacheControl = new List<(string, string)>();
        var (rules, rulesKey) = site.CacheControl.Count > 0 ? (site.CacheControl, $"{key}:CacheControl") : (server.CacheControl, $"{Section}:CacheControl");
        for (var i = 0; i < rules.Count; i++)
        {
            var (match, value) = (rules[i].Match?.Trim(), rules[i].Value?.Trim());
            if (string.IsNullOrEmpty(match) || !(match.StartsWith("*.", StringComparison.Ordinal) || match.StartsWith('/')))
            {
                errors.Add($"{rulesKey}:{i}:Match '{match}' must be '*.ext', '/dir/*' or an exact path starting with '/'.");
            }
            else if (string.IsNullOrEmpty(value))
            {
                errors.Add($"{rulesKey}:{i}:Value is empty.");
            }
            else
            {
                cacheControl.Add((match, value));
            }
        }

        var headers = new Dictionary<string, string>(server.Headers, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in site.Headers)
        {
            headers[name] = value;
        }

        foreach (var name in headers.Keys)
        {
            if (name.Length == 0 || name.AsSpan().ContainsAnyExcept(HeaderNameCharacters))
            {
                errors.Add($"Header name '{name}' ({key}:Headers or {Section}:Headers) is not a valid HTTP header name.");
            }
        }

        var errorPages = new Dictionary<int, string>();
        foreach (var (pages, pagesKey) in new[] { (server.ErrorPages, $"{Section}:ErrorPages"), (site.ErrorPages, $"{key}:ErrorPages") })
        {
            foreach (var (status, page) in pages)
            {
                if (!int.TryParse(status, out var code) || code is < 400 or > 599)
                {
                    errors.Add($"{pagesKey}:{status} is not an error status (400-599).");
                }
                else if (string.IsNullOrWhiteSpace(page) || !page.StartsWith('/'))
                {
                    errors.Add($"{pagesKey}:{status} '{page}' must be a path inside the site's root, starting with '/'.");
                }
                else
                {
                    errorPages[code] = page;
                }
            }
        }

        return new SiteRules
        {
            ServeUnknownFileTypes = site.ServeUnknownFileTypes ?? server.ServeUnknownFileTypes,
            DefaultContentType = site.DefaultContentType ?? server.DefaultContentType,
            IndexFiles = [.. indexFiles],
            DirectoryListing = site.DirectoryListing ?? server.DirectoryListing,
            AllowedDotPaths = [.. allowedDotPaths],
            Precompressed = site.Precompressed ?? server.Precompressed,
            CacheControl = [.. cacheControl],
            Headers = [.. headers],
            ErrorPages = errorPages.ToFrozenDictionary(),
        };
    }

    // RFC 9110 token characters.
    private static readonly SearchValues<char> HeaderNameCharacters =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}
