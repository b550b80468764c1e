using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>Sums the EpollTransport meter's measurements of one host (its own IMeterFactory), so parallel tests do not mix.</summary>
internal sealed class TransportMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();
    private readonly Dictionary<string, long> _observed = [];
    private readonly Lock _gate = new();
    private readonly List<(string Key, long Value, TaskCompletionSource Signal)> _waiters = [];

    public TransportMetrics(IServiceProvider services)
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "EpollTransport" && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (_gate)
            {
                if (instrument.IsObservable)
                {
                    // Observable instruments report their current value on each collection: keep the latest.
                    _observed[FullKey(instrument.Name, tags)] = value;
                    return;
                }

                _totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value);
                foreach (var tag in tags)
                {
                    _totals.AddOrUpdate($"{instrument.Name}[{tag.Key}={tag.Value}]", value, (_, total) => total + value);
                }

                if (tags.Length > 1)
                {
                    _totals.AddOrUpdate(FullKey(instrument.Name, tags), value, (_, total) => total + value);
                }

                for (int i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (Get(_waiters[i].Key) >= _waiters[i].Value)
                    {
                        _waiters[i].Signal.TrySetResult();
                        _waiters.RemoveAt(i);
                    }
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Key of the bytes sent with sendfile(2).</summary>
    public const string SendFileBytesKey = "epoll.io[epoll.io.path=sendfile,network.io.direction=transmit]";

    /// <summary>Key of the bytes sent from the output pipe.</summary>
    public const string WriteBytesKey = "epoll.io[epoll.io.path=pipe,network.io.direction=transmit]";

    /// <summary>Key of the bytes received into the input pipe.</summary>
    public const string ReceivedBytesKey = "epoll.io[epoll.io.path=pipe,network.io.direction=receive]";

    public long SendFileBytes => Get(SendFileBytesKey);

    public long WriteBytes => Get(WriteBytesKey);

    public long Fallbacks(string reason) => Get($"epoll.sendfile.fallbacks[epoll.sendfile.fallback.reason={reason}]");

    /// <summary>
    /// Completes when the total for <paramref name="key"/> reaches <paramref name="value"/>. The transport counts
    /// bytes right after the system call that sent them, so a client can have read them a moment before.
    /// </summary>
    public Task WaitForAsync(string key, long value)
    {
        lock (_gate)
        {
            if (Get(key) >= value)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((key, value, signal));
            return signal.Task.WaitAsync(TestTimeouts.Operation);
        }
    }

    public Task WaitForSendFileBytesAsync(long value) => WaitForAsync(SendFileBytesKey, value);

    public Task WaitForWriteBytesAsync(long value) => WaitForAsync(WriteBytesKey, value);

    /// <summary>
    /// Collects the observable instruments (active connections, loop turns and wake-ups) now and returns the
    /// values reported for <paramref name="instrument"/>, keyed by <c>name[tag=value,...]</c>.
    /// </summary>
    public IReadOnlyDictionary<string, long> Observe(string instrument)
    {
        _listener.RecordObservableInstruments();
        lock (_gate)
        {
            return _observed.Where(entry => entry.Key == instrument || entry.Key.StartsWith(instrument + "[", StringComparison.Ordinal))
                .ToDictionary(entry => entry.Key, entry => entry.Value);
        }
    }

    /// <summary>The sum of an observable instrument's current values over all its attribute sets.</summary>
    public long ObserveTotal(string instrument) => Observe(instrument).Values.Sum();

    public long Get(string key) => _totals.TryGetValue(key, out long value) ? value : 0;

    public void Dispose() => _listener.Dispose();

    private static string FullKey(string name, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return $"{name}[{string.Join(',', sorted.Select(tag => $"{tag.Key}={tag.Value}"))}]";
    }
}
