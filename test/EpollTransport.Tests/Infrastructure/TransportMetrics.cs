using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>Sums the EpollTransport meter's measurements of one host (its own IMeterFactory), so parallel tests do not mix.</summary>
internal sealed class TransportMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();
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
                _totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value);
                foreach (var tag in tags)
                {
                    _totals.AddOrUpdate($"{instrument.Name}[{tag.Key}={tag.Value}]", value, (_, total) => total + value);
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

    public long SendFileBytes => Get("epoll.sendfile.bytes");

    public long WriteBytes => Get("epoll.write.bytes");

    public long Fallbacks(string reason) => Get($"epoll.sendfile.fallbacks[reason={reason}]");

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

    public Task WaitForSendFileBytesAsync(long value) => WaitForAsync("epoll.sendfile.bytes", value);

    public long Get(string key) => _totals.TryGetValue(key, out long value) ? value : 0;

    public void Dispose() => _listener.Dispose();
}
