using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;
using Microsoft.Win32.SafeHandles;
using StaticHostApp.Interop;
using static EpollTransport.Interop.Errno;
using static EpollTransport.Interop.LinuxConstants;
using static StaticHostApp.Interop.FileCalls;

namespace StaticHostApp.Files;

/// <summary>
/// A site's files with the rules a web server needs, enforced on the file that is actually opened:
/// <list type="bullet">
/// <item>any dot-prefixed path segment is hidden, not only a dot-prefixed file name, except the segments of an
/// allowed dot-path prefix such as <c>/.well-known/</c> (dot-segments below it are hidden again);</item>
/// <item>a path whose symbolic links lead outside the root is not found, unless allowed;</item>
/// <item>only regular files are files: FIFOs, sockets and devices are not found;</item>
/// <item>a file the server may not read is reported as not found here, so the static file middleware passes and
/// <see cref="Middleware.SiteFallbackMiddleware"/> answers 403 for GET and HEAD alike.</item>
/// </list>
/// </summary>
/// <remarks>
/// <para>
/// Check and use are one object. A request path is opened once, with openat2(2) from a descriptor of the site's
/// root: the kernel applies the confinement (<c>RESOLVE_BENEATH</c>: no <c>..</c> above the root, no absolute or
/// escaping symbolic link) to every component while it walks them, so a component swapped for a symbolic link
/// between any check and the open cannot lead outside. Type, size and modification time then come from statx(2)
/// on the opened descriptor, the read permission from the open itself, and the body is sent from that same
/// descriptor (<see cref="RequestFiles"/>); nothing reopens the file by path.
/// </para>
/// <para>
/// Files are opened with <c>O_NONBLOCK</c> (a FIFO swapped in never blocks the open, and is refused by type without
/// being read) and <c>O_NOCTTY</c>. A symbolic link inside the root whose target is absolute (or climbs out and back
/// in) makes openat2 fail with EXDEV even when the target is inside the root; that rare case is resolved with
/// realpath(3), confined, and opened again with no symbolic link allowed anywhere, so it stays race-free too.
/// </para>
/// <para>
/// The root is a path that may be switched (<see cref="SiteRoot"/>): files are opened beneath the directory it names
/// now, looked at again at most every <see cref="SiteRoot.CheckInterval"/> and before any "not found", and the
/// open-file cache forgets what it opened beneath a previous directory.
/// </para>
/// </remarks>
internal sealed class SiteFileProvider : IFileProvider, IDisposable
{
    private const int ReadFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    private static readonly TimeSpan SiblingClockSlack = TimeSpan.FromSeconds(2);

    private readonly SiteRoot _siteRoot;
    private readonly string _root;
    private readonly ulong _resolve;
    private readonly bool _precompressed;
    private readonly OpenFileCache? _cache;
    private readonly HiddenPaths _hidden;

    /// <summary>
    /// Creates the provider. <paramref name="root"/> must be an existing absolute directory. With
    /// <paramref name="precompressed"/>, a request that accepts <c>br</c> or <c>gzip</c> gets the file's
    /// <c>.br</c>/<c>.gz</c> sibling when one exists and is not older than the file (nginx's <c>gzip_static</c>).
    /// <paramref name="cache"/> is used, not owned: whoever created it disposes it (after this provider).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root cannot be resolved or opened.</exception>
    /// <exception cref="PlatformNotSupportedException">The kernel has no openat2(2) (Linux before 5.6).</exception>
    public SiteFileProvider(string root, bool followSymlinksOutsideRoot, bool precompressed = false, OpenFileCache? cache = null, IReadOnlyList<string>? allowedDotPaths = null)
    {
        _hidden = new HiddenPaths(allowedDotPaths ?? []);
        _precompressed = precompressed;
        _cache = cache;
        _root = Path.TrimEndingDirectorySeparator(root);

        // Magic links (/proc/PID/fd/N) never lead anywhere a site should serve, whatever the policy.
        _resolve = followSymlinksOutsideRoot ? RESOLVE_NO_MAGICLINKS : RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        _siteRoot = new SiteRoot(_root);

        try
        {
            EnsureOpenAt2();
        }
        catch
        {
            Dispose();
            throw;
        }

        // Descriptors opened beneath the previous release must not be served once the root has switched.
        _siteRoot.Switched += () => _cache?.Clear();
    }

