using System.Globalization;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>CPU time of this process's threads by name, from /proc/self/task/*/stat (clock ticks, user + system).</summary>
internal static class ThreadCpu
{
    /// <summary>The summed CPU ticks of every thread of this process named <paramref name="threadName"/>.</summary>
    public static long TicksOf(string threadName)
    {
        long total = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // The thread exited meanwhile.
            }

            // "tid (comm) state ppid ...": the name may contain spaces, so split after the last ')'.
            int open = stat.IndexOf('(', StringComparison.Ordinal);
            int close = stat.LastIndexOf(')');
            if (stat[(open + 1)..close] != threadName)
            {
                continue;
            }

            var fields = stat[(close + 2)..].Split(' ');
            // After the name: state is field 3 of stat(5), utime field 14 and stime field 15.
            total += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        return total;
    }

    /// <summary>The ticks <paramref name="threadName"/> used over <paramref name="window"/> of wall-clock time.</summary>
    public static async Task<long> TicksOverAsync(string threadName, TimeSpan window)
    {
        long before = TicksOf(threadName);
        await Task.Delay(window);
        return TicksOf(threadName) - before;
    }
}
