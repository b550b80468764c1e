using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Net.Http.Headers;
using StaticHostApp.Configuration;

namespace StaticHostApp.Sites;

/// <summary>
/// A site's HTTP→HTTPS redirect, nginx's <c>return 301 https://$host$request_uri;</c>: plain-HTTP requests get the
/// same URL over HTTPS, requests that came over HTTPS go to the site. The redirect keeps the request's host name
/// when it is one of the site's; a request that reached the site as the default site (any other Host header) is
/// sent to the site's name, so a client cannot make the server redirect to a host of its choosing.
/// </summary>
internal static class HttpsRedirect
{
    /// <summary>Puts the redirect in front of a site's branch.</summary>
    /// <param name="branch">The site's branch, for requests over HTTPS.</param>
    /// <param name="site">The site.</param>
    /// <param name="httpsPort">The port of the redirect's URL; 443 is left out.</param>
    public static RequestDelegate Before(RequestDelegate branch, SiteDefinition site, int httpsPort)
    {
        var hosts = site.Hosts.ToHashSet(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        return context => context.Request.IsHttps ? branch(context) : Redirect(context, hosts, site.Name, httpsPort);
    }

    private static Task Redirect(HttpContext context, HashSet<string>.AlternateLookup<ReadOnlySpan<char>> hosts, string siteName, int httpsPort)
    {
        var request = context.Request;
        var name = HostName.StripPortAndDot(request.Host.Value);
        var target = hosts.TryGetValue(name, out var configured) ? configured : siteName; // the normalised spelling

        // 301 is what browsers and nginx configurations expect for pages; 308 keeps the method and body of others.
        context.Response.StatusCode = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            ? StatusCodes.Status301MovedPermanently
            : StatusCodes.Status308PermanentRedirect;
        var host = httpsPort == 443 ? new HostString(target) : new HostString(target, httpsPort);
        context.Response.Headers[HeaderNames.Location] = UriHelper.BuildAbsolute("https", host, request.PathBase, request.Path, request.QueryString);
        return Task.CompletedTask;
    }
}
