namespace StaticHostApp.Sites;

/// <summary>
/// The site a request was routed to, set by the host router on the request's features so that middleware in front
/// of the router (the access log) can name it. The site's own prebuilt branch object carries it: no allocation.
/// </summary>
internal interface ISiteFeature
{
    /// <summary>The site's name: its first configured host name, normalised.</summary>
    string SiteName { get; }
}
