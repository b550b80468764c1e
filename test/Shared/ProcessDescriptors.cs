namespace SharedTestInfrastructure;

/// <summary>The process's descriptor table, read from <c>/proc/self/fd</c>.</summary>
public static class ProcessDescriptors
{
    /// <summary>Open descriptors of this process and what each refers to, without the one used to list them.</summary>
    public static Dictionary<int, string> Snapshot() => Snapshot("self");

    /// <summary>Open descriptors of the process <paramref name="processId"/> and what each refers to.</summary>
    public static Dictionary<int, string> Snapshot(int processId) =>
        Snapshot(processId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static Dictionary<int, string> Snapshot(string process)
    {
        var result = new Dictionary<int, string>();
        foreach (var path in Directory.GetFiles($"/proc/{process}/fd"))
        {
            try
            {
                var target = new FileInfo(path).LinkTarget;
                if (target is not null)
                {
                    result[int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture)] = target;
                }
            }
            catch (IOException)
            {
                // Closed between the listing and the read (for this process: the descriptor used for the listing).
            }
        }

        return result;
    }

    /// <summary>
    /// The targets of this process's descriptors that are <paramref name="target"/> or lie below it, also once they
    /// were deleted (the kernel then appends " (deleted)").
    /// </summary>
    public static List<string> Referring(string target) =>
        Snapshot().Values
            .Where(pointsTo => pointsTo == target || pointsTo == target + " (deleted)" || pointsTo.StartsWith(target + "/", StringComparison.Ordinal))
            .ToList();

    /// <summary>
    /// Whether a descriptor is of a kind the transport opens: sockets, epoll instances and eventfds. (Hosts also
    /// open and close inotify instances for configuration reloads on their own schedule; those are not the
    /// transport's.)
    /// </summary>
    public static bool IsTransportKind(string target) =>
        target.StartsWith("socket:", StringComparison.Ordinal)
        || target == "anon_inode:[eventpoll]"
        || target == "anon_inode:[eventfd]";

    /// <summary>What is open in <paramref name="after"/> and was not in <paramref name="before"/>.</summary>
    public static string Describe(Dictionary<int, string> before, Dictionary<int, string> after) =>
        string.Join(", ", after.Where(e => !before.TryGetValue(e.Key, out var target) || target != e.Value).Select(e => $"{e.Key} -> {e.Value}"));
}
