using System.Threading.Channels;

namespace StaticHostApp.Logging;

/// <summary>
/// The bounded hand-over between requests and the access log's writer. Enqueuing never waits: when the writer
/// falls behind (a stalled disk) and the queue is full, the line is dropped and counted, so a slow log can never
/// slow down or block requests. The writer reports the count.
/// </summary>
internal sealed class AccessLogQueue
{
    private readonly Channel<AccessLogEntry> _channel;
    private long _dropped;

    /// <summary>Creates a queue holding at most <paramref name="capacity"/> lines.</summary>
    public AccessLogQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);

        // FullMode.Wait makes TryWrite return false on a full queue instead of silently dropping something.
        _channel = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Lines dropped so far because the queue was full or already closed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The writer's end.</summary>
    public ChannelReader<AccessLogEntry> Reader => _channel.Reader;

    /// <summary>Queues a line without waiting; counts it as dropped when there is no room.</summary>
    public bool TryEnqueue(in AccessLogEntry entry)
    {
        if (_channel.Writer.TryWrite(entry))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Accepts no more lines; the writer drains what is queued and stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
