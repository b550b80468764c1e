using System.Collections;
using Microsoft.Extensions.FileProviders;

namespace StaticHostApp.Files;

/// <summary>
/// A directory <see cref="SiteFileProvider"/> has found by opening it. Answering <see cref="Exists"/> (all that
/// DefaultFiles asks) costs nothing more; only enumerating, which the server does not do for requests, lists the
/// directory through the inner provider.
/// </summary>
internal sealed class SiteDirectoryContents(IFileProvider listings, string subpath) : IDirectoryContents
{
    /// <inheritdoc />
    public bool Exists => true;

    /// <inheritdoc />
    public IEnumerator<IFileInfo> GetEnumerator() => listings.GetDirectoryContents(subpath).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
