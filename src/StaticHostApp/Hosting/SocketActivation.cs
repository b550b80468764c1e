using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StaticHostApp.Hosting;

/// <summary>
/// Serves on listening sockets handed over by systemd socket activation (<c>LISTEN_FDS</c>/<c>LISTEN_PID</c>),
/// so the port stays open — and connections queue in its backlog — while the service restarts.
/// </summary>
/// <remarks>
/// Kestrel's own <see cref="KestrelServerOptionsSystemdExtensions.UseSystemd(KestrelServerOptions)"/> does the work:
/// when the variables name this process, it listens on each inherited descriptor with <c>ListenHandle</c>, which the
/// epoll transport adopts like any other endpoint; otherwise it does nothing. Configured URLs are then ignored, as
/// Kestrel logs. No package is needed for this; the Microsoft.Extensions.Hosting.Systemd package would add
/// <c>sd_notify</c> readiness (<c>Type=notify</c>), which socket activation makes unnecessary: clients wait in the
/// socket's backlog, not on readiness.
/// </remarks>
internal static class SocketActivation
{
    /// <summary>Listens on the sockets systemd passed, if any.</summary>
    public static WebApplicationBuilder UseSocketActivation(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.UseSystemd());
        return builder;
    }
}
