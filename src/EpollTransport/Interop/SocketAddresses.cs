using System.Net;
using System.Net.Sockets;

namespace EpollTransport.Interop;

/// <summary>
/// Converts between <see cref="EndPoint"/>s and native <c>sockaddr</c> bytes.
/// </summary>
/// <remarks>
/// On Linux a <see cref="SocketAddress"/> buffer already holds the native <c>sockaddr</c> layout, so
/// <see cref="EndPoint.Serialize"/> and <see cref="EndPoint.Create(SocketAddress)"/> do the encoding and no
/// hand-written structure layouts are needed.
/// </remarks>
internal static class SocketAddresses
{
    /// <summary>Large enough for sockaddr_in, sockaddr_in6 and sockaddr_un.</summary>
    public const int MaxLength = 128;

    private static readonly IPEndPoint s_ipTemplate = new(IPAddress.Any, 0);

    /// <summary>Decodes a native IPv4 or IPv6 <c>sockaddr</c>; <see langword="null"/> for any other family.</summary>
    public static IPEndPoint? ToIPEndPoint(ReadOnlySpan<byte> sockaddr)
    {
        if (sockaddr.Length < 2)
        {
            return null;
        }

        int family = BitConverter.ToUInt16(sockaddr);
        var addressFamily = family switch
        {
            LinuxConstants.AF_INET => AddressFamily.InterNetwork,
            LinuxConstants.AF_INET6 => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (addressFamily == AddressFamily.Unknown)
        {
            return null;
        }

        var socketAddress = new SocketAddress(addressFamily, sockaddr.Length);
        sockaddr.CopyTo(socketAddress.Buffer.Span);
        var endPoint = (IPEndPoint)s_ipTemplate.Create(socketAddress);

        // Dual-mode sockets report IPv4 peers as ::ffff:a.b.c.d; present them as IPv4 like the Sockets transport does.
        return endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
    }

    /// <summary>Reads the local address of a socket (used for port 0 and for each accepted connection).</summary>
    public static unsafe IPEndPoint? GetLocalIPEndPoint(int fd)
    {
        byte* buffer = stackalloc byte[MaxLength];
        int length = MaxLength;
        if (Libc.GetSockName(fd, buffer, &length) != 0)
        {
            return null;
        }

        return ToIPEndPoint(new ReadOnlySpan<byte>(buffer, length));
    }
}
