using StaticHostApp.Files;
using StaticHostApp.Middleware;

namespace StaticHostApp.Tests.Unit;

public sealed class PathGuardTests
{
    [Theory]
    [InlineData("/..")]
    [InlineData("/../etc/passwd")]
    [InlineData("/a/../../b")]
    [InlineData("/a/..")]
    [InlineData("/.")]
    [InlineData("/./a")]
    [InlineData("/a/./b")]
    [InlineData("/a\\b")]
    [InlineData("/..\\x")]
    [InlineData("/a\0b")]
    [InlineData("/a\nb")]
    [InlineData("/a\u007fb")]
    public void HostilePathsAreRejected(string path) => Assert.True(PathGuardMiddleware.IsHostile(path));

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/index.html")]
    [InlineData("/a/b/c.css")]
    [InlineData("/.well-known/x")]
    [InlineData("/a/..b")]
    [InlineData("/a/b..")]
    [InlineData("/...")]
    [InlineData("/a%2e%2e/b")]
    [InlineData("/bücher/ü.html")]
    public void OrdinaryPathsPass(string path) => Assert.False(PathGuardMiddleware.IsHostile(path));

    [Theory]
    [InlineData("/.hidden", true)]
    [InlineData("/.git/config", true)]
    [InlineData("/a/.env", true)]
    [InlineData("/a/..", true)]
    [InlineData(".x", true)]
    [InlineData("/a/b.c/d.e", false)]
    [InlineData("/index.html", false)]
    [InlineData("/a./b", false)]
    public void DotSegmentsAreHidden(string path, bool hidden) => Assert.Equal(hidden, HiddenPaths.HasHiddenSegment(path));

    [Theory]
    [InlineData("//index.html", "/index.html")]
    [InlineData("/d//x.txt", "/d/x.txt")]
    [InlineData("///a////b/", "/a/b/")]
    [InlineData("/a/b", "/a/b")]
    public void RunsOfSlashesMergeIntoOne(string path, string merged) => Assert.Equal(merged, PathGuardMiddleware.MergeSlashes(path));
}
