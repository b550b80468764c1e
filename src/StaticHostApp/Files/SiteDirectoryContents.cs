using System.Collections;
using Microsoft.Extensions.FileProviders;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Files;

/// <summary>
/// A directory <see cref="SiteFileProvider"/> has found by opening it. Answering <see cref="Exists"/> (all that
/// DefaultFiles asks) costs nothing more. Enumerating (the directory listing) opens the directory again, confined
/// like any request path, and reads the entries of that descriptor through its <c>/proc/self/fd</c> link, so what is
/// listed is the directory that was checked, whatever its path names meanwhile.
/// </summary>
/// <remarks>
/// Only what a request for it would serve is listed: each entry is opened as its request path would be
/// (<paramref name="describe"/>: confined, on the descriptor), and only readable regular files and directories are
/// kept, with the size and time of what would be served (a link's target, not the link). Left out: hidden (dot)
/// entries, FIFOs, sockets, devices, files the server may not read, and links leading out of the root unless the
/// site follows them.
/// </remarks>
internal sealed class SiteDirectoryContents(Func<SafeFileHandle?> openDirectory, string directoryPath, SiteFileProvider.Describer describe) : IDirectoryContents
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
        var prefix = directoryPath.EndsWith('/') ? directoryPath : directoryPath + "/";
        foreach (var entry in link.EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            var access = describe(prefix + entry.Name, out var status, false);
            if (access is PathAccess.File or PathAccess.Directory)
            {
                bool isDirectory = access == PathAccess.Directory;
                entries.Add(new ListedEntry(entry.Name, isDirectory ? -1 : status.Length, status.LastModified, isDirectory));
            }
        }

        return entries.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A listed entry: what a listing shows, nothing that could be opened by path.</summary>
    private sealed class ListedEntry(string name, long length, DateTimeOffset lastModified, bool isDirectory) : IFileInfo
    {
        public bool Exists => true;

        public long Length => length;

        public string? PhysicalPath => null;

        public string Name => name;

        public DateTimeOffset LastModified => lastModified;

        public bool IsDirectory => isDirectory;

        public Stream CreateReadStream() => throw new NotSupportedException("Listed entries are not opened; request them by path.");
    }
}
