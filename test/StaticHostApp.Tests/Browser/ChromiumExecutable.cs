namespace StaticHostApp.Tests.Browser;

/// <summary>
/// Finds the Chromium the browser tests drive: the program named by the <c>CHROMIUM_PATH</c> environment variable,
/// else <c>chromium</c> (Debian's package) or <c>chromium-browser</c> on the PATH.
/// </summary>
public static class ChromiumExecutable
{
    /// <summary>The environment variable that names a Chromium (or Chrome) executable explicitly.</summary>
    public const string OverrideVariable = "CHROMIUM_PATH";

    private static readonly string[] Names = ["chromium", "chromium-browser"];
    private static readonly Lazy<string?> Found = new(Locate);

    /// <summary>The executable's full path, or null when none is installed.</summary>
    public static string? Path => Found.Value;

    /// <summary>Why the browser tests are skipped when <see cref="Path"/> is null.</summary>
    public static string MissingReason =>
        $"No Chromium found ({OverrideVariable} is unset and neither 'chromium' nor 'chromium-browser' is on the PATH). " +
        "Install Debian's chromium package (apt-get install chromium) to run the browser tests; .ci/run installs it.";

    private static string? Locate()
    {
        var explicitPath = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            // Named on purpose: a wrong name must not quietly turn into a skip.
            return IsExecutable(explicitPath)
                ? explicitPath
                : throw new FileNotFoundException($"{OverrideVariable} names '{explicitPath}', which is no executable file.");
        }

        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return Names
            .SelectMany(name => directories.Select(directory => System.IO.Path.Combine(directory, name)))
            .FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
