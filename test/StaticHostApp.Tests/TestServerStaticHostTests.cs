using Microsoft.AspNetCore.Http;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>The shared cases on the in-memory TestServer, plus what only an un-normalising server can send.</summary>
public sealed class TestServerStaticHostTests() : StaticHostTests(ServerKind.TestServer)
{
    [Fact]
    public async Task DotSegmentsThatReachTheAppAreRejectedWith400()
    {
        // TestServer, unlike Kestrel, hands the path over without removing dot segments, so the app's own guard is
        // all that stands between these and the file system.
        await using var host = StartStandard();
        string[] paths =
        [
            "/../secret.txt", "/sub/../../secret.txt", "/./file.txt", "/..", "/sub/..", "/..\\secret.txt", "/x\\..\\..\\secret.txt",
            "/secret.txt\0.css", "/\u0001file.txt",
        ];

        foreach (var path in paths)
        {
            var context = await host.TestServer.SendAsync(c =>
            {
                c.Request.Method = HttpMethods.Get;
                c.Request.Host = new HostString("example.test");
                c.Request.Path = new PathString(path);
            });

            Assert.True(context.Response.StatusCode == StatusCodes.Status400BadRequest, $"{path}: {context.Response.StatusCode}");
            using var reader = new StreamReader(context.Response.Body);
            Assert.DoesNotContain(Sites.Secret, await reader.ReadToEndAsync(), StringComparison.Ordinal);
        }
    }
}
