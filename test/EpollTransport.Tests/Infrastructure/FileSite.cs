using System.Security.Cryptography;

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
