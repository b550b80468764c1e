using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.Channels;
using EpollTransport.Connections;
using EpollTransport.Listeners;
using EpollTransport.Loop;
using EpollTransport.Memory;
using EpollTransport.Metrics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpollTransport;

/// <summary>
/// Kestrel's connection listener factory for the epoll transport. Register it with
/// <see cref="Microsoft.AspNetCore.Hosting.WebHostBuilderEpollExtensions.UseEpollTransport(Microsoft.AspNetCore.Hosting.IWebHostBuilder)"/>.
/// </summary>
/// <remarks>
/// The epoll threads are started by the first bind and shared by every listener of the factory; they stop when the
/// factory is disposed (the host's service provider does that at shutdown).
/// </remarks>
public sealed class EpollTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable, IDisposable
{
    private readonly IOptions<EpollTransportOptions> _options;
    private readonly ILogger _logger;
    private readonly IMemoryPoolFactory<byte>? _memoryPoolFactory;
    private readonly EpollTransportMetrics _metrics;
    private readonly TransportSystemCalls _systemCalls;
    private readonly MemoryReleasePolicy _memoryRelease;
    private readonly Lock _gate = new();
    private EpollTransportContext? _context;
    private int _listenerCount;
    private bool _disposed;

    /// <summary>Creates the factory. Resolved from dependency injection.</summary>
    /// <param name="options">The transport options.</param>
    /// <param name="loggerFactory">Creates the <c>EpollTransport</c> logger.</param>
    /// <param name="memoryPoolFactory">Kestrel's memory pool factory; the shared array pool is used when absent.</param>
    /// <param name="meterFactory">Creates the <c>EpollTransport</c> meter; a process-wide meter is used when absent.</param>
    public EpollTransportFactory(
        IOptions<EpollTransportOptions> options,
        ILoggerFactory loggerFactory,
        IMemoryPoolFactory<byte>? memoryPoolFactory = null,
        IMeterFactory? meterFactory = null)
        : this(options, loggerFactory, memoryPoolFactory, meterFactory, TransportSystemCalls.Real, MemoryReleasePolicy.Default)
    {
    }

    /// <summary>
    /// Creates the factory with other <paramref name="systemCalls"/> in place of the real ones (the seam tests use to
    /// inject failures) and, if given, another <paramref name="memoryRelease"/> policy than the default.
    /// </summary>
    internal EpollTransportFactory(
        IOptions<EpollTransportOptions> options,
        ILoggerFactory loggerFactory,
        IMemoryPoolFactory<byte>? memoryPoolFactory,
        IMeterFactory? meterFactory,
        TransportSystemCalls systemCalls,
        MemoryReleasePolicy? memoryRelease = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        // Read at the first bind, not here: Kestrel's server (and with it this factory) is built before the host
        // starts, and options validation must fail the start ("Hosting failed to start"), not the build.
        _options = options;
        _logger = loggerFactory.CreateLogger(TransportLog.CategoryName);
        _memoryPoolFactory = memoryPoolFactory;
        _metrics = new EpollTransportMetrics(meterFactory);
        _systemCalls = systemCalls;
        _memoryRelease = memoryRelease ?? MemoryReleasePolicy.Default;
    }

    /// <inheritdoc />
    public bool CanBind(EndPoint endpoint) => ListenSocketBinder.CanBind(endpoint);

    /// <summary>Binds a listen socket for <paramref name="endpoint"/> and starts accepting on an epoll thread.</summary>
    /// <param name="endpoint">An <see cref="IPEndPoint"/>, <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/> or <see cref="FileHandleEndPoint"/>.</param>
    /// <param name="cancellationToken">Not observed: binding does not block.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="PlatformNotSupportedException">The operating system is not Linux.</exception>
    /// <exception cref="AddressInUseException">The address is already in use.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">Any other socket error while binding.</exception>
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                "The epoll transport runs only on Linux. Remove UseEpollTransport() to use Kestrel's default Sockets transport on this system.");
        }

        var context = GetOrStartThreads();
        var bound = ListenSocketBinder.Bind(endpoint, context.Options.Backlog);
        var home = context.Threads[(uint)Interlocked.Increment(ref _listenerCount) % (uint)context.Threads.Length];
        var accepted = Channel.CreateUnbounded<EpollConnection>(new UnboundedChannelOptions { SingleWriter = true });
        var socket = new ListenSocket(home, context, bound, accepted.Writer, _systemCalls.Accept);
        try
        {
            await home.InvokeAsync(socket.Start).ConfigureAwait(false);
        }
        catch
        {
            bound.Handle.Dispose(); // Idempotent if Start already closed it.
            throw;
        }

        return new EpollConnectionListener(socket, accepted, bound.EndPoint);
    }

    /// <summary>Stops the epoll threads, closing any socket still open, and releases the memory pool.</summary>
    /// <returns>A task that completes when every thread has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        EpollTransportContext? context;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            context = _context;
        }

        if (context is null)
        {
            return;
        }

        await Task.WhenAll(context.Threads.Select(thread => thread.StopAsync())).ConfigureAwait(false);
        context.MemoryPool.Dispose();
    }

    /// <summary>Synchronous form of <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private EpollTransportContext GetOrStartThreads()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_context is not null)
            {
                return _context;
            }

            var options = _options.Value;
            var threads = new EpollThread[options.ThreadCount];
            try
            {
                for (int i = 0; i < threads.Length; i++)
                {
                    threads[i] = new EpollThread(i, _logger, _systemCalls.Epoll) { Metrics = _metrics.ForLoop(i) };
                }
            }
            catch
            {
                foreach (var thread in threads)
                {
                    thread?.StopAsync();
                }

                throw;
            }

            var memoryPool = _memoryPoolFactory?.Create(new MemoryPoolOptions { Owner = "epoll" }) ?? MemoryPool<byte>.Shared;
            _context = new EpollTransportContext(options, _logger, memoryPool, threads, _metrics);
            foreach (var thread in threads)
            {
                thread.Start();
            }

            if (options.ReleaseMemoryAfterBurst)
            {
                BurstMemoryRelease.Start(threads, _memoryRelease, _logger);
            }

            return _context;
        }
    }
}
