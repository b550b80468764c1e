using Microsoft.AspNetCore.StaticFiles;

namespace StaticHostApp.Files;

/// <summary>
/// The content types of a site whose allowed dot-paths (<c>/.well-known/</c>) must serve files without a known
/// extension: an ACME challenge token (<c>/.well-known/acme-challenge/TOKEN</c>) has none, and <c>certbot
/// --webroot</c> only works when it is served. Under an allowed dot-path such a file gets the site's default content
/// type, as nginx's <c>default_type</c> gives it; everywhere else the site's own setting
/// (<c>ServeUnknownFileTypes</c>) decides, as before.
/// </summary>
internal sealed class DotPathContentTypes(IContentTypeProvider inner, IReadOnlyList<string> allowedDotPaths, string defaultContentType) : IContentTypeProvider
{
    /// <inheritdoc />
    public bool TryGetContentType(string subpath, out string contentType)
    {
        if (inner.TryGetContentType(subpath, out contentType!))
        {
            return true;
        }

        foreach (var prefix in allowedDotPaths)
        {
            if (subpath.StartsWith(prefix, StringComparison.Ordinal))
            {
                contentType = defaultContentType;
                return true;
            }
        }

        return false;
    }
}
