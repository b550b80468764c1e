using System.Text;
using Microsoft.Extensions.Primitives;

namespace StaticHostApp.Sites;

/// <summary>
/// Applies changes of the <c>StaticHost</c> configuration section to a running server: when the configuration
/// reloads (appsettings.json saved, or SIGHUP), the section is bound afresh, checked with the same rules as at
/// start-up and, if valid, built into a new <see cref="SiteRouterSnapshot"/> that replaces the current one.
/// An invalid change is logged with every problem and the running configuration keeps serving.
/// </summary>
/// <remarks>
/// The section is bound here rather than watched through <c>IOptionsMonitor</c>: the monitor re-validates inside
/// the configuration's change callback and throws out of it on an invalid change, so the application's options
/// are bound once without a change token (see <see cref="StaticHostServiceCollectionExtensions"/>) and this class
/// does the checking. Server-wide settings read once at start-up (the request log, Kestrel's endpoints and
/// limits, the transport) still need a restart.
/// </remarks>
internal sealed partial class SiteReloader : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly string _contentRoot;
    private readonly ReloadableSiteRouter _router;
    private readonly Func<SiteCatalog, StaticHostOptions, SiteRouterSnapshot> _build;
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
    /// <param name="build">Builds a snapshot from a valid catalog and its options.</param>
    /// <param name="logger">Where applied and rejected reloads are reported.</param>
    public SiteReloader(
        IConfiguration configuration,
        string contentRoot,
        ReloadableSiteRouter router,
        Func<SiteCatalog, StaticHostOptions, SiteRouterSnapshot> build,
        ILogger<SiteReloader> logger)
    {
        _configuration = configuration;
        _contentRoot = contentRoot;
        _router = router;
        _build = build;
        _logger = logger;
        _applied = Fingerprint(configuration.GetSection(StaticHostOptions.SectionName));
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
            var section = _configuration.GetSection(StaticHostOptions.SectionName);
            var fingerprint = Fingerprint(section);
            // The file watcher reports one save several times; each distinct content is applied or rejected once.
            if (!force && (fingerprint == _applied || fingerprint == _rejected))
            {
                return false;
            }

            _rejected = fingerprint; // until it is applied below

            var options = new StaticHostOptions();
            try
            {
                section.Bind(options);
            }
            catch (InvalidOperationException exception)
            {
                LogRejected(_logger, exception.Message);
                return false;
            }

            var catalog = SiteCatalog.Read(options, _contentRoot);
            if (catalog.Errors.Count > 0)
            {
                LogRejected(_logger, string.Join(" ", catalog.Errors));
                return false;
            }

            SiteRouterSnapshot next;
            try
            {
                next = _build(catalog, options);
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

            _applied = fingerprint;
            _rejected = null;
            LogApplied(_logger, catalog.Sites.Count, string.Join(", ", catalog.Sites.Select(static s => s.Name)));
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listening.Dispose();

    /// <summary>Every key and value of the section, in key order: equal text means an unchanged section.</summary>
    private static string Fingerprint(IConfigurationSection section)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in section.AsEnumerable().OrderBy(static pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return text.ToString();
    }

    [LoggerMessage(1, LogLevel.Information, "Configuration reloaded: serving {Count} sites ({Sites})")]
    private static partial void LogApplied(ILogger logger, int count, string sites);

    [LoggerMessage(2, LogLevel.Error, "Configuration reload rejected, the previous configuration keeps serving: {Problems}")]
    private static partial void LogRejected(ILogger logger, string problems);
}
