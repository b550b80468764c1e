using System.Net;

namespace StaticHostApp.Logging;

/// <summary>
/// What one request contributes to the access log, captured when its response has been handed to the server.
/// Only references and numbers: formatting happens on the log's writer, off the request path.
/// </summary>
/// <param name="CompletedUtc">When the request finished.</param>
/// <param name="RemoteAddress">The client's address, or <see langword="null"/> when the server has none (TestServer).</param>
/// <param name="Method">The request method.</param>
/// <param name="Target">The request target as the client sent it (path and query, not decoded).</param>
/// <param name="Protocol">The protocol, e.g. <c>HTTP/1.1</c>.</param>
/// <param name="Status">The status code sent, or 499 when the client went away before the response started.</param>
/// <param name="BodyBytes">Response body bytes sent (see <see cref="ResponseBytesCounter"/>).</param>
/// <param name="Referer">The Referer header, if any.</param>
/// <param name="UserAgent">The User-Agent header, if any.</param>
/// <param name="Site">The site that served the request, or <see langword="null"/> when none did (421).</param>
internal readonly record struct RequestLogEntry(
    DateTime CompletedUtc,
    IPAddress? RemoteAddress,
    string Method,
    string Target,
    string Protocol,
    int Status,
    long BodyBytes,
    string? Referer,
    string? UserAgent,
    string? Site);
