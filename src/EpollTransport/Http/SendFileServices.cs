namespace EpollTransport.Http;

/// <summary>What every file response of the HTTP integration shares: the options, its metrics and the data-rate heartbeat.</summary>
internal sealed class SendFileServices(EpollTransportOptions options, SendFileMetrics metrics, FileBodyDataRate dataRate)
{
    public EpollTransportOptions Options { get; } = options;

    public SendFileMetrics Metrics { get; } = metrics;

    public FileBodyDataRate DataRate { get; } = dataRate;
}
