using Microsoft.AspNetCore.HttpLogging;

namespace StaticHostApp.Sites;

/// <summary>The access log (<c>StaticHost:RequestLog</c>): one W3C extended-format line per request, written to a file.</summary>
public sealed class RequestLogOptions
{
    /// <summary>
    /// Whether requests are logged. Defaults to <see langword="true"/>. The W3C logger writes from a background
    /// queue in batches, so leaving it on is cheap; turn it off for benchmarks with
    /// <c>--StaticHost:RequestLog:Enabled=false</c>.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Directory of the log files, absolute or relative to the content root. Defaults to <c>logs</c>.</summary>
    public string Directory { get; set; } = "logs";

    /// <summary>File name prefix; the logger appends a sequence number and <c>.txt</c>. Defaults to <c>access</c>.</summary>
    public string FileName { get; set; } = "access";

    /// <summary>
    /// The fields written per request, as a comma-separated list of <see cref="W3CLoggingFields"/> names.
    /// Defaults to date, time, client address, host, method, path, query, status, protocol, time taken, user agent and referer.
    /// </summary>
    public W3CLoggingFields Fields { get; set; } =
        W3CLoggingFields.Date | W3CLoggingFields.Time | W3CLoggingFields.ClientIpAddress | W3CLoggingFields.Host |
        W3CLoggingFields.Method | W3CLoggingFields.UriStem | W3CLoggingFields.UriQuery | W3CLoggingFields.ProtocolStatus |
        W3CLoggingFields.ProtocolVersion | W3CLoggingFields.TimeTaken | W3CLoggingFields.UserAgent | W3CLoggingFields.Referer;

    /// <summary>How often queued lines are written to the file. Defaults to one second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
