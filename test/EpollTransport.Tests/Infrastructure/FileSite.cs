using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.FileProviders;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>A temporary directory of files for static-file tests; deleted on dispose.</summary>
internal sealed class FileSite : IDisposable
{
    public FileSite()
    {
        Root = Path.Combine(Path.GetTempPath(), $"epoll-site-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes a file of deterministic pseudo-random bytes; returns its SHA-256 (hex).</summary>
    public string AddFile(string name, long length)
    {
        string path = Path.Combine(Root, name);
        using (var file = File.Create(path))
        {
            new PatternStream(length).CopyTo(file);
        }

        using var read = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(read));
    }

    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>Maps <see cref="TestApp"/>'s endpoints and serves this site's files with UseStaticFiles.</summary>
    public void ServeWithTestEndpoints(WebApplication app)
    {
        TestApp.MapEndpoints(app);
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Root) });
    }

    /// <summary>
    /// GETs /<paramref name="name"/> from <paramref name="server"/> on a new connection and asserts it arrives
    /// with status 200 and exactly the bytes whose SHA-256 is <paramref name="hash"/>.
    /// </summary>
    public static async Task AssertServedIntactAsync(IPEndPoint server, string name, string hash)
    {
        using var client = await RawHttp.ConnectAsync(server);
        await RawHttp.SendAsync(client, RawHttp.Get("/" + name));
        var response = await RawHttp.ReadResponseAsync(new ResponseReader(client));

        Assert.Equal(200, response.Status);
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(response.Body)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
