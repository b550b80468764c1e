// Loaded into a .NET server by bench/run.sh through DOTNET_STARTUP_HOOKS. On SIGUSR2 it writes
// GC.GetTotalAllocatedBytes(precise: true) (bytes allocated by every thread since the process started) to the file
// named by BENCH_ALLOCATION_FILE, through a temporary file and a rename so the reader never sees a partial number.
// The script signals right before and right after a counted run, outside the measured window; between signals the
// probe does nothing (the runtime's own signal thread delivers the signal, no thread or timer of its own).
// With BENCH_ALLOCATION_SOURCES_FILE set as well (or alone), the same signals start and write a tally of where the
// bytes came from (AllocationSources.cs; used by bench/allocation-sources.sh).
using System.Globalization;
using System.Runtime.InteropServices;

#pragma warning disable CA1050 // The runtime finds a startup hook only as a type named StartupHook in the global namespace.
internal static class StartupHook
#pragma warning restore CA1050
{
    // SIGUSR2 on Linux (every architecture .NET runs on); PosixSignal has no member for it, raw numbers are accepted.
    private const int SigUsr2 = 12;

    // Kept reachable for the life of the process: disposing the registration (or losing it to the GC) unregisters it.
    private static PosixSignalRegistration? s_registration;
    private static AllocationSources? s_sources;

    public static void Initialize()
    {
        string? path = Environment.GetEnvironmentVariable("BENCH_ALLOCATION_FILE");
        string? sourcesPath = Environment.GetEnvironmentVariable("BENCH_ALLOCATION_SOURCES_FILE");
        if (string.IsNullOrEmpty(path) && string.IsNullOrEmpty(sourcesPath))
        {
            return;
        }

        if (!string.IsNullOrEmpty(sourcesPath))
        {
            s_sources = new AllocationSources(sourcesPath);
        }

        s_registration = PosixSignalRegistration.Create((PosixSignal)SigUsr2, context =>
        {
            // Without this the signal's default action (terminate) would follow the handler.
            context.Cancel = true;
            if (!string.IsNullOrEmpty(path))
            {
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                string temporary = path + ".tmp";
                File.WriteAllText(temporary, allocated.ToString(CultureInfo.InvariantCulture) + "\n");
                File.Move(temporary, path, overwrite: true);
            }

            s_sources?.Toggle();
        });
    }
}
