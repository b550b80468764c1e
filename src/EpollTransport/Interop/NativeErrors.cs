using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EpollTransport.Interop;

/// <summary>Turns errno values into the exceptions Kestrel and its users expect from a socket transport.</summary>
internal static class NativeErrors
{
    /// <summary>The errno of the last failed P/Invoke on this thread.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>A <see cref="SocketException"/> whose <see cref="SocketException.SocketErrorCode"/> matches the errno.</summary>
    public static SocketException ToSocketException(int errno, string operation) =>
        new((int)ToSocketError(errno), $"{operation} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    /// <summary>Throws a <see cref="SocketException"/> for the last error of <paramref name="operation"/>.</summary>
    public static void ThrowLast(string operation) => throw ToSocketException(LastErrno, operation);

    public static SocketError ToSocketError(int errno) => errno switch
    {
        Errno.EADDRINUSE => SocketError.AddressAlreadyInUse,
        Errno.EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        Errno.EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
        Errno.EACCES or Errno.EPERM => SocketError.AccessDenied,
        Errno.EAGAIN => SocketError.WouldBlock,
        Errno.EINTR => SocketError.Interrupted,
        Errno.EINVAL => SocketError.InvalidArgument,
        Errno.EMFILE or Errno.ENFILE => SocketError.TooManyOpenSockets,
        Errno.ENOBUFS or Errno.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Errno.ENOTSOCK or Errno.EBADF => SocketError.NotSocket,
        Errno.ECONNRESET => SocketError.ConnectionReset,
        Errno.ECONNABORTED => SocketError.ConnectionAborted,
        Errno.EPIPE => SocketError.Shutdown,
        Errno.ENOTCONN => SocketError.NotConnected,
        Errno.ETIMEDOUT => SocketError.TimedOut,
        Errno.ENETDOWN => SocketError.NetworkDown,
        Errno.ENETUNREACH => SocketError.NetworkUnreachable,
        Errno.EHOSTUNREACH => SocketError.HostUnreachable,
        _ => SocketError.SocketError,
    };
}
