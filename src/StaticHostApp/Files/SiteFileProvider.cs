using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;
using StaticHostApp.Interop;

namespace StaticHostApp.Files;

/// <summary>
/// A site's files with the rules a web server needs (directory listings come from a <see cref="PhysicalFileProvider"/>;
/// files are classified with a statx per path component below the root, see <see cref="Resolve"/>):
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
    private readonly string _realRootPrefix;
    private readonly bool _followSymlinksOutsideRoot;

    /// <summary>Creates the provider. <paramref name="root"/> must be an existing absolute directory.</summary>
    public SiteFileProvider(string root, bool followSymlinksOutsideRoot)
    {
        _root = Path.TrimEndingDirectorySeparator(root);
        _realRoot = LibC.RealPath(_root, out var errno)
            ?? throw new DirectoryNotFoundException($"The site root '{root}' cannot be resolved (errno {errno}).");
        _realRootPrefix = _realRoot.TrimEnd('/'); // "" when the root is "/"
        _followSymlinksOutsideRoot = followSymlinksOutsideRoot;

        // Watch() below never reaches the inner provider, so it never starts a FileSystemWatcher (inotify handles).
        _inner = new PhysicalFileProvider(_root, ExclusionFilters.Sensitive);
    }

    /// <inheritdoc />
    public IFileInfo GetFileInfo(string subpath)
    {
        var (access, path, status) = Resolve(subpath);

        // Built from the statx that classified the file, at the path the links resolve to: PhysicalFileInfo would
        // stat again, and on a symbolic link it would report the link's own length, so a linked file would be truncated.
        return access == PathAccess.File ? new SiteFileInfo(path, status.Length, status.LastModified) : new NotFoundFileInfo(subpath);
    }

    /// <inheritdoc />
    public IDirectoryContents GetDirectoryContents(string subpath) =>
        Resolve(subpath).Access == PathAccess.Directory ? _inner.GetDirectoryContents(subpath) : NotFoundDirectoryContents.Singleton;

    /// <inheritdoc />
    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    /// <summary>
    /// Classifies a request path for the fallback middleware, which answers requests the static file middleware
    /// did not serve: 403 for <see cref="PathAccess.Forbidden"/>, 405 for other methods on an existing path.
    /// </summary>
    public PathAccess Probe(string subpath) => Resolve(subpath).Access;

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

    /// <summary>
    /// Classifies <paramref name="subpath"/> and finds the file it names with every symbolic link resolved.
    /// The root was resolved once at start-up, so only the components below it can be links: they are lstat-ed
    /// (statx without following links) from the top, and realpath(3) takes over only at the first link. A file in
    /// the root costs one statx instead of a readlink per component of the absolute path plus separate stats.
    /// </summary>
    private (PathAccess Access, string Path, LibC.FileStatus Status) Resolve(string subpath)
    {
        if (HasHiddenSegment(subpath) || subpath.AsSpan().ContainsAny('\0', '\\'))
        {
            return (PathAccess.NotFound, subpath, default);
        }

        // Empty segments ("a//b") are dropped as path resolution would; "." and ".." were refused as hidden above.
        var segments = subpath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return Stat(_realRoot);
        }

        var mustBeDirectory = subpath.EndsWith('/');
        var path = _realRootPrefix + "/" + string.Join('/', segments);
        var end = _realRootPrefix.Length;
        LibC.FileStatus status = default;
        for (var i = 0; i < segments.Length; i++)
        {
            end += 1 + segments[i].Length;
            var errno = LibC.Stat(path[..end], followLinks: false, out status);
            if (errno != 0)
            {
                return (ToAccess(errno), path, default);
            }

            if (status.Type == LibC.FileType.SymbolicLink)
            {
                return ResolveLinks(mustBeDirectory ? path + "/" : path);
            }

            // Only a directory can have a component below it or a trailing slash (realpath would fail with ENOTDIR).
            if (status.Type != LibC.FileType.Directory && (i < segments.Length - 1 || mustBeDirectory))
            {
                return (PathAccess.NotFound, path, default);
            }
        }

        return Classify(path, status);
    }

    /// <summary>The slow path, for a path with a symbolic link below the root: resolve it whole and confine the result.</summary>
    private (PathAccess Access, string Path, LibC.FileStatus Status) ResolveLinks(string fullPath)
    {
        var resolved = LibC.RealPath(fullPath, out var errno);
        if (resolved is null)
        {
            return (ToAccess(errno), fullPath, default);
        }

        if (!_followSymlinksOutsideRoot && !IsInsideRealRoot(resolved))
        {
            return (PathAccess.NotFound, resolved, default);
        }

        return Stat(resolved);
    }

    private static (PathAccess Access, string Path, LibC.FileStatus Status) Stat(string resolved)
    {
        var errno = LibC.Stat(resolved, followLinks: true, out var status);
        return errno == 0 ? Classify(resolved, status) : (ToAccess(errno), resolved, default);
    }

    /// <summary>
    /// Directories and regular files are servable; FIFOs, sockets and devices are not (opening a FIFO would block).
    /// A regular file must also be readable by the server: faccessat(2) asks the kernel, which knows about ACLs and
    /// capabilities, rather than guessing from the mode bits. HEAD never opens the file, so this check is what makes
    /// it 403 like GET.
    /// </summary>
    private static (PathAccess Access, string Path, LibC.FileStatus Status) Classify(string path, LibC.FileStatus status) => status.Type switch
    {
        LibC.FileType.Directory => (PathAccess.Directory, path, status),
        LibC.FileType.Regular => (LibC.CanRead(path) is var errno && errno == 0 ? PathAccess.File : ToAccess(errno), path, status),
        _ => (PathAccess.NotFound, path, status),
    };

    private static PathAccess ToAccess(int errno) => errno is LibC.EACCES or LibC.EPERM ? PathAccess.Forbidden : PathAccess.NotFound;

    private bool IsInsideRealRoot(string resolved) =>
        resolved.StartsWith(_realRoot, StringComparison.Ordinal) &&
        (resolved.Length == _realRoot.Length || resolved[_realRoot.Length] == '/' || _realRoot == "/");
}
