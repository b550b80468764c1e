using Microsoft.AspNetCore.Connections;

namespace IdleProbe;

/// <summary>The one thing both probe servers do with a connection: keep a read pending and discard what arrives.</summary>
internal static class Drain
{
    /// <summary>Reads until the input completes (the client closed) or fails (the client reset).</summary>
    public static async Task UntilClosedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (ConnectionResetException)
        {
            // The idle client ends every connection with a reset (SO_LINGER 0); that is the normal end here.
        }
        catch (ConnectionAbortedException)
        {
            // The server is shutting down.
        }
    }
}
