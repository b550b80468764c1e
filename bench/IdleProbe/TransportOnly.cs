using System.Net;
using EpollTransport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace IdleProbe;

/// <summary>A transport with no Kestrel server on top: bind, accept, drain each connection, dispose it when done.</summary>
internal static class TransportOnly
{
    /// <summary>
    /// The listener factory Kestrel would bind with, taken from the host's service provider: the epoll factory
    /// (registered by UseEpollTransport) or Kestrel's Sockets factory.
    /// </summary>
    public static IConnectionListenerFactory FactoryFor(IServiceProvider services, string transport)
    {
        var factories = services.GetServices<IConnectionListenerFactory>();
        var wanted = transport.Equals("sockets", StringComparison.OrdinalIgnoreCase) ? typeof(SocketTransportFactory) : typeof(EpollTransportFactory);
        return factories.FirstOrDefault(factory => factory.GetType() == wanted)
            ?? throw new InvalidOperationException($"No {wanted.Name} is registered in the host's services.");
    }

    /// <summary>
    /// The listener factory constructed directly, with only the options and logging from the host's services: the
    /// epoll factory then falls back to <see cref="System.Buffers.MemoryPool{T}.Shared"/> and a process-wide meter,
    /// Kestrel's Sockets factory to its default options and its own memory pool.
    /// </summary>
    public static IConnectionListenerFactory ConstructFactory(IServiceProvider services, string transport)
    {
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        return transport.Equals("sockets", StringComparison.OrdinalIgnoreCase)
            ? new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggerFactory)
            : new EpollTransportFactory(services.GetRequiredService<IOptions<EpollTransportOptions>>(), loggerFactory);
    }

    /// <summary>Accepts until <paramref name="stopping"/> fires; every connection keeps a read pending until it ends.</summary>
    public static async Task AcceptAndHoldAsync(IConnectionListenerFactory factory, EndPoint endpoint, CancellationToken stopping)
    {
        var listener = await factory.BindAsync(endpoint, stopping).ConfigureAwait(false);
        await using (listener.ConfigureAwait(false))
        {
            Console.WriteLine("listening");
            // Unbinding makes the pending accept return null, which ends the loop.
            await using var unbind = stopping.Register(() => _ = listener.UnbindAsync(CancellationToken.None)).ConfigureAwait(false);
            while (await listener.AcceptAsync(CancellationToken.None).ConfigureAwait(false) is { } connection)
            {
                _ = HoldAsync(connection);
            }
        }
    }

    private static async Task HoldAsync(ConnectionContext connection)
    {
        await using (connection.ConfigureAwait(false))
        {
            await Drain.UntilClosedAsync(connection).ConfigureAwait(false);
        }
    }
}
