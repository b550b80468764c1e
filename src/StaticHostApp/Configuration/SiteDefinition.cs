namespace StaticHostApp.Configuration;

/// <summary>A site after its configuration was checked: normalised host names and the absolute root.</summary>
/// <param name="Name">The site's first host name, used in logs.</param>
/// <param name="Hosts">Normalised host names (see <see cref="Sites.HostName"/>).</param>
/// <param name="Root">The absolute root directory, as configured (symbolic links not resolved).</param>
/// <param name="RedirectToHttps">Whether plain-HTTP requests are redirected to HTTPS.</param>
/// <param name="Rules">How the site serves files (index names, caching, headers, error pages, ...), resolved over the server's defaults.</param>
internal sealed record SiteDefinition(string Name, IReadOnlyList<string> Hosts, string Root, bool RedirectToHttps, SiteRules Rules);
