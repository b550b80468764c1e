using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace EpollTransport.Http;

/// <summary>
/// When a response body may go out as a file region instead of through Kestrel's body writer: the region must map
/// byte for byte onto body bytes Kestrel writes unchanged, on a connection whose output is the transport's own.
/// </summary>
internal static class ZeroCopyEligibility
{
    /// <summary>The reason the file must be copied instead, or null when a file region can carry it.</summary>
    public static string? WhyNot(HttpContext context, IConnectionSendFileFeature files, long? count)
    {
        var request = context.Request;
        var response = context.Response;
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol))
        {
            return "protocol"; // HTTP/2 and HTTP/3 frame the body themselves.
        }

        if (HttpMethods.IsHead(request.Method))
        {
            return "head";
        }

        if (HasNoBody(response))
        {
            return "status";
        }

        if (response.HasStarted)
        {
            return "started";
        }

        if (response.ContentLength is not { } contentLength || IsFramed(response))
        {
            return "no-content-length";
        }

        if (count is { } length && length != contentLength)
        {
            return "length-mismatch";
        }

        if (context.Features.Get<ITlsConnectionFeature>() is not null || context.Features.Get<ITlsHandshakeFeature>() is not null)
        {
            return "tls";
        }

        return files.CanSendFile ? null : "wrapped-transport";
    }

    /// <summary>
    /// The reason a response that was eligible no longer is once started: OnStarting callbacks may have changed its
    /// status or framing, and stand-ins would then be framed or refused.
    /// </summary>
    public static string? WhyNotAfterStart(HttpResponse response, long length)
    {
        if (HasNoBody(response))
        {
            return "status";
        }

        return response.ContentLength != length || IsFramed(response) ? "changed-on-start" : null;
    }

    /// <summary>
    /// Whether a response that fell back for <paramref name="reason"/> has its bytes buffered again on their way to
    /// the socket (by TLS, an HTTP/2 stream, or a connection middleware), so a copy should fill that layer's own
    /// blocks rather than ask it for large chunks (see <see cref="SendFile.FileHandleCopy.CopyAsync"/>).
    /// </summary>
    public static bool IsBufferedOnTheWay(string reason) => reason is "tls" or "protocol" or "wrapped-transport";

    private static bool HasNoBody(HttpResponse response) =>
        response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status304NotModified;

    /// <summary>A Transfer-Encoding makes Kestrel frame the body (chunks), so stand-ins would not map to file bytes.</summary>
    private static bool IsFramed(HttpResponse response) =>
        response.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.TransferEncoding);
}
