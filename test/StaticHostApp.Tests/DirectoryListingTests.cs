using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Directory listings link every entry by its percent-encoded name, so each link leads to the entry, and list only
/// what a request would serve: no FIFO, device, unreadable file or link leading out of the root (unless the site
/// follows such links). The server runs as its own process on the epoll transport, as 'nobody' when the tests run
/// as root, so that file permissions apply.
/// </summary>
/// <remarks>Each test starts the app as a child process, which takes about two seconds.</remarks>
[Trait("Category", "Slow")]
public sealed partial class DirectoryListingTests : IDisposable
{
    private static readonly TimeSpan Timeout = TestTimeouts.Operation;
    private readonly SiteSandbox _sandbox = new();

    public DirectoryListingTests()
    {
        _sandbox.WriteFile("secret.txt", "SECRET-OUTSIDE");
        foreach (var name in new[] { "a#b.txt", "50%.txt", "sp ace?.txt", "quote\"<tag>.txt", "plain.txt", "dir with space/index.html" })
        {
            _sandbox.WriteFile("site/list/" + name, "CONTENT-" + name);
        }

        _sandbox.WriteFile("site/list/unreadable.txt", "NO");
        _sandbox.Chmod("site/list/unreadable.txt", UnixFileMode.None);
        FileSystemCalls.MakeFifo(_sandbox["site/list/pipe.txt"]);
        _sandbox.CreateSymlink("site/list/link-out.txt", "../../secret.txt");
        _sandbox.CreateSymlink("site/list/link-in.txt", "plain.txt");
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task EveryListedLinkLeadsToItsEntryAndOnlyServableEntriesAreListed()
    {
        var device = Environment.IsPrivilegedProcess && MakeCharacterDevice(_sandbox["site/list/null.txt"]);
        await using var server = await StartAsync(follow: false);
        using var client = Client(server);

        var links = await ListAsync(client);
        Assert.Equal(
            ["50%25.txt", "a%23b.txt", "dir%20with%20space/", "link-in.txt", "plain.txt", "quote%22%3Ctag%3E.txt", "sp%20ace%3F.txt"],
            links.Select(l => l.Href).Order(StringComparer.Ordinal));

        // Each link, resolved as a browser resolves it, is served: the content of the entry it names.
        foreach (var (href, _) in links)
        {
            using var response = await GetAsync(client, "/list/" + href);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{href}: {response.StatusCode}");
            Assert.StartsWith("CONTENT-", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The shown names are escaped, and a link's size is that of its target, what a request gets.
        var html = await (await GetAsync(client, "/list/")).Content.ReadAsStringAsync();
        Assert.Contains("quote&quot;&lt;tag&gt;.txt", html, StringComparison.Ordinal);
        Assert.Equal(links.Single(l => l.Href == "plain.txt").Row, links.Single(l => l.Href == "link-in.txt").Row.Replace("link-in.txt", "plain.txt", StringComparison.Ordinal));
        Assert.True(device || !Environment.IsPrivilegedProcess, "the device node could not be made");
    }

    [Fact]
    public async Task LinksOutOfTheRootAreListedWhenTheSiteFollowsThem()
    {
        await using var server = await StartAsync(follow: true);
        using var client = Client(server);

        var links = await ListAsync(client);
        Assert.Contains(links, l => l.Href == "link-out.txt");
        Assert.DoesNotContain(links, l => l.Href is "pipe.txt" or "unreadable.txt");
    }

    private async Task<ChildServer> StartAsync(bool follow) =>
        await ChildServer.StartAsync(
            _sandbox,
            [
                "--StaticHost:Sites:0:Hosts:0=list.test",
                "--StaticHost:Sites:0:Root=site",
                "--StaticHost:Sites:0:DirectoryListing=true",
                $"--StaticHost:FollowSymlinksOutsideRoot={follow}",
                "--StaticHost:RequestLog:Enabled=false",
            ],
            asNobody: Environment.IsPrivilegedProcess,
            Timeout);

    private static HttpClient Client(ChildServer server) =>
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = server.Address, Timeout = Timeout };

    private static Task<HttpResponseMessage> GetAsync(HttpClient client, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = "list.test";
        return client.SendAsync(request);
    }

    /// <summary>The links of /list/ (without the parent link) with the table row of each.</summary>
    private static async Task<List<(string Href, string Row)>> ListAsync(HttpClient client)
    {
        using var response = await GetAsync(client, "/list/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("SECRET", html, StringComparison.Ordinal);
        return Row().Matches(html)
            .Select(m => (Href: WebUtility.HtmlDecode(m.Groups["href"].Value), Row: m.Value))
            .Where(l => l.Href != "../")
            .ToList();
    }

    private static bool MakeCharacterDevice(string path)
    {
        using var mknod = Process.Start("mknod", [path, "c", "1", "3"]);
        mknod.WaitForExit();
        return mknod.ExitCode == 0;
    }

    [GeneratedRegex("""<tr><td><a href="(?<href>[^"]*)">.*?</tr>""")]
    private static partial Regex Row();
}
