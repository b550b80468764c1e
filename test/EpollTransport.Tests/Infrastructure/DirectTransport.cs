using System.Net;
using EpollTransport.Memory;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>The transport without Kestrel: a factory and one listener, for tests of the connection contract itself.</summary>
internal sealed class DirectTransport : IAsyncDisposable
{
    private DirectTransport(EpollTransportFactory factory, IConnectionListener listener)
    {
        Factory = factory;
        Listener = listener;
    }

    public EpollTransportFactory Factory { get; }

    public IConnectionListener Listener { get; }

    public IPEndPoint EndPoint => (IPEndPoint)Listener.EndPoint;

    public static async Task<DirectTransport> StartAsync(
        Action<EpollTransportOptions>? configure = null,
        EndPoint? endPoint = null,
        ILoggerFactory? loggerFactory = null,
        IMemoryPoolFactory<byte>? memoryPoolFactory = null,
        TransportSystemCalls? systemCalls = null,
        MemoryReleasePolicy? memoryRelease = null)
    {
        var options = new EpollTransportOptions();
        configure?.Invoke(options);
        var factory = new EpollTransportFactory(
            Options.Create(options), loggerFactory ?? NullLoggerFactory.Instance, memoryPoolFactory, meterFactory: null, systemCalls ?? TransportSystemCalls.Real, memoryRelease);
        var listener = await factory.BindAsync(endPoint ?? new IPEndPoint(IPAddress.Loopback, 0));
        return new DirectTransport(factory, listener);
    }

    public async Task<ConnectionContext> AcceptAsync() =>
        (await Listener.AcceptAsync().AsTask().WaitAsync(TestTimeouts.Operation))!;

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        await Factory.DisposeAsync();
    }
}
