using System.Globalization;
using System.Text.RegularExpressions;

namespace StaticHostApp.Tests.Infrastructure;

/// <summary>
/// The usual regular expression log tools use for nginx's <c>combined</c> format, and a parsed line. Written from
/// nginx's definition of the format, not from the app's code, so the tests check the app against the format.
/// </summary>
public static partial class CombinedLogFormat
{
    /// <summary>
    /// <c>$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"</c>,
    /// optionally followed by one more quoted field (the site).
    /// </summary>
    [GeneratedRegex("""^(?<addr>\S+) - (?<user>\S+) \[(?<time>[^\]]+)\] "(?<method>[A-Z]+) (?<target>[^ "]+) (?<protocol>HTTP/[0-9.]+)" (?<status>[0-9]{3}) (?<bytes>[0-9]+) "(?<referer>[^"]*)" "(?<agent>[^"]*)"(?: "(?<site>[^"]*)")?$""")]
    public static partial Regex Line();

    /// <summary>Parses a line; fails the test when it does not match the format.</summary>
    public static CombinedLine Parse(string line)
    {
        var match = Line().Match(line);
        Assert.True(match.Success, $"Not a combined log line: '{line}'");
        var time = match.Groups["time"].Value;
        var offset = TimeSpan.ParseExact(time[^4..], "hhmm", CultureInfo.InvariantCulture);
        var local = DateTime.ParseExact(time[..^6], "dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture);
        return new CombinedLine(
            match.Groups["addr"].Value,
            new DateTimeOffset(local, time[^5] == '-' ? -offset : offset),
            match.Groups["method"].Value,
            match.Groups["target"].Value,
            match.Groups["protocol"].Value,
            int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups["bytes"].Value, CultureInfo.InvariantCulture),
            match.Groups["referer"].Value,
            match.Groups["agent"].Value,
            match.Groups["site"].Success ? match.Groups["site"].Value : null);
    }

    /// <summary>Reads a log file another process may still be writing; one entry per non-empty line.</summary>
    public static string[] ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}

/// <summary>One parsed combined log line.</summary>
public sealed record CombinedLine(
    string Address,
    DateTimeOffset Time,
    string Method,
    string Target,
    string Protocol,
    int Status,
    long Bytes,
    string Referer,
    string UserAgent,
    string? Site);
