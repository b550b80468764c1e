using Microsoft.AspNetCore.HttpLogging;

namespace StaticHostApp.Configuration;

/// <summary>
/// The access log (<c>StaticHost:RequestLog</c>): one line per request, in W3C extended format or nginx's
/// <c>combined</c> format, written to files from a background queue. Read at start-up; a reload does not change it.
/// </summary>
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

    /// <summary>The line format. Defaults to <see cref="RequestLogFormat.W3C"/>.</summary>
    public RequestLogFormat Format { get; set; } = RequestLogFormat.W3C;

    /// <summary>
    /// File name prefix. Defaults to <c>access</c>. The W3C logger appends a sequence number and <c>.txt</c>; the
    /// combined log writes <c>access.log</c>, or <c>access.{site}.log</c> per site with <see cref="PerSiteFiles"/>.
    /// </summary>
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

    /// <summary>
    /// Combined format only: one file per site, each line strictly nginx's <c>combined</c> format, instead of one file
    /// whose lines end with the site's name as an extra quoted field. Requests no site served (421) go to the
    /// shared file. Defaults to <see langword="false"/>.
    /// </summary>
    public bool PerSiteFiles { get; set; }

    /// <summary>
    /// Combined format only: how many lines may wait for the writer. When the disk falls this far behind, further
    /// lines are dropped (and counted in a warning) rather than slowing requests down. Defaults to 65,536.
    /// </summary>
    public int QueueCapacity { get; set; } = 65_536;
}
