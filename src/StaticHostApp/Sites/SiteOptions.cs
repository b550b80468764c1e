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
}
