using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using StaticHostApp.Interop;

namespace StaticHostApp.Files;

/// <summary>
/// Keeps the descriptors of recently served files open, described as served (<see cref="SiteFileInfo"/>: what statx
/// said, the physical path), for a short validity
/// (nginx's <c>open_file_cache</c>): a hot file then costs one <c>statx</c> per request
/// instead of <c>openat2</c>, <c>statx</c> and <c>close</c>. One cache per site; keyed by the request path (a precompressed sibling has its own key).
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
/// <para>
/// A hit checks, with one statx(2) on the cached descriptor, that the file still has the size, modification time and
/// inode it was described with; a file overwritten in place (<c>cat new &gt; file</c>: same inode, new bytes) is then
/// dropped and opened afresh, so a response never pairs the old length and ETag with the new bytes. A path renamed
/// over (a new inode) is not seen by that check: the cached file, whole and consistent, is served until the validity
/// ends, as nginx does.
/// </para>
/// <para>
/// A check that passed is relied on for the check interval (1 ms by default): a hot file is then checked about a
/// thousand times a second at most, not once per request; that statx is measured at about 7 % of a small response's
/// cost. A change in place made within the interval is seen when it ends; the check and the send are never atomic
/// anyway (a file can change between the two), and a change during the send is what the response writer detects.
/// </para>
/// <para>
/// When full, a miss evicts in O(1): entries wait in insertion order in a queue, and the oldest not used since it
/// was last looked at goes (the "second chance" or CLOCK approximation of least recently used), looking at no more
/// than <see cref="MaxEvictionSteps"/> entries. The number of entries is kept in a counter of its own, never asked
/// of the dictionary.
/// </para>
/// </remarks>
internal sealed class OpenFileCache : IDisposable
{
    private const int MaxEvictionSteps = 8;
    private static readonly TimeSpan MinSweepPeriod = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Entry> _clock = new();
    private readonly long _validityMilliseconds;
    private readonly long _checkIntervalTimestamp;
    private readonly int _capacity;
    private readonly Timer _sweeper;
    private int _count;
    private int _queued;
    private bool _disposed;

    /// <summary>
    /// Creates a cache of at most <paramref name="capacity"/> files, each served for <paramref name="validity"/>, and
    /// checked to be unchanged in place on a hit whose last passing check is older than <paramref name="checkInterval"/>
    /// (zero: on every hit).
    /// </summary>
    public OpenFileCache(TimeSpan validity, int capacity, TimeSpan checkInterval)
    {
        _validityMilliseconds = (long)validity.TotalMilliseconds;
        _checkIntervalTimestamp = (long)(checkInterval.TotalSeconds * Stopwatch.Frequency);
        _capacity = capacity;
        var period = validity < MinSweepPeriod ? MinSweepPeriod : validity;
        _sweeper = new Timer(static cache => ((OpenFileCache)cache!).Sweep(), this, period, period);
    }

    /// <summary>How many entries the cache holds now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// What the cache knows about <paramref name="path"/> beneath <paramref name="root"/>, or false when it knows
    /// nothing still valid. True with a file: the cached file, with a reference on its descriptor taken for the caller
    /// (who must release it), checked to be unchanged; the description is shared by every request that gets it, so a
    /// hit allocates nothing. True with null: the path was found to name no servable file (see <see cref="AddMissing"/>).
    /// </summary>
    public bool TryGet(string path, RootDirectory root, out SiteFileInfo? file)
    {
        if (_entries.TryGetValue(path, out var entry))
        {
            // An entry opened beneath another root (a release the site's root path no longer names) is a miss.
            if (Environment.TickCount64 < entry.Expires && ReferenceEquals(entry.Root, root))
            {
                if (entry.File is null)
                {
                    entry.MarkUsed();
                    file = null;
                    return true;
                }

                var handle = entry.File.Handle!;
                if (TryAddReference(handle))
                {
                    if (IsUnchanged(entry, handle))
                    {
                        entry.MarkUsed();
                        file = entry.File;
                        return true;
                    }

                    handle.DangerousRelease();
                }
            }

            Remove(entry);
        }

        file = null;
        return false;
    }

