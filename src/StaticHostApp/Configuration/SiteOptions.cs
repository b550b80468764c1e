namespace StaticHostApp.Configuration;

/// <summary>One virtual host: the names it answers to and the directory it serves (<c>StaticHost:Sites:N</c>).</summary>
public sealed class SiteOptions
{
    /// <summary>
    /// Host names this site answers to, e.g. <c>example.test</c>. Matching ignores case, the port and one trailing
    /// dot; internationalised names may be written in Unicode and match their punycode (<c>xn--</c>) form.
    /// </summary>
    public IList<string> Hosts { get; } = [];

    /// <summary>The directory to serve: absolute, or relative to the content root.</summary>
    public string? Root { get; set; }

    /// <summary>
    /// Answer plain-HTTP requests with a redirect to the same URL over HTTPS (301 for GET and HEAD, 308 otherwise,
    /// so the method and body are kept), on port <see cref="StaticHostOptions.HttpsPort"/>. Defaults to
    /// <see langword="false"/>. Leave it off behind a proxy that terminates TLS, or every request would redirect.
    /// </summary>
    public bool RedirectToHttps { get; set; }

    /// <summary>
    /// Serve a file's precompressed sibling (<c>file.br</c>, <c>file.gz</c>) to clients that accept its coding,
    /// when the sibling exists and is not older than the file. Unset: <see cref="StaticHostOptions.Precompressed"/>.
    /// </summary>
    public bool? Precompressed { get; set; }

    /// <summary>Serve files with an unknown extension. Unset: <see cref="StaticHostOptions.ServeUnknownFileTypes"/>.</summary>
    public bool? ServeUnknownFileTypes { get; set; }

    /// <summary>Their content type. Unset: <see cref="StaticHostOptions.DefaultContentType"/>.</summary>
    public string? DefaultContentType { get; set; }

    /// <summary>Index file names a directory request looks for, in order. Empty: <see cref="StaticHostOptions.IndexFiles"/>.</summary>
    public IList<string> IndexFiles { get; } = [];

    /// <summary>
    /// Path prefixes under which dot-segments are served on this site. Empty: <see cref="StaticHostOptions.AllowedDotPaths"/>.
    /// </summary>
    public IList<string> AllowedDotPaths { get; } = [];

    /// <summary>List a directory that has no index file. Unset: <see cref="StaticHostOptions.DirectoryListing"/>.</summary>
    public bool? DirectoryListing { get; set; }

    /// <summary><c>Cache-Control</c> rules for this site's files. Empty: <see cref="StaticHostOptions.CacheControl"/>.</summary>
    public IList<CacheControlRule> CacheControl { get; } = [];

    /// <summary>Response headers added to every file response of this site, on top of <see cref="StaticHostOptions.Headers"/> (a name set here wins).</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Pages of this site's root served as the body of error responses, by status: <c>404</c> → <c>/404.html</c>.
    /// On top of <see cref="StaticHostOptions.ErrorPages"/> (a status set here wins).
    /// </summary>
    public IDictionary<string, string> ErrorPages { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
