using System.Runtime.InteropServices;

namespace StaticHostApp.Tests.Infrastructure;

/// <summary>The file-system operations the race and cache tests need that .NET has no single API for.</summary>
internal static partial class FileSystemCalls
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    /// <summary>Rewrites a file through its existing inode (open with O_TRUNC, write), as <c>cat new &gt; file</c> does.</summary>
    public static void OverwriteInPlace(string path, string content)
    {
        using var stream = new FileStream(path, FileMode.Truncate, FileAccess.Write);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(content));
    }

    /// <summary>
    /// Atomically exchanges two names (renameat2 with RENAME_EXCHANGE): both objects exist at every instant, so a
    /// reader sees one or the other, never neither. Works for any pair of types, a directory and a symbolic link too.
    /// </summary>
    public static void Exchange(string first, string second)
    {
        if (renameat2(AtFdCwd, first, AtFdCwd, second, RenameExchange) != 0)
        {
            throw new IOException($"renameat2({first}, {second}, RENAME_EXCHANGE) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Renames <paramref name="from"/> over <paramref name="to"/> with rename(2), replacing whatever <paramref name="to"/>
    /// names (a symbolic link too) in one step: what <c>mv -T</c> does in an atomic deploy.
    /// </summary>
    public static void Rename(string from, string to)
    {
        if (renameat2(AtFdCwd, from, AtFdCwd, to, 0) != 0)
        {
            throw new IOException($"rename({from}, {to}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Creates a FIFO.</summary>
    public static void MakeFifo(string path)
    {
        if (mkfifo(path, 0b110_100_100) != 0)
        {
            throw new IOException($"mkfifo({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

#pragma warning disable IDE1006 // libc's own names
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, uint mode);
#pragma warning restore IDE1006
}
