using System.Runtime.InteropServices;
using StaticHostApp.Interop;

namespace StaticHostApp.Hosting;

/// <summary>
/// Turns SIGHUP — what <c>systemctl reload</c>, <c>kill -HUP</c> and nginx habits send — into a configuration
/// reload instead of the runtime's default for the signal, which ends the process at once.
/// </summary>
internal static partial class ReloadSignal
{
    /// <summary>
    /// Handles SIGHUP with <paramref name="reload"/> until the returned registration is disposed. Returns
    /// <see langword="null"/> where the platform has no such signal.
    /// </summary>
    public static IDisposable? Register(Action reload, ILogger logger)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return null;
        }

        // Under nohup SIGHUP is inherited as ignored, and the runtime would respect that and never call the handler.
        if (OperatingSystem.IsLinux() && SignalDisposition.ResetIfIgnored(SignalDisposition.SIGHUP))
        {
            LogWasIgnored(logger);
        }

        return PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Cancel keeps the process alive (the default action of SIGHUP is to terminate).
            context.Cancel = true;
            LogReceived(logger);
            try
            {
                reload();
            }
#pragma warning disable CA1031 // An exception escaping a signal handler ends the process: what SIGHUP must not do.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                // For instance a configuration file that cannot be parsed: the running configuration stays.
                LogFailed(logger, exception.Message, exception.InnerException?.Message ?? string.Empty);
            }
        });
    }

    [LoggerMessage(3, LogLevel.Information, "SIGHUP was inherited as ignored (nohup); handling it anyway (reloads the configuration)")]
    private static partial void LogWasIgnored(ILogger logger);

    [LoggerMessage(1, LogLevel.Information, "SIGHUP received: reloading the configuration and reopening the access log")]
    private static partial void LogReceived(ILogger logger);

    // The messages without the stack: the operator needs to know which file and why, not where in the runtime.
    [LoggerMessage(2, LogLevel.Error, "Configuration reload failed, the previous configuration keeps serving: {Reason} {Detail}")]
    private static partial void LogFailed(ILogger logger, string reason, string detail);
}