    /// <summary>
    /// The regular file <paramref name="subpath"/> names, opened. Inside a request (<see cref="RequestFiles"/>) the
    /// descriptor stays open until the request ends and the body is sent from it; a second look-up of the same path
    /// in the same request (DefaultFiles, then StaticFiles) reuses it.
    /// </summary>
    public IFileInfo GetFileInfo(string subpath)
    {
        var files = RequestFiles.Current;
        if (files?.Find(this, subpath) is { } known)
        {
            return known;
        }

        // A file never has a trailing slash, and nothing else is a file.
        if (subpath.EndsWith('/') || OpenFile(subpath, subpath, ContentCoding.None) is not { } file)
        {
            return new NotFoundFileInfo(subpath);
        }

        if (files is null)
        {
            // Nobody would let go of the descriptor at the end of a request: describe the file and let go of it
            // now. Its stream reopens it confined and checks it is still the same file.
            file.ReleaseHandle();
            return new SiteFileInfo(this, subpath, physicalPath: null, handle: null, file.Status);
        }

        var info = _precompressed && files.Codings is { First: not ContentCoding.None } codings
            ? OpenSibling(subpath, codings.First, file.Status) ?? OpenSibling(subpath, codings.Second, file.Status)
            : null;
        if (info is null)
        {
            info = file;
        }
        else
        {
            file.ReleaseHandle();
        }

        files.Add(info);
        return info;
    }

    /// <inheritdoc />
    public IDirectoryContents GetDirectoryContents(string subpath)
    {
        if (!TryGetRelativePath(subpath, out var relative))
        {
            return NotFoundDirectoryContents.Singleton;
        }

        // O_DIRECTORY makes the open itself the type check, and O_PATH needs no read permission on the directory
        // (its index file may still be readable): open and close, nothing else.
        int fd = OpenConfined(relative, O_PATH | O_DIRECTORY | O_CLOEXEC, recheckRoot: true, out var errno);
        if (fd < 0)
        {
            ThrowIfUnexpected(errno, subpath);
            return NotFoundDirectoryContents.Singleton;
        }

        new SafeFileHandle(fd, ownsHandle: true).Dispose();
        return new SiteDirectoryContents(() => OpenDirectoryForListing(relative), subpath, Describe);
    }

    /// <summary>Classifies a request path and describes what it names, as <see cref="Describe"/> does.</summary>
    internal delegate PathAccess Describer(string subpath, out FileStatus status, bool recheckRoot);

    /// <summary>
    /// What a request for <paramref name="subpath"/> would find: a readable regular file or a directory, with what
    /// statx said about it, <see cref="PathAccess.Forbidden"/>, or nothing servable. For the fallback's status
    /// codes (<see cref="Probe"/>) and a directory listing's entries.
    /// </summary>
    internal PathAccess Describe(string subpath, out FileStatus status, bool recheckRoot = false)
    {
        var access = Open(subpath, ReadFlags, out var handle, out status, recheckRoot);
        handle?.Dispose();
        if (access != PathAccess.Forbidden)
        {
            return access;
        }

        // Read permission was refused. A directory the server may search but not list is still a directory (its
        // index file may be readable); an O_PATH open needs no read permission and tells which it was.
        var located = Open(subpath, O_PATH | O_CLOEXEC, out var pathHandle, out status, recheckRoot: false);
        pathHandle?.Dispose();
        return located == PathAccess.Directory ? PathAccess.Directory : PathAccess.Forbidden;
    }

