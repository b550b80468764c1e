using System.Runtime.InteropServices;

namespace StaticHostApp.Hosting;

/// <summary>
/// Turns SIGUSR1 into "reopen the access log", nginx's meaning, so log rotation set up for nginx
/// (<c>postrotate kill -USR1 ...</c>) works unchanged. Without a handler the signal would end the process.
/// </summary>
internal static partial class LogReopenSignal
{
    /// <summary>SIGUSR1's number on Linux; PosixSignal names only the signals every platform shares.</summary>
    private const int LinuxSigUsr1 = 10;

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

        return PosixSignalRegistration.Create((PosixSignal)LinuxSigUsr1, context =>
        {
            context.Cancel = true;
            reopen();
            LogReopening(logger);
        });
    }

    [LoggerMessage(1, LogLevel.Information, "SIGUSR1 received: reopening the access log")]
    private static partial void LogReopening(ILogger logger);
}
