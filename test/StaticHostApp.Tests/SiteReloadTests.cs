using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Changing the sites in appsettings.json while the app runs, on both servers: valid changes reach new requests,
/// invalid ones are logged and change nothing, requests in flight finish on the configuration they started with.
/// </summary>
public abstract class SiteReloadTests : IDisposable
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;

    private protected SiteReloadTests(ServerKind kind)
    {
        Kind = kind;
        Sites = new StandardSites(Sandbox);
    }

    /// <summary>The server this run uses.</summary>
    protected ServerKind Kind { get; }

    /// <summary>This test's directory tree; its appsettings.json is the configuration file being edited.</summary>
    protected SiteSandbox Sandbox { get; } = new();

    /// <summary>The standard sites.</summary>
    protected StandardSites Sites { get; }

    /// <summary>Collects the app's log.</summary>
    protected LogRecorder Logs { get; } = new();

    /// <summary>Writes appsettings.json with one site per (hosts, root) pair.</summary>
    protected void WriteConfiguration(params (string Host, string Root)[] sites)
    {
        var entries = sites.Select(s => $$"""{ "Hosts": [ "{{s.Host}}" ], "Root": "{{s.Root}}" }""");
        Sandbox.WriteFile("appsettings.json", $$"""{ "StaticHost": { "Sites": [ {{string.Join(", ", entries)}} ] } }""");
    }

    /// <summary>Starts the app on the sandbox's appsettings.json.</summary>
    protected RunningHost Start() =>
        RunningHost.Start(Kind, Sandbox.Path, new Settings(), services => services.AddLogging(l => l.AddProvider(Logs)));

    /// <summary>Re-reads the configuration files, as SIGHUP does, instead of waiting for the file watcher.</summary>
    protected static void Reload(RunningHost host) =>
        ((IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>()).Reload();

    /// <summary>The status and body of GET <paramref name="path"/> on <paramref name="host"/>.</summary>
    protected static async Task<(HttpStatusCode Status, string Body)> GetAsync(RunningHost running, string host, string path = "/")
    {
        using var response = await running.GetAsync(path, host);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ASiteAddedToTheFileIsServedOnceTheFileWatcherReloadsIt()
    {
        WriteConfiguration(("example.test", "example"));
        await using var host = Start();
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync(host, "docs.test")).Status);

        WriteConfiguration(("example.test", "example"), ("docs.test", "docs"));

        await Eventually.WaitAsync(async () => (await GetAsync(host, "docs.test")).Status == HttpStatusCode.OK, Timeout, "docs.test to be served");
        Assert.Equal((HttpStatusCode.OK, "DOCS-INDEX"), await GetAsync(host, "docs.test"));
        Assert.Equal((HttpStatusCode.OK, "EXAMPLE-INDEX"), await GetAsync(host, "example.test"));
        // The reload is logged right after the new sites start serving, on the file watcher's thread.
        await Eventually.WaitAsync(
            () => Logs.All.Any(e => e.Message.StartsWith("Configuration reloaded: serving 2 sites (example.test, docs.test)", StringComparison.Ordinal)),
            Timeout,
            "the reload to be logged");
    }

    [Fact]
    public async Task RemovingAndMovingSitesTakesEffectOnReload()
    {
        WriteConfiguration(("example.test", "example"), ("docs.test", "docs"));
        await using var host = Start();

        WriteConfiguration(("docs.test", "example"));
        Reload(host);

        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync(host, "example.test")).Status);
        Assert.Equal((HttpStatusCode.OK, "EXAMPLE-INDEX"), await GetAsync(host, "docs.test"));
    }

    [Fact]
    public async Task AnInvalidChangeIsLoggedWithItsProblemsAndTheRunningConfigurationKeepsServing()
    {
        WriteConfiguration(("example.test", "example"));
        await using var host = Start();

        WriteConfiguration(("example.test", "example"), ("docs.test", "no-such-root"), ("EXAMPLE.test", "docs"));
        Reload(host);

        var rejected = Assert.Single(Logs.All, e => e.Message.StartsWith("Configuration reload rejected", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Error, rejected.Level);
        Assert.Contains("StaticHost:Sites:1:Root", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("claimed by two sites", rejected.Message, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.OK, "EXAMPLE-INDEX"), await GetAsync(host, "example.test"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync(host, "docs.test")).Status);

        // Nothing is left half-applied: the next valid change is applied as a whole.
        WriteConfiguration(("example.test", "example"), ("docs.test", "docs"));
        Reload(host);
        Assert.Equal((HttpStatusCode.OK, "DOCS-INDEX"), await GetAsync(host, "docs.test"));
    }

    [Fact]
    public async Task AnUnparsableFileIsReportedAndTheRunningConfigurationKeepsServing()
    {
        WriteConfiguration(("example.test", "example"));
        await using var host = Start();

        Sandbox.WriteFile("appsettings.json", "{ \"StaticHost\": { \"Sites\": [ ");
        Assert.ThrowsAny<InvalidDataException>(() => Reload(host));

        Assert.Equal((HttpStatusCode.OK, "EXAMPLE-INDEX"), await GetAsync(host, "example.test"));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Sandbox.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>On TestServer.</summary>
    public sealed class OnTestServer() : SiteReloadTests(ServerKind.TestServer);

    /// <summary>On Kestrel over the epoll transport.</summary>
    public sealed class OnKestrel() : SiteReloadTests(ServerKind.Kestrel)
    {
        [Fact]
        public async Task ADownloadInFlightCompletesOnTheOldConfigurationAfterItsSiteIsRemoved()
        {
            var big = new byte[8 * 1024 * 1024];
            Random.Shared.NextBytes(big);
            Sandbox.WriteFile("example/big.bin", big);
            WriteConfiguration(("example.test", "example"), ("docs.test", "docs"));
            await using var host = Start();

            // Start the download and take only its first bytes, so the server is still sending when the reload lands.
            using var socket = await RawHttp.ConnectAsync(host.Address);
            socket.ReceiveBufferSize = 16 * 1024;
            await RawHttp.SendAsync(socket, "GET /big.bin HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n");
            var reader = new ResponseReader(socket);
            Assert.False(await reader.IsAtEndAsync(), "The download ended before its first bytes arrived.");

            WriteConfiguration(("docs.test", "docs"));
            Reload(host);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync(host, "example.test", "/big.bin")).Status);

            var response = await RawHttp.ReadResponseAsync(reader);
            Assert.Equal(200, response.Status);
            Assert.True(await reader.IsAtEndAsync(), "The server kept the connection open after a Connection: close response.");
            Assert.Equal(big, response.Body);
        }
    }
}