    /// <inheritdoc />
    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    /// <summary>Opens a directory confined, for reading its entries; null when it is no longer a readable directory.</summary>
    private SafeFileHandle? OpenDirectoryForListing(string relative)
    {
        int fd = OpenConfined(relative, O_RDONLY | O_DIRECTORY | O_CLOEXEC, recheckRoot: true, out _);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Classifies a request path for the fallback middleware, which answers requests the static file middleware
    /// did not serve: 403 for <see cref="PathAccess.Forbidden"/>, 405 for other methods on an existing path.
    /// </summary>
    public PathAccess Probe(string subpath) => Describe(subpath, out _, recheckRoot: true);

    /// <summary>
    /// Opens the file <paramref name="info"/> described again, confined as before, and checks it is still the same
    /// file (device and inode); for a file described outside a request.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path no longer names that file.</exception>
    public SafeFileHandle Reopen(SiteFileInfo info)
    {
        var access = Open(info.Subpath, ReadFlags, out var handle, out var status);
        if (access == PathAccess.File && status.Device == info.Status.Device && status.Inode == info.Status.Inode)
        {
            return handle!;
        }

        handle?.Dispose();
        throw access == PathAccess.Forbidden
            ? new UnauthorizedAccessException($"Access to '{info.Subpath}' is denied.")
            : new FileNotFoundException($"'{info.Subpath}' no longer names the file that was checked.", info.Subpath);
    }

    /// <inheritdoc />
    public void Dispose() => _siteRoot.Dispose();

    /// <summary>
    /// The precompressed sibling of <paramref name="subpath"/> with <paramref name="coding"/>, opened and checked like
    /// any file, or null when there is none, it is no regular file, or it is older than the file it stands for (a
    /// stale compressed copy must not hide a newer original). "Older" allows <see cref="SiblingClockSlack"/>: a
    /// deploy that copies both files without keeping their times writes them in any order within moments.
    /// </summary>
    private SiteFileInfo? OpenSibling(string subpath, ContentCoding coding, FileStatus original)
    {
        if (coding == ContentCoding.None)
        {
            return null;
        }

        var siblingPath = subpath + ContentCodings.FileSuffix(coding);
        if (OpenFile(siblingPath, subpath, coding) is not { } sibling)
        {
            return null;
        }

        if (sibling.Status.LastModified >= original.LastModified - SiblingClockSlack)
        {
            return sibling;
        }

        sibling.ReleaseHandle();
        return null;
    }

    /// <summary>
    /// The regular file <paramref name="path"/> names, opened, described as the answer to <paramref name="subpath"/>
    /// in <paramref name="coding"/>: from the open-file cache when it holds <paramref name="path"/> (a reference is
    /// taken on its descriptor), otherwise opened and then offered to the cache; null when it is no readable
    /// regular file.
    /// </summary>
    private SiteFileInfo? OpenFile(string path, string subpath, ContentCoding coding)
    {
        // A sibling's absence is cached as well (most files have no sibling); a path asked for as itself is always
        // looked for again, so a file that appears is served at once.
        bool sibling = coding != ContentCoding.None;
        var root = _siteRoot.Current;
        if (_cache is not null && _cache.TryGet(path, root, out var cached))
        {
            if (cached is not null)
            {
                // The same file can be asked for as itself and as another path's precompressed sibling ("/a.js.gz",
                // and "/a.js" with gzip): the cached description serves only the request it was made for.
                return cached.Coding == coding && cached.Subpath == subpath ? cached : cached.DescribedAs(subpath, coding);
            }

            if (sibling)
            {
                return null;
            }
        }

        // A missing sibling is the common case, not a sign that the root switched: only the file itself looks again.
        if (Open(path, ReadFlags, out var handle, out var status, recheckRoot: !sibling) != PathAccess.File)
        {
            if (sibling)
            {
                _cache?.AddMissing(path, root);
            }

            return null;
        }

        var physicalPath = _root + path;
        if (_cache is not null)
        {
            var shared = new SiteFileInfo(this, subpath, physicalPath, handle, status, coding, sharedHandle: true);
            if (_cache.TryAdd(path, root, shared))
            {
                return shared;
            }
        }

        return new SiteFileInfo(this, subpath, physicalPath, handle, status, coding);
    }

    /// <summary>Lets go of a descriptor: a reference on a cached one, the descriptor itself otherwise.</summary>
    internal static void Release(SafeFileHandle handle, bool shared)
    {
        if (shared)
        {
            handle.DangerousRelease();
        }
        else
        {
            handle.Dispose();
        }
    }

    /// <summary>
    /// Opens <paramref name="subpath"/> confined beneath the root and classifies the opened descriptor. The handle
    /// is returned open only for <see cref="PathAccess.File"/>; everything else is closed here.
    /// </summary>
    private PathAccess Open(string subpath, int flags, out SafeFileHandle? handle, out FileStatus status, bool recheckRoot = true)
    {
        handle = null;
        status = default;
        if (!TryGetRelativePath(subpath, out var relative))
        {
            return PathAccess.NotFound;
        }

        int fd = OpenConfined(relative, flags, recheckRoot, out var errno);
        if (fd < 0)
        {
            ThrowIfUnexpected(errno, subpath);
            return errno is EACCES or EPERM ? PathAccess.Forbidden : PathAccess.NotFound;
        }

        var opened = new SafeFileHandle(fd, ownsHandle: true);
        errno = Stat(opened, out status);
        if (errno != 0)
        {
            opened.Dispose();
            throw new IOException($"statx failed for '{subpath}' (errno {errno}).", errno);
        }

        var access = status.Type switch
        {
            FileType.Regular => PathAccess.File,
            FileType.Directory => PathAccess.Directory,
            _ => PathAccess.NotFound,
        };
        if (access == PathAccess.File)
        {
            handle = opened;
        }
        else
        {
            opened.Dispose();
        }

        return access;
    }

    /// <summary>
    /// Opens <paramref name="relative"/> beneath the site's current root. A failed open looks at the root path once
    /// more when <paramref name="recheckRoot"/> is set and tries again if it switched: what is not found in a
    /// release that was just replaced (and perhaps deleted) may well be in the new one.
    /// </summary>
    private int OpenConfined(string relative, int flags, bool recheckRoot, out int errno)
    {
        while (true)
        {
            var root = _siteRoot.Current;
            int fd;
            try
            {
                fd = root.OpenConfined(relative, flags, _resolve, out errno);
            }
            catch (ObjectDisposedException) when (!ReferenceEquals(root, _siteRoot.Current))
            {
                continue; // the root switched, and its old descriptor was closed, between reading it and opening
            }

            if (fd >= 0 || !recheckRoot || !_siteRoot.Refresh())
            {
                return fd;
            }

            recheckRoot = false;
        }
    }

    /// <summary>The request path relative to the root, or false when it is hidden or malformed (never opened).</summary>
    private bool TryGetRelativePath(string subpath, out string relative)
    {
        if (_hidden.IsHidden(subpath) || subpath.AsSpan().ContainsAny('\0', '\\'))
        {
            relative = string.Empty;
            return false;
        }

        // "." and ".." segments were refused above; empty segments ("a//b") resolve as the kernel resolves them.
        var trimmed = subpath.AsSpan().TrimStart('/');
        relative = trimmed.IsEmpty ? "." : trimmed.Length == subpath.Length ? subpath : trimmed.ToString();
        return true;
    }

    /// <summary>
    /// Errors that say nothing about the path (out of descriptors, memory, I/O errors) must not pass for a missing
    /// file: they surface as an <see cref="IOException"/>, which the site's error middleware answers with 500.
    /// </summary>
    private static void ThrowIfUnexpected(int errno, string subpath)
    {
        if (errno is not (ENOENT or ENOTDIR or EACCES or EPERM or ELOOP or EXDEV or ENAMETOOLONG))
        {
            throw new IOException($"Opening '{subpath}' failed (errno {errno}).", errno);
        }
    }

    private void EnsureOpenAt2()
    {
        int fd = OpenBeneath(_siteRoot.Current.Handle, ".", O_PATH | O_CLOEXEC, _resolve, out var errno);
        if (fd < 0)
        {
            throw errno == ENOSYS
                ? new PlatformNotSupportedException("Serving files race-free needs openat2(2), which this kernel lacks (Linux 5.6 or later is required).")
                : new DirectoryNotFoundException($"The site root '{_root}' cannot be opened (errno {errno}).");
        }

        new SafeFileHandle(fd, ownsHandle: true).Dispose();
    }
}
