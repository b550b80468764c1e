namespace StaticHostApp.Configuration;

/// <summary>The line format of the access log (<c>StaticHost:RequestLog:Format</c>).</summary>
public enum RequestLogFormat
{
    /// <summary>W3C extended log format, written by ASP.NET Core's W3C logger (fields chosen by <c>Fields</c>).</summary>
    W3C,

    /// <summary>
    /// nginx's <c>combined</c> format, readable by tools built for nginx and Apache logs, with the site appended
    /// as a quoted field unless each site has its own file (see <see cref="RequestLogOptions.PerSiteFiles"/>).
    /// </summary>
    Combined,
}
