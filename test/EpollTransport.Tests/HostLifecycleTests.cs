using System.Net;
using EpollTransport.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EpollTransport.Tests;

/// <summary>Start-up, configuration and graceful shutdown of a host using the transport.</summary>
public sealed class HostLifecycleTests
{
    [Theory]
    [InlineData(nameof(EpollTransportOptions.ThreadCount))]
    [InlineData(nameof(EpollTransportOptions.Backlog))]
    [InlineData(nameof(EpollTransportOptions.MaxReadBufferSize))]
    [InlineData(nameof(EpollTransportOptions.MaxWriteBufferSize))]
    [InlineData(nameof(EpollTransportOptions.SendFileCopyThreshold) + "-negative")]
    [InlineData(nameof(EpollTransportOptions.SendFileCopyThreshold) + "-too-large")]
    public async Task AnInvalidOptionFailsStartUpNamingTheOption(string option)
    {
        Action<EpollTransportOptions> breakIt = option switch
        {
            nameof(EpollTransportOptions.ThreadCount) => o => o.ThreadCount = 0,
            nameof(EpollTransportOptions.Backlog) => o => o.Backlog = -1,
            nameof(EpollTransportOptions.MaxReadBufferSize) => o => o.MaxReadBufferSize = -5,
            nameof(EpollTransportOptions.SendFileCopyThreshold) + "-negative" => o => o.SendFileCopyThreshold = -1,
            nameof(EpollTransportOptions.SendFileCopyThreshold) + "-too-large" => o => o.SendFileCopyThreshold = (1024 * 1024) + 1,
            _ => o => o.MaxWriteBufferSize = -5,
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            EpollTestServer.StartHttpAsync(TestApp.MapEndpoints, breakIt));
        Assert.Contains(option.Split('-')[0], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidOptionsFailTheHostsStartNotItsBuild()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseEpollTransport(o => o.ThreadCount = 0);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));

        // Building resolves Kestrel's server and its transport factory; only starting may validate.
        await using var app = builder.Build();
        _ = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(TestTimeouts.Operation));
        Assert.Contains(nameof(EpollTransportOptions.ThreadCount), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OptionsBindFromTheEpollTransportSectionAndCodeWins()
    {
        await using var server = await EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0),
            transport => transport.NoDelay = false,
            TestApp.MapEndpoints,
            builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["EpollTransport:ThreadCount"] = "3",
                ["EpollTransport:Backlog"] = "77",
                ["EpollTransport:NoDelay"] = "true",
                ["EpollTransport:ApplicationSchedulingMode"] = "Inline",
            }));

        var options = server.Services.GetRequiredService<IOptions<EpollTransportOptions>>().Value;
        Assert.Equal(3, options.ThreadCount);
        Assert.Equal(77, options.Backlog);
        Assert.Equal(ApplicationSchedulingMode.Inline, options.ApplicationSchedulingMode);
        Assert.False(options.NoDelay);

        // And the host really runs on it, on the configured number of threads.
        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        await RawHttp.SendAsync(client, RawHttp.Get("/hello"));
        Assert.Equal("hello", (await RawHttp.ReadResponseAsync(new ResponseReader(client))).BodyText);
    }

    [Fact]
    public async Task AnInvalidOptionInConfigurationFailsStartUp()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => EpollTestServer.StartAsync(
            kestrel => kestrel.Listen(IPAddress.Loopback, 0),
            configureBuilder: builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["EpollTransport:ThreadCount"] = "0",
            })));
        Assert.Contains("ThreadCount", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KestrelUsesTheEpollTransport()
    {
        var transport = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await EpollTestServer.StartAsync(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, o => o.Run(connection =>
            {
                transport.TrySetResult(connection.GetType().FullName);
                return Task.CompletedTask;
            })));

        using var client = await RawHttp.ConnectAsync(server.EndPoint);
        Assert.Equal("EpollTransport.Connections.EpollConnection", await transport.Task.WaitAsync(TestTimeouts.Operation));
    }

    [Theory]
    [InlineData(ApplicationSchedulingMode.ThreadPool)]
    [InlineData(ApplicationSchedulingMode.Inline)]
    public async Task GracefulStopCompletesTheRequestInFlight(ApplicationSchedulingMode mode)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await EpollTestServer.StartHttpAsync(app => app.MapGet("/slow", async () =>
        {
            entered.TrySetResult();
            await release.Task;
            return "finished";
        }), t => t.ApplicationSchedulingMode = mode);

        try
        {
            using var client = await RawHttp.ConnectAsync(server.EndPoint);
            await RawHttp.SendAsync(client, RawHttp.Get("/slow"));
            await entered.Task.WaitAsync(TestTimeouts.Operation);

            var stopping = server.StopAsync();
            Assert.False(stopping.IsCompleted, "the stop must wait for the request in flight");
            release.SetResult();

            var response = await RawHttp.ReadResponseAsync(new ResponseReader(client));
            Assert.Equal(200, response.Status);
            Assert.Equal("finished", response.BodyText);
            await stopping.WaitAsync(TestTimeouts.Operation);
        }
        finally
        {
            release.TrySetResult();
            await server.DisposeAsync();
        }
    }
}
