using Microsoft.Extensions.FileProviders;

namespace StaticHostApp.Files;

/// <summary>
/// A readable regular file <see cref="SiteFileProvider"/> has already checked, described by the one statx(2) that
/// checked it, so serving it costs no further look-up (a <see cref="Microsoft.Extensions.FileProviders.Physical.PhysicalFileInfo"/>
/// would stat the path again). <see cref="PhysicalPath"/> is set so that <c>HttpResponse.SendFileAsync</c> hands the
/// path to the server's send-file feature (the transport's sendfile(2)) instead of copying a stream.
/// </summary>
internal sealed class SiteFileInfo(string physicalPath, long length, DateTimeOffset lastModified) : IFileInfo
{
    /// <inheritdoc />
    public bool Exists => true;

    /// <inheritdoc />
    public long Length => length;

    /// <inheritdoc />
    public string PhysicalPath => physicalPath;

    /// <inheritdoc />
    public string Name => Path.GetFileName(physicalPath);

    /// <inheritdoc />
    public DateTimeOffset LastModified => lastModified;

    /// <inheritdoc />
    public bool IsDirectory => false;

    /// <inheritdoc />
    public Stream CreateReadStream() =>
        new FileStream(physicalPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
