namespace StaticHostApp.Tests.Infrastructure;

/// <summary>
/// A throw-away directory tree for one test's site roots, under /tmp with mode 755 along the way so an unprivileged
/// child process (user 'nobody') can traverse it. Deleted, with any permission the test removed restored, on dispose.
/// </summary>
public sealed class SiteSandbox : IDisposable
{
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode FileMode = (UnixFileMode)0b110_100_100;      // 0644

    /// <summary>Creates the sandbox directory.</summary>
    public SiteSandbox()
    {
        // /tmp rather than $TMPDIR: it is world-searchable on every Linux box, which the unprivileged test needs.
        var baseDirectory = System.IO.Directory.Exists("/tmp") ? "/tmp" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(baseDirectory, "statichost-tests-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Path);
        System.IO.File.SetUnixFileMode(Path, DirectoryMode);
    }

    /// <summary>The sandbox's absolute path.</summary>
    public string Path { get; }

    /// <summary>The absolute path of <paramref name="relative"/> inside the sandbox.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Creates a directory (and its parents) with mode 755.</summary>
    public string CreateDirectory(string relative)
    {
        var full = this[relative];
        System.IO.Directory.CreateDirectory(full);
        for (var dir = full; dir.Length > Path.Length; dir = System.IO.Path.GetDirectoryName(dir)!)
        {
            System.IO.File.SetUnixFileMode(dir, DirectoryMode);
        }

        return full;
    }

    /// <summary>Writes a file with mode 644, creating its directory; optionally sets its modification time.</summary>
    public string WriteFile(string relative, string content, DateTime? modifiedUtc = null) =>
        WriteFile(relative, System.Text.Encoding.UTF8.GetBytes(content), modifiedUtc);

    /// <summary>Writes a file with mode 644, creating its directory; optionally sets its modification time.</summary>
    public string WriteFile(string relative, byte[] content, DateTime? modifiedUtc = null)
    {
        var full = this[relative];
        CreateDirectory(System.IO.Path.GetRelativePath(Path, System.IO.Path.GetDirectoryName(full)!));
        System.IO.File.WriteAllBytes(full, content);
        System.IO.File.SetUnixFileMode(full, FileMode);
        if (modifiedUtc is { } time)
        {
            System.IO.File.SetLastWriteTimeUtc(full, time);
        }

        return full;
    }

    /// <summary>Creates a symbolic link at <paramref name="relative"/> pointing at <paramref name="target"/> (kept as given).</summary>
    public string CreateSymlink(string relative, string target)
    {
        var full = this[relative];
        System.IO.File.CreateSymbolicLink(full, target);
        return full;
    }

    /// <summary>Sets the permission bits of a sandbox entry.</summary>
    public void Chmod(string relative, UnixFileMode mode) => System.IO.File.SetUnixFileMode(this[relative], mode);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            RestoreAccess(Path);
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover directory in /tmp must not fail the test that owned it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void RestoreAccess(string directory)
    {
        // Without this, a non-root run could not list or delete what a test made unreadable (mode 000).
        System.IO.File.SetUnixFileMode(directory, DirectoryMode);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                RestoreAccess(entry.FullName);
            }
            else
            {
                System.IO.File.SetUnixFileMode(entry.FullName, FileMode);
            }
        }
    }
}
