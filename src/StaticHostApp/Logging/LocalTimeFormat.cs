using System.Globalization;

namespace StaticHostApp.Logging;

/// <summary>
/// Formats nginx's <c>$time_local</c>, <c>10/Oct/2000:13:55:36 -0700</c>, with English month names whatever the
/// server's culture. Lines of the same second share one string: the writer formats a timestamp once per second
/// rather than once per line. Not thread-safe; the log's single writer owns it.
/// </summary>
internal sealed class LocalTimeFormat(TimeZoneInfo timeZone)
{
    private long _second = -1;
    private string _formatted = string.Empty;

    /// <summary>The timestamp of <paramref name="utc"/> in the zone.</summary>
    public string Format(DateTime utc)
    {
        var second = utc.Ticks / TimeSpan.TicksPerSecond;
        if (second != _second)
        {
            var offset = timeZone.GetUtcOffset(utc);
            var local = utc + offset;
            var absolute = offset.Duration();
            _formatted = string.Create(
                CultureInfo.InvariantCulture,
                $"{local:dd/MMM/yyyy:HH:mm:ss} {(offset < TimeSpan.Zero ? '-' : '+')}{(absolute.Hours * 100) + absolute.Minutes:D4}");
            _second = second;
        }

        return _formatted;
    }
}
