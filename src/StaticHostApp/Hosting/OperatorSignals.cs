namespace StaticHostApp.Hosting;

/// <summary>
/// What an operator's signals do while the application runs: SIGHUP reopens the request log's files and reloads the
/// configuration, SIGUSR1 only reopens the files (log rotation). Disposing unregisters both handlers.
/// </summary>
internal sealed class OperatorSignals : IDisposable
{
    private readonly IDisposable? _reload;
    private readonly IDisposable? _reopen;

    private OperatorSignals(IDisposable? reload, IDisposable? reopen)
    {
        _reload = reload;
        _reopen = reopen;
    }

    /// <summary>Registers the handlers: <paramref name="reopenLog"/> for both signals, <paramref name="reloadConfiguration"/> for SIGHUP.</summary>
    public static OperatorSignals Register(Action reopenLog, Action reloadConfiguration, ILoggerFactory loggers)
    {
        var reload = ReloadSignal.Register(
            () =>
            {
                reopenLog();
                reloadConfiguration();
            },
            loggers.CreateLogger(typeof(ReloadSignal)));
        var reopen = LogReopenSignal.Register(reopenLog, loggers.CreateLogger(typeof(LogReopenSignal)));
        return new OperatorSignals(reload, reopen);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _reopen?.Dispose();
        _reload?.Dispose();
    }
}
