using System.Net;
using StaticHostApp.Logging;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Unit;

public sealed class CombinedFormatTests
{
    private static readonly DateTime Completed = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    private static string Format(RequestLogEntry entry, bool withSite = true, TimeZoneInfo? zone = null)
    {
        using var output = new StringWriter();
        CombinedFormat.Write(output, entry, withSite, new LocalTimeFormat(zone ?? TimeZoneInfo.Utc));
        return output.ToString();
    }

    private static RequestLogEntry Entry(string target = "/a.css?v=1", string? referer = "https://ref.test/", string? agent = "curl/8", string? site = "example.test") =>
        new(Completed, IPAddress.Parse("192.0.2.7"), "GET", target, "HTTP/1.1", 200, 1234, referer, agent, site);

    [Fact]
    public void WritesTheCombinedFieldsInOrderWithTheSiteLast()
    {
        var text = Format(Entry());

        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var line = CombinedLogFormat.Parse(text.TrimEnd('\n'));
        Assert.Equal(
            new CombinedLine("192.0.2.7", new DateTimeOffset(Completed), "GET", "/a.css?v=1", "HTTP/1.1", 200, 1234, "https://ref.test/", "curl/8", "example.test"),
            line);
    }

    [Fact]
    public void PerSiteFilesGetStrictCombinedLinesWithoutTheSiteField()
    {
        var line = CombinedLogFormat.Parse(Format(Entry(), withSite: false).TrimEnd('\n'));

        Assert.Null(line.Site);
        Assert.Equal(1234, line.Bytes);
    }

    [Fact]
    public void MissingValuesAreADashAsInNginx()
    {
        var entry = Entry(referer: null, agent: "", site: null) with { RemoteAddress = null };

        var line = CombinedLogFormat.Parse(Format(entry).TrimEnd('\n'));

        Assert.Equal(("-", "-", "-", "-"), (line.Address, line.Referer, line.UserAgent, line.Site));
    }

    [Fact]
    public void TimeIsWrittenInTheGivenZoneWithItsOffsetAndEnglishMonth()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("minus-seven-thirty", TimeSpan.FromMinutes(-450), "test", "test");
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("fr-FR");
        try
        {
            var text = Format(Entry(), zone: zone);

            Assert.Contains("[03/Mar/2026:21:36:07 -0730]", text, StringComparison.Ordinal);
            Assert.Equal(new DateTimeOffset(Completed), CombinedLogFormat.Parse(text.TrimEnd('\n')).Time);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData("Mozilla \"quoted\"", "Mozilla \\x22quoted\\x22")]
    [InlineData("back\\slash", "back\\x5Cslash")]
    [InlineData("new\nline\r\ttab", "new\\x0Aline\\x0D\\x09tab")]
    [InlineData("del\x7f", "del\\x7F")]
    [InlineData("caf\u00e9 \U0001F600", "caf\\xC3\\xA9 \\xF0\\x9F\\x98\\x80")]
    public void ClientSuppliedValuesAreEscapedSoALineCannotBeSplitOrForged(string agent, string written)
    {
        var text = Format(Entry(agent: agent, referer: agent));

        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var line = CombinedLogFormat.Parse(text.TrimEnd('\n'));
        Assert.Equal(written, line.UserAgent);
        Assert.Equal(written, line.Referer);
        Assert.Equal("example.test", line.Site);
    }
}
