using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EpollTransport.Interop;

namespace EpollTransport.Metrics;

/// <summary>
/// The accept-side instruments of one listen socket. The endpoint attributes are the ones Kestrel puts on its
/// connection instruments (<c>server.address</c>, <c>server.port</c>, <c>network.transport</c>, <c>network.type</c>),
/// computed once per listener so an accept only copies them.
/// </summary>
internal sealed class EpollListenerMetrics
{
    private readonly EpollTransportMetrics _metrics;
    private readonly TagList _endpointTags;

    public EpollListenerMetrics(EpollTransportMetrics metrics, EndPoint endPoint)
    {
        _metrics = metrics;
        _endpointTags = EndpointTags(endPoint);
    }

    public void Accepted()
    {
        if (_metrics.AcceptedConnections.Enabled)
        {
            _metrics.AcceptedConnections.Add(1, _endpointTags);
        }
    }

    /// <summary>accept4 failed with <paramref name="errno"/>. EAGAIN (nothing left to accept) and EINTR are not errors.</summary>
    public void AcceptFailed(int errno)
    {
        if (errno is Errno.EAGAIN or Errno.EINTR || !_metrics.AcceptErrors.Enabled)
        {
            return;
        }

        var tags = _endpointTags;
        tags.Add("error.type", ErrnoName(errno));
        _metrics.AcceptErrors.Add(1, tags);
    }

    private static TagList EndpointTags(EndPoint endPoint)
    {
        var tags = new TagList();
        switch (endPoint)
        {
            case IPEndPoint ip:
                tags.Add("network.transport", "tcp");
                tags.Add("network.type", ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4");
                tags.Add("server.address", ip.Address.ToString());
                tags.Add("server.port", ip.Port);
                break;
            case UnixDomainSocketEndPoint unix:
                tags.Add("network.transport", "unix");
                tags.Add("server.address", unix.ToString());
                break;
            default:
                tags.Add("server.address", endPoint.ToString());
                break;
        }

        return tags;
    }

    /// <summary>The errno's symbolic name, as <c>error.type</c> wants a low-cardinality, documented value.</summary>
    private static string ErrnoName(int errno) => errno switch
    {
        Errno.EMFILE => "EMFILE",
        Errno.ENFILE => "ENFILE",
        Errno.ENOBUFS => "ENOBUFS",
        Errno.ENOMEM => "ENOMEM",
        Errno.ECONNABORTED => "ECONNABORTED",
        Errno.EPROTO => "EPROTO",
        Errno.EPERM => "EPERM",
        Errno.ENETDOWN => "ENETDOWN",
        Errno.ENETUNREACH => "ENETUNREACH",
        Errno.EHOSTUNREACH => "EHOSTUNREACH",
        Errno.ETIMEDOUT => "ETIMEDOUT",
        Errno.EBADF => "EBADF",
        Errno.EINVAL => "EINVAL",
        Errno.ENOTSOCK => "ENOTSOCK",
        _ => "_OTHER",
    };
}
