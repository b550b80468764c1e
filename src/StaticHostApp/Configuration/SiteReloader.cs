using Microsoft.Extensions.Primitives;
using StaticHostApp.Sites;

namespace StaticHostApp.Configuration;

/// <summary>
/// Applies changes of the <c>StaticHost</c> configuration section to a running server: when the configuration
/// reloads (appsettings.json saved, or SIGHUP), the section is read as a new <see cref="ConfigurationVersion"/>, by the
/// same path as at start-up, and, if valid, built into a new <see cref="SiteRouterSnapshot"/> that replaces the current one.
/// An invalid change is logged with every problem and the running configuration keeps serving.
/// </summary>
/// <remarks>
/// The section is read here rather than watched through <c>IOptionsMonitor</c>: the monitor re-validates inside
/// the configuration's change callback and throws out of it on an invalid change. Server-wide settings read once at start-up (the request log, Kestrel's endpoints and
/// limits, the transport) still need a restart.
/// </remarks>
internal sealed partial class SiteReloader : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly string _contentRoot;
    private readonly SiteRouter _router;
    private readonly Func<ConfigurationVersion, SiteRouterSnapshot> _build;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly IDisposable _listening;
    private string _applied;
    private string? _rejected;
    private int _forceNext;

    /// <summary>Starts listening for configuration reloads.</summary>
    /// <param name="configuration">The application's configuration (its reload token fires on every reload).</param>
    /// <param name="contentRoot">What relative site roots are resolved against.</param>
    /// <param name="router">Where new snapshots go.</param>
    /// <param name="serving">The version the router serves now (read at start-up).</param>
    /// <param name="build">Builds a snapshot from a valid version.</param>
    /// <param name="logger">Where applied and rejected reloads are reported.</param>
    public SiteReloader(
        IConfiguration configuration,
        string contentRoot,
        SiteRouter router,
        ConfigurationVersion serving,
        Func<ConfigurationVersion, SiteRouterSnapshot> build,
        ILogger<SiteReloader> logger)
    {
        _configuration = configuration;
        _contentRoot = contentRoot;
        _router = router;
        _build = build;
        _logger = logger;
        _applied = serving.Fingerprint;
        _listening = ChangeToken.OnChange(configuration.GetReloadToken, () => Apply(force: Interlocked.Exchange(ref _forceNext, 0) == 1));
    }

    /// <summary>
    /// Re-reads every configuration source (what SIGHUP asks for) and applies the section even if it is unchanged.
    /// The reload raises the change callback synchronously, which then does the forced apply; without a
    /// reloadable configuration root the apply happens here.
    /// </summary>
    public void ReloadConfiguration()
    {
        Volatile.Write(ref _forceNext, 1);
        if (_configuration is IConfigurationRoot root)
        {
            root.Reload();
        }

        if (Interlocked.Exchange(ref _forceNext, 0) == 1)
        {
            Apply(force: true);
        }
    }

    /// <summary>
    /// Re-reads the section and applies it. Without <paramref name="force"/>, a section already applied or already
    /// rejected (another section changed, or the file watcher reported one save twice) is ignored; SIGHUP forces a
    /// rebuild, as an operator asking for a reload expects.
    /// </summary>
    /// <returns><see langword="true"/> when a new configuration is serving.</returns>
    public bool Apply(bool force)
    {
        lock (_gate)
        {
            var version = ConfigurationVersion.Read(_configuration, _contentRoot);
            // The file watcher reports one save several times; each distinct content is applied or rejected once.
            if (!force && (version.Fingerprint == _applied || version.Fingerprint == _rejected))
            {
                return false;
            }

            _rejected = version.Fingerprint; // until it is applied below
            if (version.Errors.Count > 0 || version.Catalog is not { } catalog)
            {
                LogRejected(_logger, string.Join(" ", version.Errors));
                return false;
            }

            SiteRouterSnapshot next;
            try
            {
                next = _build(version);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                // A root that vanished (or cannot be opened) between the check and the build. The build has disposed
                // whatever it had created (file providers, their caches and timers): a failed reload leaves nothing.
                LogRejected(_logger, exception.Message);
                return false;
            }

            try
            {
                _router.Replace(next);
            }
            catch (ObjectDisposedException)
            {
                return false; // the application stopped while this reload was being built
            }

            _applied = version.Fingerprint;
            _rejected = null;
            LogApplied(_logger, catalog.Sites.Count, string.Join(", ", catalog.Sites.Select(static s => s.Name)));
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listening.Dispose();

    [LoggerMessage(1, LogLevel.Information, "Configuration reloaded: serving {Count} sites ({Sites})")]
    private static partial void LogApplied(ILogger logger, int count, string sites);

    [LoggerMessage(2, LogLevel.Error, "Configuration reload rejected, the previous configuration keeps serving: {Problems}")]
    private static partial void LogRejected(ILogger logger, string problems);
}
