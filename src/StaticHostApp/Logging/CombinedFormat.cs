using System.Globalization;
using System.Text;

namespace StaticHostApp.Logging;

/// <summary>
/// Writes an <see cref="RequestLogEntry"/> as one line of nginx's <c>combined</c> log format:
/// <code>$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"</code>
/// optionally followed by <c> "$site"</c>. Quoted values are escaped the way nginx escapes them (<c>"</c>, <c>\</c>,
/// control characters and every byte of a non-ASCII character as <c>\xHH</c>), so a line can never be split or
/// forged by what a client sends.
/// </summary>
internal static class CombinedFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes the line, with its newline.</summary>
    /// <param name="output">Where the line goes.</param>
    /// <param name="entry">The request.</param>
    /// <param name="withSite">Append the site as a quoted last field (one file for every site).</param>
    /// <param name="time">Formats <c>$time_local</c> (in the server's local zone, as nginx does).</param>
    public static void Write(TextWriter output, in RequestLogEntry entry, bool withSite, LocalTimeFormat time)
    {
        output.Write(entry.RemoteAddress?.ToString() ?? "-");
        output.Write(" - - [");
        output.Write(time.Format(entry.CompletedUtc));
        output.Write("] \"");
        WriteEscaped(output, entry.Method);
        output.Write(' ');
        WriteEscaped(output, entry.Target);
        output.Write(' ');
        WriteEscaped(output, entry.Protocol);
        output.Write("\" ");
        output.Write(entry.Status.ToString(Invariant));
        output.Write(' ');
        output.Write(entry.BodyBytes.ToString(Invariant));
        output.Write(' ');
        WriteQuoted(output, entry.Referer);
        output.Write(' ');
        WriteQuoted(output, entry.UserAgent);
        if (withSite)
        {
            output.Write(' ');
            WriteQuoted(output, entry.Site);
        }

        output.Write('\n');
    }

    private static void WriteQuoted(TextWriter output, string? value)
    {
        output.Write('"');
        if (string.IsNullOrEmpty(value))
        {
            output.Write('-');
        }
        else
        {
            WriteEscaped(output, value);
        }

        output.Write('"');
    }

    private static void WriteEscaped(TextWriter output, string value)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is >= ' ' and < '\x7f' and not '"' and not '\\')
            {
                output.Write(c);
                continue;
            }

            if (c < '\x80')
            {
                WriteHex(output, (byte)c);
                continue;
            }

            // Non-ASCII: escape the UTF-8 bytes, as nginx escapes the raw bytes it received.
            var length = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                ? Encoding.UTF8.GetBytes(value.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            foreach (var b in utf8[..length])
            {
                WriteHex(output, b);
            }
        }
    }

    private static void WriteHex(TextWriter output, byte value)
    {
        output.Write("\\x");
        output.Write(value.ToString("X2", Invariant));
    }
}
