namespace StaticHostApp.Tests.Infrastructure;

/// <summary>Builds the flat configuration keys the app reads (the same keys a command line would use).</summary>
public sealed class Settings : Dictionary<string, string?>
{
    private int _sites;

    /// <summary>Settings with the request log off, which most tests do not look at.</summary>
    public Settings()
        : base(StringComparer.OrdinalIgnoreCase)
    {
        this["StaticHost:RequestLog:Enabled"] = "false";
    }

    /// <summary>Adds <c>StaticHost:Sites:N</c> with its hosts and root.</summary>
    public Settings Site(string root, params string[] hosts)
    {
        var index = _sites++;
        this[$"StaticHost:Sites:{index}:Root"] = root;
        for (var i = 0; i < hosts.Length; i++)
        {
            this[$"StaticHost:Sites:{index}:Hosts:{i}"] = hosts[i];
        }

        return this;
    }

    /// <summary>Sets one key.</summary>
    public Settings With(string key, string? value)
    {
        this[key] = value;
        return this;
    }
}
