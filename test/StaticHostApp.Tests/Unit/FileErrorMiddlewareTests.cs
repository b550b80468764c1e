using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using StaticHostApp.Middleware;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Unit;

/// <summary>
/// The exception mapping of a site's branch. Real EACCES and ENOENT are covered end to end elsewhere; an arbitrary
/// I/O failure (EIO, EMFILE, ...) cannot be provoked on demand from a test, so it is thrown here by the next middleware.
/// </summary>
public sealed class FileErrorMiddlewareTests
{
    private readonly LogRecorder _logs = new();

    [Fact]
    public async Task OtherIoErrorsBecome500LoggedWithSiteAndPathAndNoDetailsToTheClient()
    {
        var context = NewContext("/docs/page.html");
        var middleware = Create(_ => throw new IOException("Input/output error : /srv/www/docs/page.html"));

        await middleware.InvokeAsync(context);

        Assert.Equal(StatusCodes.Status500InternalServerError, context.Response.StatusCode);
        Assert.Equal(0, context.Response.Body.Length);
        var entry = Assert.Single(_logs.All, e => e.Level == LogLevel.Error);
        Assert.Contains("docs.test", entry.Message, StringComparison.Ordinal);
        Assert.Contains("/docs/page.html", entry.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(entry.Exception);
    }

    [Fact]
    public async Task PermissionDeniedBecomes403AndClearsHeadersAlreadySet()
    {
        var context = NewContext("/secret.html");
        var middleware = Create(c =>
        {
            c.Response.ContentLength = 123;
            c.Response.Headers.ETag = "\"abc\"";
            throw new UnauthorizedAccessException("Access to the path '/srv/secret.html' is denied.");
        });

        await middleware.InvokeAsync(context);

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.Null(context.Response.ContentLength);
        Assert.False(context.Response.Headers.ContainsKey("ETag"));
        Assert.Contains(_logs.All, e => e.Level == LogLevel.Warning && e.Message.Contains("docs.test /secret.html", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFileThatVanishedBecomes404()
    {
        var context = NewContext("/gone.html");
        await Create(_ => throw new FileNotFoundException("gone")).InvokeAsync(context);
        Assert.Equal(StatusCodes.Status404NotFound, context.Response.StatusCode);
        Assert.DoesNotContain(_logs.All, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task FailureAfterTheResponseStartedAbortsTheConnection()
    {
        var context = NewContext("/big.bin");
        var lifetime = new AbortRecorder();
        context.Features.Set<IHttpResponseFeature>(new StartedResponse());
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);

        await Create(_ => throw new IOException("EIO")).InvokeAsync(context);

        Assert.True(lifetime.Aborted);
        Assert.Contains(_logs.All, e => e.Level == LogLevel.Error && e.Message.Contains("/big.bin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AClientResetAfterTheResponseStartedIsLoggedAtDebugOnlyAndDoesNotAbortAgain()
    {
        var context = NewContext("/big.bin");
        var lifetime = new AbortRecorder();
        context.Features.Set<IHttpResponseFeature>(new StartedResponse());
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);

        await Create(_ => throw new IOException("write failed", new ConnectionResetException("Connection reset by peer"))).InvokeAsync(context);

        Assert.False(lifetime.Aborted);
        Assert.DoesNotContain(_logs.All, e => e.Level > LogLevel.Debug);
        Assert.Contains(_logs.All, e => e.Level == LogLevel.Debug && e.Message.Contains("/big.bin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACancellationBeforeRequestAbortedIsSignalledIsADisconnectNotAnError()
    {
        // Kestrel marks the request aborted first and cancels the token later, on the thread pool.
        var context = NewContext("/big.bin");
        await Create(_ => throw new ConnectionAbortedException("The client disconnected.")).InvokeAsync(context);

        Assert.DoesNotContain(_logs.All, e => e.Level > LogLevel.Debug);
    }

    private static DefaultHttpContext NewContext(string path)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private FileErrorMiddleware Create(RequestDelegate next) =>
        new(next, "docs.test", new LoggerFactory([_logs]).CreateLogger<FileErrorMiddleware>());

    private sealed class StartedResponse : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }

    private sealed class AbortRecorder : IHttpRequestLifetimeFeature
    {
        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }
}
