using Microsoft.Win32.SafeHandles;
using static EpollTransport.Interop.Errno;
using static EpollTransport.Interop.LinuxConstants;
using static StaticHostApp.Interop.FileCalls;

namespace StaticHostApp.Files;

/// <summary>
/// One directory a <see cref="SiteRoot"/> has opened: its <c>O_PATH</c> descriptor, its canonical path (for the rare
/// link that openat2 cannot follow, see <see cref="SiteFileProvider"/>), and its identity.
/// </summary>
/// <param name="Handle">The descriptor files are opened beneath.</param>
/// <param name="RealPath">The canonical path of the directory the descriptor names.</param>
/// <param name="Device">The directory's device.</param>
/// <param name="Inode">The directory's inode.</param>
internal sealed record RootDirectory(SafeFileHandle Handle, string RealPath, ulong Device, ulong Inode)
{
    private const int MaxBeneathAttempts = 4;

    /// <summary><see cref="RealPath"/> without a trailing slash: empty when the root is "/".</summary>
    public string RealPathPrefix { get; } = RealPath.TrimEnd('/');

    /// <summary>Opens the directory <paramref name="path"/> names; its path and identity come from the descriptor.</summary>
    /// <exception cref="DirectoryNotFoundException">The path cannot be opened as a directory.</exception>
    public static RootDirectory Open(string path)
    {
        var handle = OpenDirectoryPath(path);
        try
        {
            // Both from the opened descriptor, so they describe the same directory even if the path switches now.
            var real = Interop.FileCalls.RealPath($"/proc/self/fd/{handle.DangerousGetHandle()}", out var errno);
            if (real is null || (errno = Stat(handle, out var status)) != 0)
            {
                throw new DirectoryNotFoundException($"The site root '{path}' cannot be resolved (errno {errno}).");
            }

            return new RootDirectory(handle, real, status.Device, status.Inode);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="status"/> describes this directory.</summary>
    public bool Is(in FileStatus status) => status.Device == Device && status.Inode == Inode;

    /// <summary>
    /// Opens <paramref name="relative"/> beneath this directory with openat2 and <paramref name="resolve"/>; the
    /// descriptor, or -1 with the errno. EXDEV (a symbolic link that is absolute or climbs out) gets one more chance:
    /// realpath, confinement by prefix, then an open of the resolved path, which has no ".." left, with no symbolic
    /// link allowed, so a link swapped in after realpath fails (ELOOP) instead of leading out.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The root switched and this directory's descriptor was closed.</exception>
    public int OpenConfined(string relative, int flags, ulong resolve, out int errno)
    {
        // With RESOLVE_BENEATH the kernel answers EAGAIN when a ".." component (inside a symbolic link's target) was
        // walked while a rename or mount happened anywhere on the system: it cannot prove the ".." stayed inside.
        // Retry a few times; a system busy renaming all the time still gets an answer from the path below.
        int fd;
        int attempt = 0;
        do
        {
            fd = OpenBeneath(Handle, relative, flags, resolve, out errno);
        }
        while (fd < 0 && errno == EAGAIN && ++attempt < MaxBeneathAttempts);

        if (fd >= 0 || errno is not (EXDEV or EAGAIN))
        {
            return fd;
        }

        var resolved = Interop.FileCalls.RealPath(RealPathPrefix + "/" + relative, out errno);
        if (resolved is null)
        {
            return -1;
        }

        if (!Contains(resolved))
        {
            errno = EXDEV;
            return -1;
        }

        var inside = resolved.Length == RealPath.Length ? "." : resolved[(RealPathPrefix.Length + 1)..];
        return OpenBeneath(Handle, inside, flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, out errno);
    }

    private bool Contains(string resolved) =>
        resolved.StartsWith(RealPath, StringComparison.Ordinal) &&
        (resolved.Length == RealPath.Length || resolved[RealPath.Length] == '/' || RealPath == "/");
}
