using Microsoft.AspNetCore.Http.Features;
using StaticHostApp.Sites;

namespace StaticHostApp.Logging;

/// <summary>
/// Queues one <c>combined</c> access log line per request, after the response has been handed to the server.
/// The request pays for a body-byte counter and a queue slot; formatting and file writes happen on the writer.
/// </summary>
internal sealed class RequestLogMiddleware(RequestDelegate next, RequestLogWriter writer)
{
    /// <summary>nginx's status for a request whose client closed the connection before the response started.</summary>
    public const int ClientClosedRequest = 499;

    /// <summary>Runs the request and queues its line.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        // Read before the request runs: DefaultFiles rewrites the path, and the log records what the client asked.
        // Kestrel keeps the request target as received; other servers (TestServer) may not have it.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            target = context.Request.Path.Value + context.Request.QueryString.Value;
        }

        var original = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var counter = new ResponseBytesCounter(original);
        context.Features.Set<IHttpResponseBodyFeature>(counter);
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            context.Features.Set(original);
            writer.Queue.TryEnqueue(Capture(context, target, counter.BytesWritten, failed));
        }
    }

    private static RequestLogEntry Capture(HttpContext context, string target, long bytesWritten, bool failed)
    {
        var request = context.Request;
        var response = context.Response;
        var status = response.StatusCode;
        if (failed && !response.HasStarted)
        {
            status = StatusCodes.Status500InternalServerError; // what the server will send for the exception
        }
        else if (context.RequestAborted.IsCancellationRequested && !response.HasStarted)
        {
            status = ClientClosedRequest;
        }

        // The server sends no body for these, whatever the application wrote.
        var hasBody = !HttpMethods.IsHead(request.Method)
            && status is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified) and >= 200;
        return new RequestLogEntry(
            DateTime.UtcNow,
            context.Connection.RemoteIpAddress,
            request.Method,
            target,
            request.Protocol,
            status,
            hasBody ? bytesWritten : 0,
            request.Headers.Referer,
            request.Headers.UserAgent,
            context.Features.Get<ISiteFeature>()?.SiteName);
    }
}
