using System.Runtime.InteropServices;
using StaticHostApp.Interop;

namespace StaticHostApp.Hosting;

/// <summary>
/// Turns SIGUSR1 into "reopen the access log", nginx's meaning, so log rotation set up for nginx
/// (<c>postrotate kill -USR1 ...</c>) works unchanged. Without a handler the signal would end the process.
/// </summary>
internal static partial class LogReopenSignal
{
    /// <summary>
    /// Handles SIGUSR1 with <paramref name="reopen"/> until the returned registration is disposed. Returns
    /// <see langword="null"/> on platforms other than Linux, where the signal has another number.
    /// </summary>
    public static IDisposable? Register(Action reopen, ILogger logger)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // Under a parent that ignores it, the runtime would respect the ignore and never call the handler.
        if (SignalDisposition.ResetIfIgnored(SignalDisposition.SIGUSR1))
        {
            LogWasIgnored(logger);
        }

        // PosixSignal names only the signals every platform shares; others are passed by their raw number.
        return PosixSignalRegistration.Create((PosixSignal)SignalDisposition.SIGUSR1, context =>
        {
            context.Cancel = true;
            reopen();
            LogReopening(logger);
        });
    }

    [LoggerMessage(1, LogLevel.Information, "SIGUSR1 received: reopening the access log")]
    private static partial void LogReopening(ILogger logger);

    [LoggerMessage(2, LogLevel.Information, "SIGUSR1 was inherited as ignored; handling it anyway (reopens the access log)")]
    private static partial void LogWasIgnored(ILogger logger);
}
