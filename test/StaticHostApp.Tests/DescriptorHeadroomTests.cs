using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// A server whose clients would take every descriptor the process may open (RLIMIT_NOFILE) stops accepting short of
/// the limit instead: it does not crash, does not spin, and serves again once clients leave.
/// </summary>
[Trait("Category", "Slow")]
public sealed class DescriptorHeadroomTests : IDisposable
{
    private const int DescriptorLimit = 400;
    private const int HeldClients = 500;
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;
    private readonly SiteSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task MoreClientsThanDescriptorsPauseAcceptingWithoutCrashOrSpinAndServingResumes()
    {
        _sandbox.WriteFile("site/index.html", "STILL-SERVING");
        string[] args =
        [
            "--StaticHost:Sites:0:Hosts:0=limit.test",
            "--StaticHost:Sites:0:Root=site",
            "--StaticHost:RequestLog:Enabled=false",
        ];
        await using var server = await ChildServer.StartAsync(_sandbox, args, asNobody: false, Timeout);
        await SetDescriptorLimitAsync(server.ProcessId, DescriptorLimit);

        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Address.Port);
        var clients = new List<Socket>();
        try
        {
            // Connections beyond what the server accepts wait, established, in the kernel's listen backlog.
            for (int i = 0; i < HeldClients; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(endPoint).WaitAsync(Timeout);
            }

            await server.WaitForOutputAsync("descriptors are left below the process's limit", Timeout);
            // The two seconds are the behaviour under test, not a synchronisation: a paused server must stay idle
            // over a window, which only a window of time can show.
            long ticks = await CpuTicksOverAsync(server.ProcessId, TimeSpan.FromSeconds(2));
            Assert.True(ticks < 50, $"the paused server used {ticks} ticks in 2 s");
            Assert.True(server.IsRunning, server.Output);

            // Clients leave, descriptors come back: accepting resumes and the server answers a new client.
            foreach (var client in clients.Take(HeldClients - 20))
            {
                client.Dispose();
            }

            await server.WaitForOutputAsync("resumed", Timeout);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.Address, Timeout = Timeout };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/index.html");
            request.Headers.Host = "limit.test";
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("STILL-SERVING", await response.Content.ReadAsStringAsync());
            Assert.True(server.IsRunning, server.Output);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task SetDescriptorLimitAsync(int processId, int limit)
    {
        var start = new ProcessStartInfo("prlimit") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "--pid", processId.ToString(CultureInfo.InvariantCulture), $"--nofile={limit}:{limit}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var prlimit = Process.Start(start)!;
        string error = await prlimit.StandardError.ReadToEndAsync();
        await prlimit.WaitForExitAsync().WaitAsync(Timeout);
        Assert.True(prlimit.ExitCode == 0, error);
    }

    /// <summary>User plus system CPU ticks of the whole process over <paramref name="window"/>.</summary>
    private static async Task<long> CpuTicksOverAsync(int processId, TimeSpan window)
    {
        long before = CpuTicks(processId);
        await Task.Delay(window);
        return CpuTicks(processId) - before;
    }

    private static long CpuTicks(int processId)
    {
        string stat = File.ReadAllText($"/proc/{processId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
