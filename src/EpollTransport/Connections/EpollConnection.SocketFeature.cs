using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;

namespace EpollTransport.Connections;

/// <summary>
/// <see cref="IConnectionSocketFeature"/>: a <see cref="System.Net.Sockets.Socket"/> over the connection's descriptor,
/// as Kestrel's Sockets transport offers, so code that reads endpoints or sets per-connection socket options works.
/// </summary>
/// <remarks>
/// The socket does not own the descriptor (disposing it does not close the connection) and is created only when
/// asked for. Reading or writing through it is not supported: the epoll thread owns the connection's data. It is
/// disposed when the connection closes, so it never refers to a descriptor number the kernel has reused.
/// </remarks>
internal sealed partial class EpollConnection : IConnectionSocketFeature
{
    private Socket? _socketView;

    Socket IConnectionSocketFeature.Socket
    {
        get
        {
            if (Volatile.Read(ref _socketView) is { } existing)
            {
                return existing;
            }

            ObjectDisposedException.ThrowIf(Volatile.Read(ref _connectionClosedSignalled) != 0, typeof(Socket));
            var created = new Socket(new SafeSocketHandle(_fd, ownsHandle: false));
            var winner = Interlocked.CompareExchange(ref _socketView, created, null);
            if (winner is not null)
            {
                created.Dispose();
                return winner;
            }

            return created;
        }
    }

    /// <summary>Disposes the socket view, if any; the descriptor itself is closed by the connection.</summary>
    private void DisposeSocketView() => Interlocked.Exchange(ref _socketView, null)?.Dispose();
}
