using System.Text;
using Microsoft.Extensions.Options;

namespace StaticHostApp.Configuration;

/// <summary>
/// One version of the <c>StaticHost</c> configuration section, bound and checked once: the options, the site catalog
/// read from them, and every problem found. Start-up and reload both get their configuration here (<see cref="Read"/>),
/// so the section is bound and the catalog read by one path, once per version.
/// </summary>
internal sealed class ConfigurationVersion
{
    /// <summary>Every key and value of the section, in key order: equal text means an unchanged section.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The section as bound (defaults where it could not be bound: see <see cref="Errors"/>).</summary>
    public required StaticHostOptions Options { get; init; }

    /// <summary>The sites of this version; <see langword="null"/> when the section could not be bound.</summary>
    public SiteCatalog? Catalog { get; init; }

    /// <summary>Configuration problems, each naming its key; empty when this version can serve.</summary>
    public required IReadOnlyList<string> Errors { get; init; }

    /// <summary>
    /// Binds the <c>StaticHost</c> section of <paramref name="configuration"/> as it is now and reads its sites,
    /// resolving relative paths against <paramref name="contentRoot"/>.
    /// </summary>
    public static ConfigurationVersion Read(IConfiguration configuration, string contentRoot)
    {
        var section = configuration.GetSection(StaticHostOptions.SectionName);
        var fingerprint = FingerprintOf(section);
        var options = new StaticHostOptions();
        try
        {
            // Bound without a change token: a reload reads a new version itself (see SiteReloader) instead of having
            // an options monitor re-validate, and throw, inside the configuration's change callback.
            section.Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            return new ConfigurationVersion { Fingerprint = fingerprint, Options = new StaticHostOptions(), Errors = [exception.Message] };
        }

        var catalog = SiteCatalog.Read(options, contentRoot);
        return new ConfigurationVersion { Fingerprint = fingerprint, Options = options, Catalog = catalog, Errors = catalog.Errors };
    }

    /// <summary>The catalog of a version without problems; otherwise throws one exception naming every problem.</summary>
    /// <exception cref="OptionsValidationException">The version has problems.</exception>
    public SiteCatalog Validated() =>
        Errors.Count == 0 && Catalog is not null
            ? Catalog
            : throw new OptionsValidationException(StaticHostOptions.SectionName, typeof(StaticHostOptions), Errors);

    private static string FingerprintOf(IConfigurationSection section)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in section.AsEnumerable().OrderBy(static pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return text.ToString();
    }
}
