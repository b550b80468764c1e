using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>Sums the EpollTransport meter's measurements of one host (its own IMeterFactory), so parallel tests do not mix.</summary>
internal sealed class TransportMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();

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
            _totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value);
            foreach (var tag in tags)
            {
                _totals.AddOrUpdate($"{instrument.Name}[{tag.Key}={tag.Value}]", value, (_, total) => total + value);
            }
        });
        _listener.Start();
    }

    public long SendFileBytes => Get("epoll.sendfile.bytes");

    public long WriteBytes => Get("epoll.write.bytes");

    public long Fallbacks(string reason) => Get($"epoll.sendfile.fallbacks[reason={reason}]");

    public long Get(string key) => _totals.TryGetValue(key, out long value) ? value : 0;

    public void Dispose() => _listener.Dispose();
}
