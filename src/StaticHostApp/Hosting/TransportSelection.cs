namespace StaticHostApp.Hosting;

/// <summary>Picks Kestrel's transport from the top-level <c>Transport</c> setting.</summary>
internal static class TransportSelection
{
    /// <summary>The configuration key.</summary>
    public const string Key = "Transport";

    /// <summary>
    /// <c>epoll</c> (the default when the key is absent) puts Kestrel on the epoll transport; <c>sockets</c> keeps
    /// Kestrel's own Sockets transport, so a benchmark can compare both on the same application.
    /// </summary>
    /// <exception cref="InvalidOperationException">The setting names another transport.</exception>
    public static WebApplicationBuilder UseConfiguredTransport(this WebApplicationBuilder builder)
    {
        var transport = builder.Configuration[Key];
        if (string.IsNullOrWhiteSpace(transport) || transport.Equals("epoll", StringComparison.OrdinalIgnoreCase))
        {
            builder.WebHost.UseEpollTransport();
        }
        else if (!transport.Equals("sockets", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{Key} '{transport}' is not supported: use 'epoll' (the default) or 'sockets'.");
        }

        return builder;
    }
}
