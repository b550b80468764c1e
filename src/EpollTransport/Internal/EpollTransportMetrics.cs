using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EpollTransport.Internal;

/// <summary>The transport's instruments, on the meter named <c>EpollTransport</c>.</summary>
internal sealed class EpollTransportMetrics
{
    public const string MeterName = "EpollTransport";

    private readonly Counter<long> _sendFileBytes;
    private readonly Counter<long> _writeBytes;
    private readonly Counter<long> _sendFileFallbacks;

    public EpollTransportMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _sendFileBytes = meter.CreateCounter<long>("epoll.sendfile.bytes", "By", "Response bytes sent with sendfile(2), straight from files.");
        _writeBytes = meter.CreateCounter<long>("epoll.write.bytes", "By", "Bytes sent from the connections' output pipes (send/sendmsg).");
        _sendFileFallbacks = meter.CreateCounter<long>("epoll.sendfile.fallbacks", "{response}", "SendFileAsync calls that copied the file instead, by reason.");
    }

    public void SentFromFile(long bytes) => _sendFileBytes.Add(bytes);

    public void SentFromPipe(long bytes) => _writeBytes.Add(bytes);

    public void SendFileFellBack(string reason) => _sendFileFallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
