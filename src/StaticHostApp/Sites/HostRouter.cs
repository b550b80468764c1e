using System.Collections.Frozen;

namespace StaticHostApp.Sites;

/// <summary>
/// Dispatches each request to its site's prebuilt branch with one dictionary look-up on the Host header
/// (port and one trailing dot ignored, case-insensitive, no allocation). Unknown hosts go to the default site,
/// or get 421 Misdirected Request when there is none. The chosen site is recorded as the request's
/// <see cref="ISiteFeature"/> for the access log.
/// </summary>
internal sealed class HostRouter
{
    private readonly FrozenDictionary<string, SiteBranch>.AlternateLookup<ReadOnlySpan<char>> _sites;
    private readonly SiteBranch? _defaultSite;

    /// <summary>Creates the router from normalised host names (see <see cref="HostName"/>) and their branches.</summary>
    public HostRouter(IEnumerable<KeyValuePair<string, SiteBranch>> sites, SiteBranch? defaultSite)
    {
        _sites = sites.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        _defaultSite = defaultSite;
    }

    /// <summary>Runs the branch of the request's site.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var host = HostName.StripPortAndDot(context.Request.Host.Value);
        if (_sites.TryGetValue(host, out var site)
            || (HostName.ToAsciiOrNull(host) is { } ascii && _sites.TryGetValue(ascii, out site)))
        {
            return Run(site, context);
        }

        if (_defaultSite is not null)
        {
            return Run(_defaultSite, context);
        }

        context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
        return Task.CompletedTask;
    }

    private static Task Run(SiteBranch site, HttpContext context)
    {
        context.Features.Set<ISiteFeature>(site);
        return site.Invoke(context);
    }
}
