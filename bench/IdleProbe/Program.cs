// The idle-connection memory probe's two servers below HTTP, on the transport named by --transport (epoll, the
// default, or sockets), listening on 127.0.0.1 at --port:
//   --layer connection   Kestrel with a ConnectionHandler that only drains its input: Kestrel's per-connection
//                        machinery without its HTTP/1.1 layer.
//   --layer transport    no Kestrel server: the transport's IConnectionListenerFactory, resolved from the same
//                        service provider Kestrel would use (so it gets the same memory pool and meter factory),
//                        binds, accepts, and keeps a pending read on every connection. This is the transport's own
//                        share of an idle connection.
//   --layer transport-direct  the same, with the factory constructed directly, as a program without a host
//                        would: the epoll factory without Kestrel's IMemoryPoolFactory (so on MemoryPool<byte>.Shared)
//                        and without a meter factory, Kestrel's Sockets factory with default options (its own
//                        pool). The difference from 'transport' is what the host's memory pool and metrics cost.
// Epoll options come from the EpollTransport configuration section. Prints "listening" once bound.
using System.Net;
using System.Runtime.InteropServices;
using IdleProbe;
using Microsoft.AspNetCore.Connections;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();

string transport = builder.Configuration["transport"] ?? "epoll";
string layer = builder.Configuration["layer"] ?? "";
int port = builder.Configuration.GetValue("port", 0);
if (port is <= 0 or > 65535)
{
    Console.Error.WriteLine("--port must be a TCP port (1-65535).");
    return 2;
}

if (transport.Equals("epoll", StringComparison.OrdinalIgnoreCase))
{
    builder.WebHost.UseEpollTransport();
}
else if (!transport.Equals("sockets", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"--transport '{transport}' is not supported: use 'epoll' (the default) or 'sockets'.");
    return 2;
}

var endpoint = new IPEndPoint(IPAddress.Loopback, port);
switch (layer)
{
    case "connection":
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(endpoint, listen => listen.UseConnectionHandler<DrainingConnectionHandler>()));
        var app = builder.Build();
        await app.StartAsync().ConfigureAwait(false);
        Console.WriteLine("listening");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;

    case "transport" or "transport-direct":
        // The host is built for its services only and never started, so its lifetime does not see SIGTERM.
        using (var stop = new CancellationTokenSource())
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        }))
        {
            await using var host = builder.Build();
            if (layer == "transport")
            {
                var factory = TransportOnly.FactoryFor(host.Services, transport); // The host disposes it.
                await TransportOnly.AcceptAndHoldAsync(factory, endpoint, stop.Token).ConfigureAwait(false);
            }
            else
            {
                var factory = TransportOnly.ConstructFactory(host.Services, transport);
                try
                {
                    await TransportOnly.AcceptAndHoldAsync(factory, endpoint, stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    if (factory is IAsyncDisposable owned)
                    {
                        await owned.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }

        return 0;

    default:
        Console.Error.WriteLine($"--layer '{layer}' is not supported: use 'connection', 'transport' or 'transport-direct'.");
        return 2;
}
