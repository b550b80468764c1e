// Opt-in part of the probe (BENCH_ALLOCATION_SOURCES_FILE): between two SIGUSR2 signals it tallies what was allocated
// by type (the runtime's GCAllocationTick samples, one about every 100 KB) and what ArrayPool<T>.Shared allocated or
// dropped (ArrayPoolEventSource: BufferAllocated with its reason, BufferDropped), by buffer size. That tells a pool
// that runs dry under load (allocated because exhausted, dropped because full) from allocations of the code itself.
// On the second signal it writes the tally, largest first, to the file. The events are enabled only between the two
// signals, since listening costs CPU: what is measured outside that window is not disturbed.
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

internal sealed class AllocationSources : EventListener
{
    private readonly string _path;
    private readonly ConcurrentDictionary<string, long> _tally = new();
    private readonly ConcurrentBag<EventSource> _sources = [];
    private volatile bool _counting;
    private long _allocatedAtStart;

    // Formatting a tally key may itself rent from ArrayPool<char>.Shared, whose events would come back here.
    [ThreadStatic]
    private static bool t_inHandler;

    public AllocationSources(string path) => _path = path;

    /// <summary>The first call starts a tally, the second writes it (and the next starts again).</summary>
    public void Toggle()
    {
        if (!_counting)
        {
            _tally.Clear();
            _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
            _counting = true;
            foreach (var source in _sources)
            {
                Listen(source);
            }

            return;
        }

        _counting = false;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart;
        foreach (var source in _sources)
        {
            DisableEvents(source);
        }

        var lines = _tally.OrderByDescending(entry => entry.Value)
            .Select(entry => string.Create(CultureInfo.InvariantCulture, $"{entry.Value}\t{entry.Key}"))
            .Prepend(string.Create(CultureInfo.InvariantCulture, $"{allocated}\tbytes allocated in all"));
        File.WriteAllLines(_path + ".tmp", lines);
        File.Move(_path + ".tmp", _path, overwrite: true);
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        // Also called from the base constructor, for sources that already exist; field initializers have run by then.
        if (source.Name is "Microsoft-Windows-DotNETRuntime" or "System.Buffers.ArrayPoolEventSource")
        {
            _sources.Add(source);
            if (_counting)
            {
                Listen(source);
            }
        }
    }

    private void Listen(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            // The GC keyword at Verbose level carries GCAllocationTick.
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
        else
        {
            // Informational: allocated, dropped and trimmed buffers, not every rent and return.
            EnableEvents(source, EventLevel.Informational);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_counting || t_inHandler || e.Payload is null || e.PayloadNames is null)
        {
            return;
        }

        t_inHandler = true;
        try
        {
            if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true)
            {
                int type = e.PayloadNames.IndexOf("TypeName");
                int amount = e.PayloadNames.IndexOf("AllocationAmount64");
                if (type >= 0 && amount >= 0)
                {
                    long bytes = Convert.ToInt64(e.Payload[amount], CultureInfo.InvariantCulture);
                    _tally.AddOrUpdate("bytes sampled as " + e.Payload[type], bytes, (_, sum) => sum + bytes);
                }
            }
            else if (e.EventName is "BufferAllocated" or "BufferDropped")
            {
                int size = e.PayloadNames.IndexOf("bufferSize");
                int reason = e.PayloadNames.IndexOf("reason");
                string key = string.Create(CultureInfo.InvariantCulture,
                    $"ArrayPool {e.EventName} of {e.Payload[size]} B{(reason >= 0 ? " because " + ReasonName(e.EventName, e.Payload[reason]) : "")}");
                _tally.AddOrUpdate(key, 1, (_, count) => count + 1);
            }
        }
        finally
        {
            t_inHandler = false;
        }
    }

    // ArrayPoolEventSource's reasons, by number: BufferAllocatedReason (Pooled, OverMaximumSize, PoolExhausted) and
    // BufferDroppedReason (Full, OverMaximumSize).
    private static string ReasonName(string eventName, object? reason) =>
        (eventName, Convert.ToInt32(reason, CultureInfo.InvariantCulture)) switch
        {
            ("BufferAllocated", 0) => "pooled",
            ("BufferAllocated", 1) => "over the largest pooled size",
            ("BufferAllocated", 2) => "the pool was exhausted",
            ("BufferDropped", 0) => "the pool was full",
            ("BufferDropped", 1) => "over the largest pooled size",
            (_, int other) => other.ToString(CultureInfo.InvariantCulture),
        };
}
