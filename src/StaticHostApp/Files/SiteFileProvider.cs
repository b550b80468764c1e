using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;
using StaticHostApp.Interop;

namespace StaticHostApp.Files;

/// <summary>
/// A <see cref="PhysicalFileProvider"/> on a site's root with the rules a web server needs on top of it:
/// <list type="bullet">
/// <item>any dot-prefixed path segment is hidden, not only a dot-prefixed file name;</item>
/// <item>a path whose symbolic links resolve outside the root is not found, unless allowed;</item>
/// <item>only regular files are files: FIFOs, sockets and devices are not found (opening a FIFO would block);</item>
/// <item>a file the server may not read is reported as not found here, so the static file middleware passes and
/// <see cref="Middleware.SiteFallbackMiddleware"/> answers 403 for GET and HEAD alike.</item>
/// </list>
/// </summary>
internal sealed class SiteFileProvider : IFileProvider, IDisposable
{
    private readonly PhysicalFileProvider _inner;
    private readonly string _root;
    private readonly string _realRoot;
    private readonly bool _followSymlinksOutsideRoot;

    /// <summary>Creates the provider. <paramref name="root"/> must be an existing absolute directory.</summary>
    public SiteFileProvider(string root, bool followSymlinksOutsideRoot)
    {
        _root = Path.TrimEndingDirectorySeparator(root);
        _realRoot = LibC.RealPath(_root, out var errno)
            ?? throw new DirectoryNotFoundException($"The site root '{root}' cannot be resolved (errno {errno}).");
        _followSymlinksOutsideRoot = followSymlinksOutsideRoot;

        // Watch() below never reaches the inner provider, so it never starts a FileSystemWatcher (inotify handles).
        _inner = new PhysicalFileProvider(_root, ExclusionFilters.Sensitive);
    }

    /// <inheritdoc />
    public IFileInfo GetFileInfo(string subpath)
    {
        if (HasHiddenSegment(subpath))
        {
            return new NotFoundFileInfo(subpath);
        }

        var info = _inner.GetFileInfo(subpath);
        if (!info.Exists || info.PhysicalPath is null)
        {
            return info;
        }

        var (access, resolved) = Check(info.PhysicalPath);
        if (access != PathAccess.File)
        {
            return new NotFoundFileInfo(subpath);
        }

        // PhysicalFileInfo describes a symbolic link itself (its length is the target path's length), so a linked
        // file would be served truncated; describe the file the link resolves to instead.
        return string.Equals(resolved, info.PhysicalPath, StringComparison.Ordinal) ? info : new PhysicalFileInfo(new FileInfo(resolved));
    }

    /// <inheritdoc />
    public IDirectoryContents GetDirectoryContents(string subpath)
    {
        if (HasHiddenSegment(subpath))
        {
            return NotFoundDirectoryContents.Singleton;
        }

        var contents = _inner.GetDirectoryContents(subpath);
        if (!contents.Exists || !TryMapPath(subpath, out var fullPath))
        {
            return NotFoundDirectoryContents.Singleton;
        }

        return Check(fullPath).Access == PathAccess.Directory ? contents : NotFoundDirectoryContents.Singleton;
    }

    /// <inheritdoc />
    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    /// <summary>
    /// Classifies a request path for the fallback middleware, which answers requests the static file middleware
    /// did not serve: 403 for <see cref="PathAccess.Forbidden"/>, 405 for other methods on an existing path.
    /// </summary>
    public PathAccess Probe(string subpath)
    {
        if (HasHiddenSegment(subpath) || !TryMapPath(subpath, out var fullPath))
        {
            return PathAccess.NotFound;
        }

        return Check(fullPath).Access;
    }

    /// <inheritdoc />
    public void Dispose() => _inner.Dispose();

    /// <summary>
    /// True when a segment starts with '.', which covers dot-files, dot-directories (.git/config) and the
    /// "." and ".." segments.
    /// </summary>
    internal static bool HasHiddenSegment(ReadOnlySpan<char> path)
    {
        for (var i = path.IndexOf('.'); i >= 0; i = NextDot(path, i))
        {
            if (i == 0 || path[i - 1] == '/')
            {
                return true;
            }
        }

        return false;

        static int NextDot(ReadOnlySpan<char> path, int previous)
        {
            var next = path[(previous + 1)..].IndexOf('.');
            return next < 0 ? -1 : previous + 1 + next;
        }
    }

    private bool TryMapPath(string subpath, out string fullPath)
    {
        fullPath = string.Empty;
        var relative = subpath.AsSpan().TrimStart('/');
        if (relative.Contains('\0') || relative.Contains('\\'))
        {
            return false;
        }

        if (relative.IsEmpty)
        {
            fullPath = _root;
            return true;
        }

        var candidate = Path.GetFullPath(Path.Join(_root, relative));
        if (!candidate.StartsWith(_root + "/", StringComparison.Ordinal))
        {
            return false;
        }

        fullPath = candidate;
        return true;
    }

    private (PathAccess Access, string Resolved) Check(string fullPath)
    {
        var resolved = LibC.RealPath(fullPath, out var errno);
        if (resolved is null)
        {
            return (errno is LibC.EACCES or LibC.EPERM ? PathAccess.Forbidden : PathAccess.NotFound, fullPath);
        }

        if (!_followSymlinksOutsideRoot && !IsInsideRealRoot(resolved))
        {
            return (PathAccess.NotFound, resolved);
        }

        switch (LibC.GetFileType(resolved))
        {
            case LibC.FileType.Directory:
                return (PathAccess.Directory, resolved);
            case LibC.FileType.Regular:
                errno = LibC.CanRead(resolved);
                return (errno == 0 ? PathAccess.File
                    : errno is LibC.EACCES or LibC.EPERM ? PathAccess.Forbidden
                    : PathAccess.NotFound, resolved);
            default:
                return (PathAccess.NotFound, resolved);
        }
    }

    private bool IsInsideRealRoot(string resolved) =>
        resolved.StartsWith(_realRoot, StringComparison.Ordinal) &&
        (resolved.Length == _realRoot.Length || resolved[_realRoot.Length] == '/' || _realRoot == "/");
}
