using System.Collections;
using Microsoft.Extensions.FileProviders;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Files;

/// <summary>
/// A directory <see cref="SiteFileProvider"/> has found by opening it. Answering <see cref="Exists"/> (all that
/// DefaultFiles asks) costs nothing more. Enumerating (the directory listing) opens the directory again, confined
/// like any request path, and reads the entries of that descriptor through its <c>/proc/self/fd</c> link, so what is
/// listed is the directory that was checked, whatever its path names meanwhile. Hidden (dot) entries are left out.
/// </summary>
internal sealed class SiteDirectoryContents(Func<SafeFileHandle?> openDirectory) : IDirectoryContents
{
    /// <inheritdoc />
    public bool Exists => true;

    /// <inheritdoc />
    public IEnumerator<IFileInfo> GetEnumerator()
    {
        using var directory = openDirectory();
        if (directory is null)
        {
            return Enumerable.Empty<IFileInfo>().GetEnumerator();
        }

        // The entries are read while the descriptor is open; the link names exactly that open directory.
        var entries = new List<IFileInfo>();
        var link = new DirectoryInfo($"/proc/self/fd/{directory.DangerousGetHandle()}");
        foreach (var entry in link.EnumerateFileSystemInfos())
        {
            if (!entry.Name.StartsWith('.'))
            {
                entries.Add(new ListedEntry(entry.Name, entry is FileInfo file ? file.Length : -1, entry.LastWriteTimeUtc, entry is DirectoryInfo));
            }
        }

        return entries.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A listed entry: what a listing shows, nothing that could be opened by path.</summary>
    private sealed class ListedEntry(string name, long length, DateTime lastModifiedUtc, bool isDirectory) : IFileInfo
    {
        public bool Exists => true;

        public long Length => length;

        public string? PhysicalPath => null;

        public string Name => name;

        public DateTimeOffset LastModified => lastModifiedUtc;

        public bool IsDirectory => isDirectory;

        public Stream CreateReadStream() => throw new NotSupportedException("Listed entries are not opened; request them by path.");
    }
}
