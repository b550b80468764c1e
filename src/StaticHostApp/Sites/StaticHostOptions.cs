namespace StaticHostApp.Sites;

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
    /// The port HTTP→HTTPS redirects point to (see <see cref="SiteOptions.RedirectToHttps"/>). Defaults to 443,
    /// which the redirect's URL leaves out.
    /// </summary>
    public int HttpsPort { get; set; } = 443;

    /// <summary>The access log.</summary>
    public RequestLogOptions RequestLog { get; } = new();
}
