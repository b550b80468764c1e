using StaticHostApp.Sites;

namespace StaticHostApp.Configuration;

/// <summary>
/// Reads <see cref="StaticHostOptions"/> into <see cref="SiteDefinition"/>s, collecting every configuration problem
/// as a message that names the offending key. Read once per configuration version, by <see cref="ConfigurationVersion"/>.
/// </summary>
internal sealed class SiteCatalog
{
    /// <summary>
    /// The longest open-file cache validity: its sweep runs on a timer of that period, and timers take at most
    /// 4,294,967,294 ms (49.7 days).
    /// </summary>
    public static readonly TimeSpan MaxCacheValidity = TimeSpan.FromDays(49);

    /// <summary>The longest flush interval of the access log: the writer waits that long, and waits take at most int.MaxValue ms (24.8 days).</summary>
    public static readonly TimeSpan MaxFlushInterval = TimeSpan.FromDays(24);

    private SiteCatalog(IReadOnlyList<SiteDefinition> sites, SiteDefinition? defaultSite, IReadOnlyList<string> errors)
    {
        Sites = sites;
        DefaultSite = defaultSite;
        Errors = errors;
    }

    /// <summary>The sites, in configuration order.</summary>
    public IReadOnlyList<SiteDefinition> Sites { get; }

    /// <summary>The site unknown hosts fall back to, if any.</summary>
    public SiteDefinition? DefaultSite { get; }

    /// <summary>Configuration problems; empty when the configuration is usable.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Reads the options. Relative roots are resolved against <paramref name="contentRoot"/>.</summary>
    public static SiteCatalog Read(StaticHostOptions options, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var sites = new List<SiteDefinition>();
        var owners = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var byHost = new Dictionary<string, SiteDefinition>(StringComparer.OrdinalIgnoreCase);
        const string Section = StaticHostOptions.SectionName;

        if (options.Sites.Count == 0)
        {
            errors.Add($"{Section}:Sites is empty: configure at least one site, " +
                $"e.g. {Section}:Sites:0:Hosts:0=example.test and {Section}:Sites:0:Root=www/example.");
        }

        for (var i = 0; i < options.Sites.Count; i++)
        {
            var site = options.Sites[i];
            var key = $"{Section}:Sites:{i}";
            var hosts = new List<string>();

            if (site.Hosts.Count == 0)
            {
                errors.Add($"{key}:Hosts is empty: a site needs at least one host name.");
            }

            for (var j = 0; j < site.Hosts.Count; j++)
            {
                if (!HostName.TryNormalizeConfigured(site.Hosts[j], out var host, out var problem))
                {
                    errors.Add($"{key}:Hosts:{j} '{site.Hosts[j]}' {problem}.");
                }
                else if (owners.TryGetValue(host, out var owner))
                {
                    errors.Add(owner == i
                        ? $"Host '{host}' is listed twice in {key}:Hosts."
                        : $"Host '{host}' is claimed by two sites: {Section}:Sites:{owner} and {key}.");
                }
                else
                {
                    owners.Add(host, i);
                    hosts.Add(host);
                }
            }

            var root = ResolveRoot(site.Root, contentRoot, key, errors);
            var rules = SiteRules.Resolve(options, site, key, errors);
            if (root is not null && hosts.Count > 0)
            {
                var definition = new SiteDefinition(hosts[0], hosts, root, site.RedirectToHttps, rules);
                sites.Add(definition);
                foreach (var host in hosts)
                {
                    byHost.Add(host, definition);
                }
            }
        }

        SiteDefinition? defaultSite = null;
        if (!string.IsNullOrWhiteSpace(options.DefaultSite))
        {
            if (!HostName.TryNormalizeConfigured(options.DefaultSite, out var name, out var problem))
            {
                errors.Add($"{Section}:DefaultSite '{options.DefaultSite}' {problem}.");
            }
            else if (!byHost.TryGetValue(name, out defaultSite) && !owners.ContainsKey(name))
            {
                var known = owners.Count == 0 ? "none is configured" : "one of " + string.Join(", ", owners.Keys);
                errors.Add($"{Section}:DefaultSite '{options.DefaultSite}' names no site: it must be a host of a configured site ({known}).");
            }
        }

        if (options.HttpsPort is < 1 or > 65535)
        {
            errors.Add($"{Section}:HttpsPort {options.HttpsPort} is not a TCP port (1-65535).");
        }

        if (options.OpenFileCache.Validity < TimeSpan.Zero || options.OpenFileCache.Validity > MaxCacheValidity)
        {
            errors.Add($"{Section}:OpenFileCache:Validity {options.OpenFileCache.Validity} is out of range: " +
                $"zero (off) up to {MaxCacheValidity.TotalDays} days.");
        }

        if (options.OpenFileCache.CheckInterval < TimeSpan.Zero || options.OpenFileCache.CheckInterval > MaxCacheValidity)
        {
            errors.Add($"{Section}:OpenFileCache:CheckInterval {options.OpenFileCache.CheckInterval} is out of range: " +
                $"zero (check on every hit) up to {MaxCacheValidity.TotalDays} days.");
        }

        if (options.OpenFileCache.MaxFiles < 1)
        {
            errors.Add($"{Section}:OpenFileCache:MaxFiles {options.OpenFileCache.MaxFiles} is out of range: at least 1.");
        }

        ValidateRequestLog(options.RequestLog, errors);
        return new SiteCatalog(sites, defaultSite, errors);
    }

    /// <summary>Resolves a configured root against the content root (absolute roots are kept).</summary>
    public static string ResolvePath(string configured, string contentRoot) =>
        Path.GetFullPath(configured, contentRoot);

    private static string? ResolveRoot(string? configured, string contentRoot, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            errors.Add($"{key}:Root is not set: a site needs a directory to serve.");
            return null;
        }

        string root;
        try
        {
            root = ResolvePath(configured, contentRoot);
        }
        catch (ArgumentException)
        {
            errors.Add($"{key}:Root '{configured}' is not a valid path.");
            return null;
        }

        if (Directory.Exists(root))
        {
            return root;
        }

        errors.Add(File.Exists(root)
            ? $"{key}:Root '{root}' is a file, not a directory."
            : $"{key}:Root: the directory '{root}' does not exist.");
        return null;
    }

    private static void ValidateRequestLog(RequestLogOptions log, List<string> errors)
    {
        const string Key = StaticHostOptions.SectionName + ":RequestLog";
        if (!log.Enabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(log.Directory))
        {
            errors.Add($"{Key}:Directory is empty.");
        }

        if (string.IsNullOrWhiteSpace(log.FileName))
        {
            errors.Add($"{Key}:FileName is empty.");
        }

        if (log.FlushInterval <= TimeSpan.Zero || log.FlushInterval > MaxFlushInterval)
        {
            errors.Add($"{Key}:FlushInterval {log.FlushInterval} is out of range: it must be positive and at most {MaxFlushInterval.TotalDays} days.");
        }

        if (log.QueueCapacity < 1)
        {
            errors.Add($"{Key}:QueueCapacity must be at least 1.");
        }
    }
}
