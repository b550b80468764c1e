using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using StaticHostApp.Logging;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Unit;

public sealed class RequestLogMiddlewareTests : IDisposable
{
    private readonly SiteSandbox _sandbox = new();

    private async Task<CombinedLine> LogOneAsync(RequestDelegate next, Action<DefaultHttpContext>? prepare = null, bool expectThrow = false)
    {
        var writer = new RequestLogWriter(_sandbox["logs"], "access", false, 16, TimeSpan.FromHours(1), TimeZoneInfo.Utc, NullLogger.Instance);
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/page";
        context.Request.Protocol = "HTTP/1.1";
        prepare?.Invoke(context);
        var middleware = new RequestLogMiddleware(next, writer);
        if (expectThrow)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => middleware.InvokeAsync(context));
        }
        else
        {
            await middleware.InvokeAsync(context);
        }

        await writer.DisposeAsync();
        return CombinedLogFormat.Parse(Assert.Single(CombinedLogFormat.ReadLines(_sandbox["logs/access.log"])));
    }

    [Fact]
    public async Task AnExceptionBeforeTheResponseStartedIsLoggedAsThe500TheServerSends()
    {
        var line = await LogOneAsync(_ => throw new InvalidOperationException("boom"), expectThrow: true);

        Assert.Equal((500, 0L), (line.Status, line.Bytes));
    }

    [Fact]
    public async Task AClientGoneBeforeTheResponseIsLoggedAs499LikeNginx()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();

        var line = await LogOneAsync(_ => Task.CompletedTask, c => c.RequestAborted = aborted.Token);

        Assert.Equal(499, line.Status);
    }

    [Fact]
    public async Task BytesWrittenThroughTheStreamAndThePipeWriterAreBothCounted()
    {
        var line = await LogOneAsync(async c =>
        {
            await c.Response.Body.WriteAsync(new byte[100]);
            c.Response.Body.Write(new byte[10], 0, 10);
            await c.Response.BodyWriter.WriteAsync(new byte[1000]);
            c.Response.BodyWriter.GetSpan(5)[..5].Clear();
            c.Response.BodyWriter.Advance(5);
        });

        Assert.Equal((200, 1115L), (line.Status, line.Bytes));
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();
}
