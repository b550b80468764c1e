using Microsoft.AspNetCore.Connections;

namespace IdleProbe;

/// <summary>Reads and discards everything a connection sends until the client closes it; never writes.</summary>
internal sealed class DrainingConnectionHandler : ConnectionHandler
{
    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection) => Drain.UntilClosedAsync(connection);
}
