using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace StaticHostApp.Tests.Infrastructure;

/// <summary>
/// The application started for one test, on TestServer or on real Kestrel (epoll transport, dynamic port), with an
/// HttpClient that neither follows redirects nor decompresses, so tests see exactly what the server sent.
/// </summary>
public sealed class RunningHost : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TestTimeouts.Operation;
    private readonly StaticHostFactory _factory;

    private RunningHost(StaticHostFactory factory, ServerKind kind, HttpClient client, Uri address)
    {
        _factory = factory;
        Kind = kind;
        Client = client;
        Address = address;
    }

    /// <summary>The server the app runs on.</summary>
    public ServerKind Kind { get; }

    /// <summary>A client bound to the server.</summary>
    public HttpClient Client { get; }

    /// <summary>The server's address; a real loopback address for Kestrel.</summary>
    public Uri Address { get; }

    /// <summary>The application's services.</summary>
    public IServiceProvider Services => _factory.Services;

    /// <summary>The in-memory server (TestServer only).</summary>
    public TestServer TestServer => _factory.Server;

    /// <summary>Starts the app. Throws whatever start-up throws (for instance options validation).</summary>
    public static RunningHost Start(
        ServerKind kind,
        string? contentRoot,
        IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? configureServices = null,
        Action<ListenOptions>? configureListen = null)
    {
        var factory = new StaticHostFactory(contentRoot, settings, configureServices);
        try
        {
            if (kind == ServerKind.Kestrel)
            {
                // The port is chosen through Kestrel's own options, not UseKestrel(port): the factory applies a port
                // to the server's address list after building the host, which races with Program's own start of
                // the host and fails now and then with "Addresses cannot be modified after the server has started".
                factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => configureListen?.Invoke(listen)));
                factory.StartServer();
                var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
                    .Addresses.Single();
                var handler = new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    AutomaticDecompression = DecompressionMethods.None,
                    UseProxy = false,
                };
                return new RunningHost(factory, kind, new HttpClient(handler) { BaseAddress = new Uri(address), Timeout = RequestTimeout }, new Uri(address));
            }

            var client = factory.Server.CreateClient();
            client.Timeout = RequestTimeout;
            return new RunningHost(factory, kind, client, client.BaseAddress!);
        }
        catch
        {
            factory.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request with an explicit Host header.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string host, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Host = host;
        configure?.Invoke(request);
        return Client.SendAsync(request);
    }

    /// <summary>GETs a path with an explicit Host header.</summary>
    public Task<HttpResponseMessage> GetAsync(string path, string host, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Get, path, host, configure);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }
}
