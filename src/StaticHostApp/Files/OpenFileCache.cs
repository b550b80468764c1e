using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Files;

/// <summary>
/// Keeps the descriptors of recently served files open, described as served (<see cref="SiteFileInfo"/>: what statx
/// said, the physical path), for a short validity
/// (nginx's <c>open_file_cache</c>): a hot file then costs no <c>openat2</c>, <c>statx</c> or <c>close</c> per
/// request. One cache per site; keyed by the request path (a precompressed sibling has its own key).
/// </summary>
/// <remarks>
/// <para>
/// Every entry was opened and checked like any file (confined beneath the root, on its descriptor), so what it
/// serves is always a file that passed the checks. What the validity trades is freshness: for up to that long after
/// a path changes (replaced, deleted, made unreadable, swapped for a link) requests may still get the file it named
/// when it was opened. Only regular files that opened successfully are cached, so a file that appears is seen at
/// once; the one exception is a precompressed sibling's absence, remembered too: a sibling that appears is used
/// within the validity, and until then the original is served, a correct answer all the same.
/// </para>
/// <para>
/// The cache owns each descriptor; a request that uses one holds a reference (<see cref="System.Runtime.InteropServices.SafeHandle.DangerousAddRef"/>)
/// until it ends, so an entry that expires or is replaced meanwhile is closed only when its last request is done.
/// Expired entries are also closed by a sweep about once a validity, so a file nobody asks for again does not keep
/// its descriptor (nor, once deleted, its disk space) until the cache happens to fill up.
/// </para>
/// </remarks>
internal sealed class OpenFileCache : IDisposable
{
    private static readonly TimeSpan MinSweepPeriod = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly long _validityMilliseconds;
    private readonly int _capacity;
    private readonly Timer _sweeper;
    private bool _disposed;

    /// <summary>Creates a cache of at most <paramref name="capacity"/> files, each served for <paramref name="validity"/>.</summary>
    public OpenFileCache(TimeSpan validity, int capacity)
    {
        _validityMilliseconds = (long)validity.TotalMilliseconds;
        _capacity = capacity;
        var period = validity < MinSweepPeriod ? MinSweepPeriod : validity;
        _sweeper = new Timer(static cache => ((OpenFileCache)cache!).SweepExpired(), this, period, period);
    }

    /// <summary>
    /// What the cache knows about <paramref name="path"/>, or false when it knows nothing still valid. True with a
    /// file: the cached file, with a reference on its descriptor taken for the caller (who must release it); the
    /// description is shared by every request that gets it, so a hit allocates nothing. True with null: the path was
    /// found to name no servable file (see <see cref="AddMissing"/>).
    /// </summary>
    public bool TryGet(string path, RootDirectory root, out SiteFileInfo? file)
    {
        if (_entries.TryGetValue(path, out var entry))
        {
            // An entry opened beneath another root (a release the site's root path no longer names) is a miss.
            if (Environment.TickCount64 < entry.Expires && ReferenceEquals(entry.Root, root) && (entry.File is null || TryAddReference(entry.File.Handle!)))
            {
                file = entry.File;
                return true;
            }

            Remove(path, entry);
        }

        file = null;
        return false;
    }

    /// <summary>
    /// Takes ownership of a freshly opened file's descriptor (<paramref name="file"/> describes it, with
    /// <see cref="SiteFileInfo.SharedHandle"/> set) and takes a reference on it for the caller; false, with nothing
    /// taken, when the cache is full of valid entries (the caller keeps owning the descriptor then).
    /// </summary>
    public bool TryAdd(string path, RootDirectory root, SiteFileInfo file)
    {
        var handle = file.Handle ?? throw new ArgumentException("Only an opened file can be cached.", nameof(file));
        if (!HasRoom())
        {
            return false;
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        Store(path, new Entry(file, root, Environment.TickCount64 + _validityMilliseconds));
        return true;
    }

    /// <summary>
    /// Remembers for the validity that <paramref name="path"/> names no servable file, when there is room. Used for
    /// precompressed siblings only: most files have none, and without this every request that accepts a coding
    /// would look for them again.
    /// </summary>
    public void AddMissing(string path, RootDirectory root)
    {
        if (HasRoom())
        {
            Store(path, new Entry(null, root, Environment.TickCount64 + _validityMilliseconds));
        }
    }

    /// <summary>
    /// Forgets every entry and closes its descriptor (once its last request has released it): what the site's root
    /// named has changed.
    /// </summary>
    public void Clear()
    {
        foreach (var (path, entry) in _entries)
        {
            Remove(path, entry);
        }
    }

    /// <summary>Closes every cached descriptor (each one once its last request has released it).</summary>
    public void Dispose()
    {
        _sweeper.Dispose();
        Volatile.Write(ref _disposed, true);
        Clear();
    }

    private static bool TryAddReference(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            // Closed by an eviction between the look-up and now: a miss.
        }

        return added;
    }

    private bool HasRoom() => _entries.Count < _capacity || SweepExpired();

    private void Store(string path, Entry entry)
    {
        while (true)
        {
            if (_entries.TryGetValue(path, out var previous))
            {
                if (_entries.TryUpdate(path, entry, previous))
                {
                    previous.File?.Handle!.Dispose();
                    break;
                }
            }
            else if (_entries.TryAdd(path, entry))
            {
                break;
            }
        }

        // A cache disposed meanwhile (a reload swapped the site out) must not keep what was just added.
        if (Volatile.Read(ref _disposed))
        {
            Remove(path, entry);
        }
    }

    /// <summary>Removes expired entries; true when that made room.</summary>
    private bool SweepExpired()
    {
        long now = Environment.TickCount64;
        foreach (var (path, entry) in _entries)
        {
            if (now >= entry.Expires)
            {
                Remove(path, entry);
            }
        }

        return _entries.Count < _capacity;
    }

    private void Remove(string path, Entry entry)
    {
        if (_entries.TryRemove(KeyValuePair.Create(path, entry)))
        {
            entry.File?.Handle!.Dispose();
        }
    }

    /// <summary>A cached file, or (<see cref="File"/> null) a path known to name none, until <see cref="Expires"/>.</summary>
    private sealed record Entry(SiteFileInfo? File, RootDirectory Root, long Expires);
}
