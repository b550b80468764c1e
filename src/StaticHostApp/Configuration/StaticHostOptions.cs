namespace StaticHostApp.Configuration;

/// <summary>The static host's configuration, bound from the <c>StaticHost</c> section and validated at start-up.</summary>
public sealed class StaticHostOptions
{
    /// <summary>The name of the configuration section the options are bound from.</summary>
    public const string SectionName = "StaticHost";

    /// <summary>The virtual hosts. At least one is required.</summary>
    public IList<SiteOptions> Sites { get; } = [];

    /// <summary>
    /// A host name of one of the <see cref="Sites"/> that serves requests whose Host header matches no site.
    /// When unset, such requests get 421 Misdirected Request.
    /// </summary>
    public string? DefaultSite { get; set; }

    /// <summary>
    /// Serve files whose extension has no known content type, as <see cref="DefaultContentType"/>.
    /// Defaults to <see langword="false"/>: such files are 404.
    /// </summary>
    public bool ServeUnknownFileTypes { get; set; }

    /// <summary>The content type of files with an unknown extension when <see cref="ServeUnknownFileTypes"/> is on.</summary>
    public string DefaultContentType { get; set; } = "application/octet-stream";

    /// <summary>
    /// Serve files reached through a symbolic link that resolves outside the site's root.
    /// Defaults to <see langword="false"/>: such paths are 404.
    /// </summary>
    public bool FollowSymlinksOutsideRoot { get; set; }

    /// <summary>
    /// Serve precompressed siblings (<c>file.br</c>, <c>file.gz</c>, as nginx's <c>gzip_static</c>) on every site that
    /// does not say otherwise (<see cref="SiteOptions.Precompressed"/>). Defaults to <see langword="true"/>: a
    /// sibling that exists is the opt-in.
    /// </summary>
    public bool Precompressed { get; set; } = true;

    /// <summary>
    /// The port HTTP→HTTPS redirects point to (see <see cref="SiteOptions.RedirectToHttps"/>). Defaults to 443,
    /// which the redirect's URL leaves out.
    /// </summary>
    public int HttpsPort { get; set; } = 443;

    /// <summary>The access log.</summary>
    public RequestLogOptions RequestLog { get; } = new();

    /// <summary>The open-file cache (off unless <see cref="OpenFileCacheOptions.Validity"/> is set).</summary>
    public OpenFileCacheOptions OpenFileCache { get; } = new();

    /// <summary>
    /// Path prefixes under which dot-segments are served, each starting and ending with '/', for every site that
    /// names none (<see cref="SiteOptions.AllowedDotPaths"/>); every other dot-file and dot-directory stays hidden.
    /// Empty: <c>/.well-known/</c> (ACME challenges, <c>security.txt</c>). A single empty entry hides them all.
    /// </summary>
    public IList<string> AllowedDotPaths { get; } = [];

    /// <summary>Index file names a directory request looks for, in order, on every site that names none. Empty: <c>index.html</c>.</summary>
    public IList<string> IndexFiles { get; } = [];

    /// <summary>List directories that have no index file (ASP.NET Core's directory browser). Defaults to <see langword="false"/>: 404.</summary>
    public bool DirectoryListing { get; set; }

    /// <summary><c>Cache-Control</c> rules for sites that have none of their own. Empty: no <c>Cache-Control</c> header.</summary>
    public IList<CacheControlRule> CacheControl { get; } = [];

    /// <summary>Response headers added to every file response of every site.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Error pages by status for every site (paths inside each site's root), e.g. <c>404</c> → <c>/404.html</c>.</summary>
    public IDictionary<string, string> ErrorPages { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
