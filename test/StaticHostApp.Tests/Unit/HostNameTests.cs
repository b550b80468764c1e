using StaticHostApp.Sites;

namespace StaticHostApp.Tests.Unit;

public sealed class HostNameTests
{
    [Theory]
    [InlineData("Example.Test", "example.test")]
    [InlineData("example.test.", "example.test")]
    [InlineData("  docs.test ", "docs.test")]
    [InlineData("bücher.test", "xn--bcher-kva.test")]
    [InlineData("XN--BCHER-KVA.test", "xn--bcher-kva.test")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("[FE80::1]", "[fe80::1]")]
    public void ConfiguredNamesAreNormalised(string configured, string expected)
    {
        Assert.True(HostName.TryNormalizeConfigured(configured, out var normalized, out var error), error);
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData(".", "is empty")]
    [InlineData("example.test:8080", "without a port")]
    [InlineData("exa mple.test", "not a valid host name")]
    [InlineData("a/b.test", "not a valid host name")]
    [InlineData("[::1", "bracketed IPv6")]
    [InlineData("[nope]", "bracketed IPv6")]
    public void UnusableConfiguredNamesAreRejectedWithAReason(string configured, string reason)
    {
        Assert.False(HostName.TryNormalizeConfigured(configured, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example.test", "example.test")]
    [InlineData("example.test:8080", "example.test")]
    [InlineData("example.test.", "example.test")]
    [InlineData("example.test.:443", "example.test")]
    [InlineData("example.test..", "example.test.")]
    [InlineData("[::1]:8080", "[::1]")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("", "")]
    [InlineData(":80", "")]
    public void RequestHostsLosePortAndOneTrailingDot(string host, string expected) =>
        Assert.Equal(expected, HostName.StripPortAndDot(host).ToString());

    [Fact]
    public void NonAsciiRequestHostsMapToPunycode()
    {
        Assert.Equal("xn--bcher-kva.test", HostName.ToAsciiOrNull("bücher.test"));
        Assert.Null(HostName.ToAsciiOrNull("example.test"));
    }
}
