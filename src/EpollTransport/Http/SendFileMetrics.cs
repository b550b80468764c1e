using System.Diagnostics.Metrics;
using EpollTransport.Metrics;

namespace EpollTransport.Http;

/// <summary>The HTTP integration's instrument on the transport's meter: why a file body was copied instead of sent as a file region.</summary>
internal sealed class SendFileMetrics
{
    private readonly Counter<long> _fallbacks;

    public SendFileMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(EpollTransportMetrics.MeterName) ?? new Meter(EpollTransportMetrics.MeterName);
        _fallbacks = meter.CreateCounter<long>(
            "epoll.sendfile.fallbacks", "{response}",
            "SendFileAsync calls that copied the file instead of using sendfile(2), by epoll.sendfile.fallback.reason.");
    }

    public void FellBack(string reason)
    {
        if (_fallbacks.Enabled)
        {
            _fallbacks.Add(1, new KeyValuePair<string, object?>("epoll.sendfile.fallback.reason", reason));
        }
    }
}
