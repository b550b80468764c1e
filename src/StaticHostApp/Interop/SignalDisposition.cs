using System.Runtime.InteropServices;

namespace StaticHostApp.Interop;

/// <summary>
/// A signal's disposition as inherited from the parent process. .NET's <c>PosixSignalRegistration</c> respects an
/// inherited "ignore" (it installs no handler, so that child processes keep ignoring the signal too), which makes
/// a handler registered under <c>nohup</c> (SIGHUP ignored) never run. nginx installs its handlers whatever it
/// inherited; resetting an ignored signal to the default before registering does the same here.
/// </summary>
internal static unsafe partial class SignalDisposition
{
    /// <summary>SIGHUP on Linux.</summary>
    public const int SIGHUP = 1;

    /// <summary>SIGUSR1 on Linux (x86-64 and arm64).</summary>
    public const int SIGUSR1 = 10;

    // struct sigaction is 152 bytes on x86-64 and arm64 glibc; the buffer leaves room for any layout. Its first
    // member is the handler (sa_handler, in a union with sa_sigaction), which is all that is read.
    private const int SigactionBufferSize = 256;
    private static readonly nint SigDfl = 0;
    private static readonly nint SigIgn = 1;
    private static readonly nint SigErr = -1;

    /// <summary>
    /// Sets <paramref name="signal"/> back to its default disposition if it is ignored; true when it was ignored
    /// (and now is not). Call it just before registering a handler: between the two the default (ending the
    /// process) applies, as it does to a process that did not inherit the ignore.
    /// </summary>
    public static bool ResetIfIgnored(int signal)
    {
        byte* current = stackalloc byte[SigactionBufferSize];
        if (sigaction(signal, null, current) != 0 || *(nint*)current != SigIgn)
        {
            return false;
        }

        return SetHandler(signal, SigDfl) != SigErr;
    }

#pragma warning disable IDE1006 // libc's own names
    [LibraryImport("libc", SetLastError = true)]
    private static partial int sigaction(int signal, byte* action, byte* previous);

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static partial nint SetHandler(int signal, nint handler);
#pragma warning restore IDE1006
}
