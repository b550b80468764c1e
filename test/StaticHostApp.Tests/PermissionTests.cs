using System.Net;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Real EACCES from the file system → 403, never 500. Permission bits do not stop root, so when the tests run as
/// root the server runs as 'nobody' (setpriv); otherwise as the current user, whom mode 000 stops just the same.
/// </summary>
public sealed class PermissionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;
    private readonly SiteSandbox _sandbox = new();

    [Fact]
    public async Task UnreadableFileAndUnsearchableDirectoryAre403AndLoggedWithSiteAndPath()
    {
        _sandbox.WriteFile("site/public.html", "PUBLIC");
        _sandbox.WriteFile("site/denied.html", "DENIED-CONTENT");
        _sandbox.WriteFile("site/locked/index.html", "LOCKED-INDEX");
        _sandbox.WriteFile("site/locked/page.html", "LOCKED-PAGE");
        _sandbox.WriteFile("site/closed/index.html", "CLOSED-INDEX");
        _sandbox.WriteFile("site/searchonly/index.html", "SEARCHONLY-INDEX");
        _sandbox.Chmod("site/denied.html", UnixFileMode.None);
        _sandbox.Chmod("site/locked", UnixFileMode.None);
        _sandbox.Chmod("site/closed/index.html", UnixFileMode.None);
        _sandbox.Chmod("site/searchonly", UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        string[] args =
        [
            "--StaticHost:Sites:0:Hosts:0=perm.test",
            "--StaticHost:Sites:0:Root=site",
            "--StaticHost:RequestLog:Enabled=false",
        ];
        await using var server = await ChildServer.StartAsync(_sandbox, args, asNobody: Environment.IsPrivilegedProcess, Timeout);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = server.Address, Timeout = Timeout };

        // The server can read what its user may read...
        Assert.Equal("PUBLIC", await GetStringAsync(client, HttpMethod.Get, "/public.html", HttpStatusCode.OK, server));

        // A directory it may search but not list still serves its index, as a directory (not a 403).
        Assert.Equal("SEARCHONLY-INDEX", await GetStringAsync(client, HttpMethod.Get, "/searchonly/", HttpStatusCode.OK, server));
        var notAllowed = await GetStringAsync(client, HttpMethod.Post, "/searchonly", HttpStatusCode.MethodNotAllowed, server);
        Assert.Empty(notAllowed);

        // ...and answers 403 to GET and HEAD where the kernel says EACCES, without leaking content.
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/denied.html"), (HttpMethod.Head, "/denied.html"),
            (HttpMethod.Get, "/locked/page.html"), (HttpMethod.Get, "/locked/"),
            (HttpMethod.Get, "/closed/"), (HttpMethod.Get, "/closed/index.html"),
        })
        {
            var body = await GetStringAsync(client, method, path, HttpStatusCode.Forbidden, server);
            Assert.DoesNotContain("DENIED-CONTENT", body, StringComparison.Ordinal);
            Assert.DoesNotContain("LOCKED", body, StringComparison.Ordinal);
            Assert.DoesNotContain("CLOSED", body, StringComparison.Ordinal);
        }

        // Missing stays 404, and the error log names the site and the path.
        await GetStringAsync(client, HttpMethod.Get, "/missing.html", HttpStatusCode.NotFound, server);
        await server.WaitForOutputAsync("Permission denied serving perm.test /denied.html", Timeout);
        await server.WaitForOutputAsync("Permission denied serving perm.test /locked/page.html", Timeout);
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    private static async Task<string> GetStringAsync(HttpClient client, HttpMethod method, string path, HttpStatusCode expected, ChildServer server)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Host = "perm.test";
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {expected}, got {response.StatusCode}. Server output:\n{server.Output}");
        return body;
    }
}
