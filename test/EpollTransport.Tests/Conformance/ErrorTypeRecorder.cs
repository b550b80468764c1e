using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace EpollTransport.Tests.Conformance;

/// <summary>
/// Records the <c>error.type</c> tags of one host's request and connection duration metrics (Hosting's and
/// Kestrel's), which dashboards count as failures.
/// </summary>
internal sealed class ErrorTypeRecorder : IDisposable
{
    private static readonly HashSet<string> s_instruments = ["http.server.request.duration", "kestrel.connection.duration"];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private int _measurements;

    public ErrorTypeRecorder(IServiceProvider services)
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (s_instruments.Contains(instrument.Name) && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            Interlocked.Increment(ref _measurements);
            foreach (var tag in tags)
            {
                if (tag.Key == "error.type")
                {
                    _errors.Enqueue($"{instrument.Name}: {tag.Value}");
                }
            }
        });
        _listener.Start();
    }

    public IReadOnlyList<string> Errors => _errors.ToList();

    public int Measurements => Volatile.Read(ref _measurements);

    public void Dispose() => _listener.Dispose();
}
