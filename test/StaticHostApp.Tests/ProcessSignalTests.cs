using System.Net;
using System.Net.Sockets;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// The built app as its own process, driven the way an operator or service manager drives it: SIGHUP reloads the
/// configuration, SIGUSR1 reopens the access log, SIGTERM stops it without losing access log lines, and systemd
/// socket activation hands it its port.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ProcessSignalTests : IDisposable
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;
    private readonly SiteSandbox _sandbox = new();

    public ProcessSignalTests()
    {
        _sandbox.WriteFile("a/index.html", "SITE-A");
        _sandbox.WriteFile("b/index.html", "SITE-B");
    }

    private void WriteConfiguration(string sites, string requestLog = """{ "Enabled": false }""") =>
        _sandbox.WriteFile("appsettings.json", $$"""{ "StaticHost": { "Sites": [ {{sites}} ], "RequestLog": {{requestLog}} } }""");

    private static HttpClient Client(Uri address) =>
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = address, Timeout = Timeout };

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SighupReloadsTheSitesAndKeepsServingThroughInvalidChanges()
    {
        const string SiteA = """{ "Hosts": [ "a.test" ], "Root": "a" }""";
        const string SiteB = """{ "Hosts": [ "b.test" ], "Root": "b" }""";
        WriteConfiguration(SiteA);

        // The file watcher is off, so only the signal can make the app see the edits.
        await using var server = await ChildServer.StartAsync(_sandbox, ["--hostBuilder:reloadConfigOnChange=false"], asNobody: false, Timeout);
        using var client = Client(server.Address);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await GetAsync(client, "b.test")).Status);

        WriteConfiguration(SiteA + ", " + SiteB);
        await server.SignalAsync("HUP");
        await Eventually.WaitAsync(async () => (await GetAsync(client, "b.test")).Status == HttpStatusCode.OK, Timeout, "b.test to be served after SIGHUP");
        Assert.Equal((HttpStatusCode.OK, "SITE-B"), await GetAsync(client, "b.test"));
        await server.WaitForOutputAsync("Configuration reloaded: serving 2 sites (a.test, b.test)", Timeout);

        // A change that fails validation: logged, and both sites keep serving.
        WriteConfiguration(SiteA + """, { "Hosts": [ "b.test" ], "Root": "missing" }""");
        await server.SignalAsync("HUP");
        await server.WaitForOutputAsync("Configuration reload rejected", Timeout);
        Assert.Equal((HttpStatusCode.OK, "SITE-B"), await GetAsync(client, "b.test"));

        // A file that is not JSON: reported, and still serving.
        _sandbox.WriteFile("appsettings.json", "{ not json");
        await server.SignalAsync("HUP");
        await server.WaitForOutputAsync("Configuration reload failed", Timeout);
        Assert.Equal((HttpStatusCode.OK, "SITE-A"), await GetAsync(client, "a.test"));
        Assert.Equal((HttpStatusCode.OK, "SITE-B"), await GetAsync(client, "b.test"));
    }

    [Fact]
    public async Task SighupAndSigusr1WorkWhenInheritedAsIgnoredAsUnderNohup()
    {
        const string SiteA = """{ "Hosts": [ "a.test" ], "Root": "a" }""";
        const string SiteB = """{ "Hosts": [ "b.test" ], "Root": "b" }""";
        WriteConfiguration(SiteA, """{ "Enabled": true, "Format": "Combined", "FlushInterval": "00:00:00.020" }""");

        // nohup ignores SIGHUP; env ignores SIGUSR1 as well, as some supervisors do.
        string[] launcher = ["nohup", "env", "--ignore-signal=HUP", "--ignore-signal=USR1"];
        await using var server = await ChildServer.StartAsync(_sandbox, ["--hostBuilder:reloadConfigOnChange=false"], launcher, Timeout);
        await server.WaitForOutputAsync("SIGHUP was inherited as ignored", Timeout);
        await server.WaitForOutputAsync("SIGUSR1 was inherited as ignored", Timeout);
        using var client = Client(server.Address);

        WriteConfiguration(SiteA + ", " + SiteB, """{ "Enabled": true, "Format": "Combined", "FlushInterval": "00:00:00.020" }""");
        await server.SignalAsync("HUP");
        await server.WaitForOutputAsync("Configuration reloaded: serving 2 sites (a.test, b.test)", Timeout);
        Assert.Equal((HttpStatusCode.OK, "SITE-B"), await GetAsync(client, "b.test"));

        var log = _sandbox["logs/access.log"];
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(log).Length == 1, Timeout, "the first line");
        File.Move(log, log + ".1");
        await server.SignalAsync("USR1");
        await server.WaitForOutputAsync("SIGUSR1 received: reopening the access log", Timeout);
        await GetAsync(client, "a.test");
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(log).Length == 1, Timeout, "a line in the reopened file");
        Assert.True(server.IsRunning);
    }

    [Fact]
    public async Task AnOutOfRangeOptionIsRejectedByNameOnReloadAndFailedReloadsLeakNoDescriptor()
    {
        const string Site = """{ "Hosts": [ "a.test" ], "Root": "a" }""";
        void Write(string validity) => _sandbox.WriteFile(
            "appsettings.json",
            $$"""{ "StaticHost": { "Sites": [ {{Site}} ], "RequestLog": { "Enabled": false }, "OpenFileCache": { "Validity": "{{validity}}" } } }""");
        Write("00:01:00");
        await using var server = await ChildServer.StartAsync(_sandbox, ["--hostBuilder:reloadConfigOnChange=false"], asNobody: false, Timeout);
        using var client = Client(server.Address);
        Assert.Equal((HttpStatusCode.OK, "SITE-A"), await GetAsync(client, "a.test"));
        var before = DescriptorsOf(server.ProcessId);

        Write("50.00:00:00");
        for (var i = 0; i < 10; i++)
        {
            await server.SignalAsync("HUP");
            await Eventually.WaitAsync(() => server.Output.Split('\n').Count(l => l.Contains("Configuration reload rejected", StringComparison.Ordinal)) == i + 1, Timeout, $"rejection {i + 1}");
        }

        await server.WaitForOutputAsync("StaticHost:OpenFileCache:Validity 50.00:00:00 is out of range", Timeout);
        Assert.Equal((HttpStatusCode.OK, "SITE-A"), await GetAsync(client, "a.test"));
        // A leak is a descriptor opened during the reloads and still open; one that closed meanwhile is not. Comparing
        // counts, as this did before, failed now and then (in CI and locally), and a count cannot tell the two apart.
        string openedSince = "";
        await Eventually.WaitAsync(
            () => (openedSince = ProcessDescriptors.Describe(before, DescriptorsOf(server.ProcessId))).Length == 0,
            Timeout,
            () => $"the descriptors opened during the failed reloads to be closed: [{openedSince}]");
    }

    // The runtime opens an assembly's file when it first loads it (a logging or validation path taken for the first
    // time, on any thread) and holds it for the life of the process: not a descriptor a reload could leak.
    private static Dictionary<int, string> DescriptorsOf(int processId) =>
        ProcessDescriptors.Snapshot(processId)
            .Where(e => !e.Value.EndsWith(".dll", StringComparison.Ordinal))
            .ToDictionary();

    [Fact]
    public async Task SigtermStopsGracefullyAndEveryAccessLogLineIsInTheFile()
    {
        // An hour between flushes: only the shutdown can have written the lines.
        WriteConfiguration(
            """{ "Hosts": [ "a.test" ], "Root": "a" }""",
            """{ "Enabled": true, "Format": "Combined", "FlushInterval": "01:00:00" }""");
        await using var server = await ChildServer.StartAsync(_sandbox, [], asNobody: false, Timeout);
        using var client = Client(server.Address);
        const int Requests = 40;
        await Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ => Assert.Equal("SITE-A", (await GetAsync(client, "a.test")).Body)));

        await server.SignalAsync("TERM");

        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        var lines = CombinedLogFormat.ReadLines(_sandbox["logs/access.log"]).Select(CombinedLogFormat.Parse).ToList();
        Assert.Equal(Requests, lines.Count);
        Assert.All(lines, l => Assert.Equal(("GET", "/", 200, (long)"SITE-A".Length, "a.test"), (l.Method, l.Target, l.Status, l.Bytes, l.Site)));
    }

    [Theory]
    [InlineData("USR1", "SIGUSR1 received: reopening the access log")]
    [InlineData("HUP", "SIGHUP received: reloading the configuration and reopening the access log")]
    public async Task Sigusr1AndSighupReopenTheAccessLogSoRotationByRenameWorksAsWithNginx(string signal, string logged)
    {
        WriteConfiguration(
            """{ "Hosts": [ "a.test" ], "Root": "a" }""",
            """{ "Enabled": true, "Format": "Combined", "FlushInterval": "00:00:00.020" }""");
        await using var server = await ChildServer.StartAsync(_sandbox, [], asNobody: false, Timeout);
        using var client = Client(server.Address);
        var log = _sandbox["logs/access.log"];
        await GetAsync(client, "a.test");
        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(log).Length == 1, Timeout, "the first line");

        File.Move(log, log + ".1");
        await server.SignalAsync(signal);
        await server.WaitForOutputAsync(logged, Timeout);
        await GetAsync(client, "a.test");
        await GetAsync(client, "a.test");

        await Eventually.WaitAsync(() => CombinedLogFormat.ReadLines(log).Length == 2, Timeout, "two lines in a new access.log");
        Assert.Single(CombinedLogFormat.ReadLines(log + ".1"));
        await server.SignalAsync("TERM");
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.Equal(2, CombinedLogFormat.ReadLines(log).Length);
    }

    [Fact]
    public async Task ServesOnTheListeningSocketSystemdSocketActivationPasses()
    {
        const string Activator = "/usr/bin/systemd-socket-activate";
        if (!File.Exists(Activator))
        {
            // The systemd package provides it; a machine without it cannot run this check.
            return;
        }

        WriteConfiguration("""{ "Hosts": [ "a.test" ], "Root": "a" }""");
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        await using var server = ChildServer.Launch(_sandbox, [], [Activator, "-l", $"127.0.0.1:{port}"], address);
        await server.WaitForOutputAsync($"Listening on 127.0.0.1:{port}", Timeout);

        // The first connection waits in the socket's backlog while the app starts on the inherited descriptor.
        using var client = Client(address);
        Assert.Equal((HttpStatusCode.OK, "SITE-A"), await GetAsync(client, "a.test"));
        await server.WaitForOutputAsync($"Now listening on: http://127.0.0.1:{port}", Timeout);
        await server.WaitForOutputAsync("Overriding address(es) 'http://127.0.0.1:0'", Timeout);

        await server.SignalAsync("TERM");
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();
}
