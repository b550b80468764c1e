namespace StaticHostApp.Tests.Infrastructure;

/// <summary>What this process's open descriptors refer to, read from <c>/proc/self/fd</c>.</summary>
public static class Descriptors
{
    /// <summary>
    /// The targets of this process's descriptors that are <paramref name="target"/> or lie below it, also once they
    /// were deleted (the kernel then appends " (deleted)").
    /// </summary>
    public static List<string> Referring(string target)
    {
        var found = new List<string>();
        foreach (var link in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(link).LinkTarget is { } pointsTo &&
                    (pointsTo == target || pointsTo == target + " (deleted)" || pointsTo.StartsWith(target + "/", StringComparison.Ordinal)))
                {
                    found.Add(pointsTo);
                }
            }
            catch (IOException)
            {
                // Closed while being listed.
            }
        }

        return found;
    }
}
