namespace StaticHostApp.Sites;

/// <summary>A site's prebuilt request branch, under the site's name.</summary>
/// <param name="SiteName">The site's name (its first host name).</param>
/// <param name="Invoke">The site's middleware branch.</param>
internal sealed record SiteBranch(string SiteName, RequestDelegate Invoke) : ISiteFeature;