    /// <summary>
    /// Takes ownership of a freshly opened file's descriptor (<paramref name="file"/> describes it, with
    /// <see cref="SiteFileInfo.SharedHandle"/> set) and takes a reference on it for the caller; false, with nothing
    /// taken, when no room could be made (the caller keeps owning the descriptor then).
    /// </summary>
    public bool TryAdd(string path, RootDirectory root, SiteFileInfo file)
    {
        var handle = file.Handle ?? throw new ArgumentException("Only an opened file can be cached.", nameof(file));
        if (!MakeRoom())
        {
            return false;
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        Store(new Entry(path, file, root, Environment.TickCount64 + _validityMilliseconds, Stopwatch.GetTimestamp()));
        return true;
    }

    /// <summary>
    /// Remembers for the validity that <paramref name="path"/> names no servable file, when there is room. Used for
    /// precompressed siblings only: most files have none, and without this every request that accepts a coding
    /// would look for them again.
    /// </summary>
    public void AddMissing(string path, RootDirectory root)
    {
        if (MakeRoom())
        {
            Store(new Entry(path, null, root, Environment.TickCount64 + _validityMilliseconds, Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>
    /// Forgets every entry and closes its descriptor (once its last request has released it): what the site's root
    /// named has changed.
    /// </summary>
    public void Clear()
    {
        foreach (var (_, entry) in _entries)
        {
            Remove(entry);
        }
    }

    /// <summary>Closes every cached descriptor (each one once its last request has released it).</summary>
    public void Dispose()
    {
        _sweeper.Dispose();
        Volatile.Write(ref _disposed, true);
        Clear();
    }

    /// <summary>
    /// Does the descriptor still describe the file as cached? Known when a check passed within the check interval;
    /// otherwise asked of one statx(2).
    /// </summary>
    private bool IsUnchanged(Entry entry, SafeFileHandle handle)
    {
        long now = Stopwatch.GetTimestamp();
        if (now - entry.CheckedAt < _checkIntervalTimestamp)
        {
            return true;
        }

        var was = entry.File!.Status;
        bool unchanged = FileCalls.Stat(handle, out var status) == 0
            && status.Length == was.Length
            && status.LastModified == was.LastModified
            && status.Inode == was.Inode;
        if (unchanged)
        {
            entry.CheckedAt = now;
        }

        return unchanged;
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

    /// <summary>
    /// Makes room for one entry when the cache is full, looking at no more than <see cref="MaxEvictionSteps"/> queued
    /// entries: ones already gone are dropped from the queue, a used one gets a second chance, and the first unused
    /// (or expired) one is evicted.
    /// </summary>
    private bool MakeRoom()
    {
        long now = Environment.TickCount64;
        for (var step = 0; step < MaxEvictionSteps && Volatile.Read(ref _count) >= _capacity; step++)
        {
            if (!TakeQueued(out var candidate))
            {
                break;
            }

            if (!IsCurrent(candidate))
            {
                continue;
            }

            if (candidate.TakeUsed() && now < candidate.Expires)
            {
                Queue(candidate);
                continue;
            }

            Remove(candidate);
        }

        return Volatile.Read(ref _count) < _capacity;
    }

    private void Store(Entry entry)
    {
        while (true)
        {
            if (_entries.TryGetValue(entry.Key, out var previous))
            {
                if (_entries.TryUpdate(entry.Key, entry, previous))
                {
                    previous.File?.Handle!.Dispose();
                    break;
                }
            }
            else if (_entries.TryAdd(entry.Key, entry))
            {
                Interlocked.Increment(ref _count);
                break;
            }
        }

        Queue(entry);

        // Replaced entries stay queued until eviction reaches them; when they pile up (a cache far from full whose
        // entries expire and come back), a few are let go here, so the queue stays within a bound of the capacity.
        if (Volatile.Read(ref _queued) > (2 * _capacity) + MaxEvictionSteps)
        {
            for (var step = 0; step < MaxEvictionSteps && TakeQueued(out var queued); step++)
            {
                if (IsCurrent(queued))
                {
                    Queue(queued);
                }
            }
        }

        // A cache disposed meanwhile (a reload swapped the site out) must not keep what was just added.
        if (Volatile.Read(ref _disposed))
        {
            Remove(entry);
        }
    }

    /// <summary>Removes expired entries and lets go of queued entries that are gone; runs on a timer.</summary>
    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (var (_, entry) in _entries)
        {
            if (now >= entry.Expires)
            {
                Remove(entry);
            }
        }

        for (var pending = Volatile.Read(ref _queued); pending > 0 && TakeQueued(out var queued); pending--)
        {
            if (IsCurrent(queued))
            {
                Queue(queued);
            }
        }
    }

    private bool IsCurrent(Entry entry) => _entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry);

    private void Queue(Entry entry)
    {
        _clock.Enqueue(entry);
        Interlocked.Increment(ref _queued);
    }

    private bool TakeQueued(out Entry entry)
    {
        if (_clock.TryDequeue(out entry!))
        {
            Interlocked.Decrement(ref _queued);
            return true;
        }

        return false;
    }

    private void Remove(Entry entry)
    {
        if (_entries.TryRemove(KeyValuePair.Create(entry.Key, entry)))
        {
            Interlocked.Decrement(ref _count);
            entry.File?.Handle!.Dispose();
        }
    }

    /// <summary>
    /// A cached file, or (<see cref="File"/> null) a path known to name none, opened beneath <see cref="Root"/>, until
    /// <see cref="Expires"/>; with the "used since last looked at" mark of the eviction's second chance, and when the
    /// file was last found unchanged.
    /// </summary>
    private sealed class Entry(string key, SiteFileInfo? file, RootDirectory root, long expires, long checkedAt)
    {
        private int _used;
        private long _checkedAt = checkedAt;

        public string Key => key;

        public SiteFileInfo? File => file;

        public RootDirectory Root => root;

        public long Expires => expires;

        /// <summary>
        /// The <see cref="Stopwatch"/> timestamp of the last check that found the file unchanged (at first, when it was
        /// described). Requests racing to set it write about the same time; any of them is right.
        /// </summary>
        public long CheckedAt
        {
            get => Volatile.Read(ref _checkedAt);
            set => Volatile.Write(ref _checkedAt, value);
        }

        /// <summary>Marks the entry used; a plain read first, so a hot entry's cache line is not written on every hit.</summary>
        public void MarkUsed()
        {
            if (Volatile.Read(ref _used) == 0)
            {
                Volatile.Write(ref _used, 1);
            }
        }

        public bool TakeUsed() => Interlocked.Exchange(ref _used, 0) == 1;
    }
}
