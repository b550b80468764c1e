using System.Net;
using System.Threading.Channels;
using EpollTransport.Connections;
using EpollTransport.Listeners;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport;

/// <summary>
/// A listen socket driven by an epoll thread. Connections are accepted on that thread as soon as they arrive and
/// wait here until Kestrel's accept loop takes them. At most <see cref="EpollTransportOptions.Backlog"/> of them
/// wait: then the listen socket is not watched until Kestrel takes one, and further clients wait in the kernel's
/// backlog instead of this process's memory and descriptors.
/// </summary>
public sealed class EpollConnectionListener : IConnectionListener
{
    private readonly ListenSocket _socket;
    private readonly Channel<EpollConnection> _accepted;

    internal EpollConnectionListener(ListenSocket socket, Channel<EpollConnection> accepted, EndPoint endPoint)
    {
        _socket = socket;
        _accepted = accepted;
        EndPoint = endPoint;
    }

    /// <summary>The listen socket behind this listener (for tests).</summary>
    internal ListenSocket Socket => _socket;

    /// <summary>The bound endpoint; for port 0 it carries the port the kernel chose.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>
    /// Returns the next accepted connection, or <see langword="null"/> once the listener has been unbound or
    /// disposed and every connection accepted before that has been handed out.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The connection, or <see langword="null"/> when no more will come.</returns>
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var reader = _accepted.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.TryRead(out var connection))
            {
                _socket.OnConnectionTaken();
                return connection;
            }
        }

        return null;
    }

    /// <summary>Stops accepting and closes the listen socket. Connections already accepted carry on.</summary>
    /// <param name="cancellationToken">Ignored: closing the socket does not block.</param>
    /// <returns>A task that completes when the listen socket is closed.</returns>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        await _socket.Home.InvokeAsync(_socket.Close).ConfigureAwait(false);
        await _socket.Closed.ConfigureAwait(false);
    }

    /// <summary>Unbinds, then aborts connections that were accepted but never handed to Kestrel.</summary>
    /// <returns>A task that completes when every such connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        while (_accepted.Reader.TryRead(out var connection))
        {
            connection.Abort(new ConnectionAbortedException("The listener was disposed before the connection was accepted."));
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
