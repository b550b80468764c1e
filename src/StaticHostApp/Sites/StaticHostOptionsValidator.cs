using Microsoft.Extensions.Options;

namespace StaticHostApp.Sites;

/// <summary>
/// Fails start-up (through ValidateOnStart) with one message per configuration problem: a missing root, a host
/// claimed twice, a <c>DefaultSite</c> naming no site, no sites at all, and so on.
/// </summary>
internal sealed class StaticHostOptionsValidator(IHostEnvironment environment) : IValidateOptions<StaticHostOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, StaticHostOptions options)
    {
        var catalog = SiteCatalog.Read(options, environment.ContentRootPath);
        return catalog.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(catalog.Errors);
    }
}
