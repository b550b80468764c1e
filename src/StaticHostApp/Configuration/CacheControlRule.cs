namespace StaticHostApp.Configuration;

/// <summary>
/// A <c>Cache-Control</c> value for the files a pattern matches (<c>StaticHost:CacheControl:N</c> or
/// <c>StaticHost:Sites:N:CacheControl:M</c>). The first rule that matches a file's request path wins.
/// </summary>
public sealed class CacheControlRule
{
    /// <summary>
    /// <c>*.ext</c> matches an extension (case-insensitive), <c>/dir/*</c> every path below <c>/dir/</c>, anything
    /// else one exact path, e.g. <c>/index.html</c>.
    /// </summary>
    public string? Match { get; set; }

    /// <summary>The header's value, e.g. <c>public, max-age=31536000, immutable</c> or <c>no-cache</c>.</summary>
    public string? Value { get; set; }
}
