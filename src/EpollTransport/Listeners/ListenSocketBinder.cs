using System.Net;
using System.Net.Sockets;
using EpollTransport.Interop;
using Microsoft.AspNetCore.Connections;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Listeners;

/// <summary>
/// A bound, listening, non-blocking socket and what Kestrel should be told about it. For a Unix socket bound here,
/// the path of its file and the file's identity when it was created, so that only that file is ever removed.
/// </summary>
internal sealed record BoundListenSocket(FileDescriptorHandle Handle, EndPoint EndPoint, bool IsTcp, string? UnixSocketPath, FileIdentity UnixSocketFile = default);

/// <summary>Creates listen sockets for the endpoint kinds Kestrel hands to a transport.</summary>
internal static unsafe class ListenSocketBinder
{
    public static bool CanBind(EndPoint endPoint) =>
        endPoint is IPEndPoint or UnixDomainSocketEndPoint or FileHandleEndPoint;

    public static BoundListenSocket Bind(EndPoint endPoint, int backlog) => endPoint switch
    {
        IPEndPoint ip => BindIP(ip, backlog),
        UnixDomainSocketEndPoint unix => BindUnix(unix, backlog),
        FileHandleEndPoint fileHandle => AdoptFileHandle(fileHandle, backlog),
        _ => throw new NotSupportedException($"The epoll transport cannot bind {endPoint.GetType().Name} '{endPoint}'."),
    };

    private static BoundListenSocket BindIP(IPEndPoint endPoint, int backlog)
    {
        bool isIPv6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        var handle = CreateSocket(isIPv6 ? AF_INET6 : AF_INET);
        try
        {
            int fd = handle.Fd;

            // Lets a restarted server bind while connections of its previous run sit in TIME_WAIT, as .NET sockets do on Linux.
            SocketOptions.SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
            if (isIPv6)
            {
                // [::] is dual-mode (IPv4 clients arrive as ::ffff:a.b.c.d), like Kestrel's Sockets transport;
                // any other IPv6 address listens on IPv6 only.
                int v6Only = endPoint.Address.Equals(IPAddress.IPv6Any) ? 0 : 1;
                SocketOptions.SetInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6Only, "IPV6_V6ONLY");
            }

            BindAndListen(fd, endPoint, backlog);
            var bound = SocketAddresses.GetLocalIPEndPoint(fd) ?? endPoint;
            return new BoundListenSocket(handle, bound, IsTcp: true, UnixSocketPath: null);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static BoundListenSocket BindUnix(UnixDomainSocketEndPoint endPoint, int backlog)
    {
        var handle = CreateSocket(AF_UNIX);
        try
        {
            BindAndListen(handle.Fd, endPoint, backlog);
            string path = endPoint.ToString();

            // Abstract sockets (leading NUL, shown as '@') have no file to remove later.
            string? filePath = path.Length > 0 && path[0] != '@' && path[0] != '\0' ? path : null;
            var identity = default(FileIdentity);
            if (filePath is not null && !FileIdentity.TryGet(filePath, out identity))
            {
                filePath = null; // Already gone (or unreadable): there is nothing this socket could safely remove.
            }

            return new BoundListenSocket(handle, endPoint, IsTcp: false, filePath, identity);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes over an inherited listen socket (systemd socket activation). Like Kestrel's Sockets transport, the
    /// transport owns the descriptor from here on and closes it when the listener is unbound.
    /// </summary>
    private static BoundListenSocket AdoptFileHandle(FileHandleEndPoint endPoint, int backlog)
    {
        if (endPoint.FileHandle > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(endPoint), endPoint.FileHandle, "The file handle is not a valid descriptor number.");
        }

        int fd = (int)endPoint.FileHandle;
        if (Libc.Fcntl(fd, F_GETFD, 0) < 0)
        {
            // Not an open descriptor at all: there is nothing to take over (or to close).
            throw new InvalidOperationException(
                $"File handle {fd} is not an open descriptor: {NativeErrors.ToSocketException(NativeErrors.LastErrno, "fcntl(F_GETFD)").Message}");
        }

        // From here on the descriptor is the transport's, whether it turns out usable or not: one that fails the
        // checks below is closed, not left open for nobody.
        var handle = new FileDescriptorHandle(fd);
        try
        {
            if (!SocketOptions.TryGetInt(fd, SOL_SOCKET, SO_TYPE, out int type))
            {
                throw new InvalidOperationException(
                    $"File handle {fd} is not a socket: {NativeErrors.ToSocketException(NativeErrors.LastErrno, "getsockopt(SO_TYPE)").Message}");
            }

            if (type != SOCK_STREAM)
            {
                throw new InvalidOperationException($"File handle {fd} is not a stream socket (SO_TYPE {type}); Kestrel needs a listening stream socket.");
            }

            SocketOptions.TryGetInt(fd, SOL_SOCKET, SO_DOMAIN, out int domain);
            int flags = Libc.Fcntl(fd, F_GETFL, 0);
            if (flags < 0 || Libc.Fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
            {
                NativeErrors.ThrowLast("fcntl(O_NONBLOCK)");
            }

            // listen(2) on a socket that already listens just updates the backlog.
            if (Libc.Listen(fd, backlog) != 0)
            {
                NativeErrors.ThrowLast("listen");
            }

            bool isTcp = domain is AF_INET or AF_INET6;
            EndPoint bound = isTcp ? SocketAddresses.GetLocalIPEndPoint(fd) ?? (EndPoint)endPoint : endPoint;
            return new BoundListenSocket(handle, bound, isTcp, UnixSocketPath: null);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static FileDescriptorHandle CreateSocket(int family)
    {
        int fd = Libc.Socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            NativeErrors.ThrowLast("socket");
        }

        return new FileDescriptorHandle(fd);
    }

    private static void BindAndListen(int fd, EndPoint endPoint, int backlog)
    {
        var address = endPoint.Serialize();
        int result;
        fixed (byte* sockaddr = address.Buffer.Span)
        {
            result = Libc.Bind(fd, sockaddr, address.Size);
        }

        if (result != 0)
        {
            int errno = NativeErrors.LastErrno;
            var socketException = NativeErrors.ToSocketException(errno, $"bind({endPoint})");
            if (errno == Errno.EADDRINUSE)
            {
                // Kestrel recognises this type (an IOException) and reports the address as taken.
                throw new AddressInUseException(socketException.Message, socketException);
            }

            // Anything else stays a SocketException, which is not an IOException: Kestrel's localhost binding
            // relies on that to carry on with IPv4 when IPv6 is unavailable.
            throw socketException;
        }

        if (Libc.Listen(fd, backlog) != 0)
        {
            NativeErrors.ThrowLast("listen");
        }
    }
}
