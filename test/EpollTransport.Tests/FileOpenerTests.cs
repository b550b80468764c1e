using EpollTransport.Interop;
using EpollTransport.Tests.Infrastructure;

namespace EpollTransport.Tests;

/// <summary>The direct open(2)+fstat(2) used for sendfile bodies: lengths, file types and error mapping.</summary>
public sealed class FileOpenerTests : IDisposable
{
    private readonly FileSite _site = new();

    public void Dispose() => _site.Dispose();

    [Theory]
    [InlineData(0L)]
    [InlineData(13L)]
    [InlineData(5L * 1024 * 1024 * 1024)]
    public void ReportsTheLengthOfARegularFile(long length)
    {
        string path = _site.PathOf("file.bin");
        using (var file = File.Create(path))
        {
            file.SetLength(length); // sparse beyond what is written
        }

        using var handle = FileOpener.OpenRegularFile(path, out long reported);
        Assert.False(handle.IsInvalid);
        Assert.Equal(length, reported);
        Assert.Equal(length, RandomAccess.GetLength(handle));
    }

    [Fact]
    public void AMissingFileIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => FileOpener.OpenRegularFile(_site.PathOf("missing"), out _));

    [Fact]
    public void AMissingDirectoryOnTheWayIsDirectoryNotFound()
    {
        File.WriteAllText(_site.PathOf("plain"), "x");
        Assert.Throws<DirectoryNotFoundException>(() => FileOpener.OpenRegularFile(Path.Combine(_site.PathOf("plain"), "below"), out _));
    }

    [Fact]
    public void ADirectoryIsRefused() =>
        Assert.Throws<UnauthorizedAccessException>(() => FileOpener.OpenRegularFile(_site.Root, out _));
}
