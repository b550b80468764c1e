using static StaticHostApp.Interop.FileCalls;

namespace StaticHostApp.Files;

/// <summary>
/// A site's root as a path that may be switched, the way atomic deploys do it (<c>current -&gt; releases/v2</c>,
/// swapped with a rename): the directory files are opened beneath (<see cref="Current"/>) follows what the configured
/// path names, as nginx's <c>root</c> does, instead of the directory it named at start-up.
/// </summary>
/// <remarks>
/// <para>
/// Resolving the path for every request would cost a path walk per request, also on the open-file cache's hit path.
/// Instead <see cref="Current"/> looks at the path (one statx(2), following links) at most once every
/// <see cref="CheckInterval"/>, and compares the directory it names with the one held, by device and inode. A
/// switch is therefore served within <see cref="CheckInterval"/>, and at once by a request that would otherwise
/// fail: the provider calls <see cref="Refresh"/> before answering "not found", so deleting the old release right
/// after the switch never turns into 404s.
/// </para>
/// <para>
/// On a switch the new directory is opened and becomes current, and the old descriptor is closed at once (so a
/// deleted release frees its space and no longer shows in <c>/proc/PID/fd</c>); a request that read the old
/// directory just before sees <see cref="ObjectDisposedException"/> when it opens beneath it and starts over on the
/// new one. Confinement is unchanged: every file is still opened with openat2(2) beneath the descriptor, only the
/// descriptor changes.
/// </para>
/// </remarks>
internal sealed class SiteRoot : IDisposable
{
    /// <summary>The longest a switched root path goes unnoticed by requests that find their files.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);

    private static readonly long CheckIntervalMilliseconds = (long)CheckInterval.TotalMilliseconds;

    private readonly string _path;
    private readonly Lock _gate = new();
    private RootDirectory _current;
    private long _nextCheck;
    private bool _disposed;

    /// <summary>Opens the directory <paramref name="path"/> names now.</summary>
    /// <exception cref="DirectoryNotFoundException">The path cannot be resolved or opened.</exception>
    public SiteRoot(string path)
    {
        _path = path;
        _current = RootDirectory.Open(path);
        _nextCheck = Environment.TickCount64 + CheckIntervalMilliseconds;
    }

    /// <summary>Raised (under the root's lock) after the root switched to another directory.</summary>
    public event Action? Switched;

    /// <summary>
    /// The directory to open files beneath; looks at the path first when <see cref="CheckInterval"/> has passed
    /// since the last look (a clock read otherwise).
    /// </summary>
    public RootDirectory Current
    {
        get
        {
            long now = Environment.TickCount64;
            long due = Volatile.Read(ref _nextCheck);
            if (now >= due && Interlocked.CompareExchange(ref _nextCheck, now + CheckIntervalMilliseconds, due) == due)
            {
                // One request per interval pays for the look; the others go on with the directory they have.
                Refresh();
            }

            return Volatile.Read(ref _current);
        }
    }

    /// <summary>
    /// Looks at the path now and switches to the directory it names if that is another one. A path that no longer
    /// names a directory keeps the last one serving (a deploy between two renames, say).
    /// </summary>
    /// <returns><see langword="true"/> when the root switched.</returns>
    public bool Refresh()
    {
        if (StatPath(_path, out var named) != 0 || named.Type != FileType.Directory || Volatile.Read(ref _current).Is(named))
        {
            return false;
        }

        lock (_gate)
        {
            if (_disposed || _current.Is(named))
            {
                return false;
            }

            RootDirectory next;
            try
            {
                next = RootDirectory.Open(_path);
            }
            catch (DirectoryNotFoundException)
            {
                return false; // switched again meanwhile, to nothing openable: the next look decides
            }

            var previous = _current;
            Volatile.Write(ref _current, next);
            previous.Handle.Dispose();
            Switched?.Invoke();
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _current.Handle.Dispose();
        }
    }
}
