namespace StaticHostApp.Sites;

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
}
