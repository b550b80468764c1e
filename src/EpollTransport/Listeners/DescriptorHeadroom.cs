using EpollTransport.Interop;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Listeners;

/// <summary>
/// Keeps accepting from taking the last descriptors the process may open (RLIMIT_NOFILE). The runtime needs some
/// for itself (a thread-pool worker's pipe, /proc reads by the GC, files the application opens); a process that
/// runs out fails there, far from the listener, often fatally.
/// </summary>
/// <remarks>
/// Linux hands out the lowest free descriptor number, so an accepted descriptor numbered N means 0..N-1 are all in
/// use, and at most <c>limit - N</c> numbers are left: a number inside the reserve below the limit says the
/// headroom is gone, at the cost of one comparison per accept.
/// </remarks>
internal static unsafe class DescriptorHeadroom
{
    private const int MinimumReserve = 32;
    private const int MaximumReserve = 1024;

    /// <summary>The current soft limit (re-read each time: it can be changed while the process runs).</summary>
    public static long Limit
    {
        get
        {
            Libc.ResourceLimit limit;
            return Libc.GetRLimit(RLIMIT_NOFILE, &limit) == 0 ? (long)Math.Min(limit.Current, int.MaxValue) : int.MaxValue;
        }
    }

    /// <summary>How many descriptors below the limit accepting leaves alone: an eighth of it, 32 to 1024.</summary>
    public static long Reserve(long limit) => Math.Clamp(limit / 8, MinimumReserve, MaximumReserve);

    /// <summary>The lowest descriptor number that means the headroom is gone.</summary>
    public static long Threshold()
    {
        long limit = Limit;
        return limit - Reserve(limit);
    }

    /// <summary>
    /// True when the lowest free descriptor number is below <see cref="Threshold"/> again, found by duplicating
    /// <paramref name="anyOpenFd"/> (and closing the copy at once).
    /// </summary>
    public static bool IsAvailable(int anyOpenFd, long threshold)
    {
        int probe = Libc.Fcntl(anyOpenFd, F_DUPFD_CLOEXEC, 0);
        if (probe < 0)
        {
            return false;
        }

        _ = Libc.Close(probe);
        return probe < threshold;
    }
}
