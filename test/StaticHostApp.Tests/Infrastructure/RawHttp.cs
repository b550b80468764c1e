using System.Net.Sockets;
using System.Text;

namespace StaticHostApp.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a plain TCP socket, for requests no HTTP client would send as written: un-normalised dot segments,
/// encoded separators, NUL bytes, absolute paths. The request target goes on the wire byte for byte (Latin-1).
/// </summary>
public static class RawHttp
{
    /// <summary>The bound on every raw exchange.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Sends <c>METHOD target HTTP/1.1</c> with <c>Connection: close</c> and reads the response to EOF.</summary>
    public static async Task<RawResponse> SendAsync(Uri server, string method, string target, string host)
    {
        var request = $"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await ConnectAsync(server, timeout.Token);
        await socket.SendAsync(Encoding.Latin1.GetBytes(request), SocketFlags.None, timeout.Token);

        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return RawResponse.Parse(received.ToArray());
    }

    /// <summary>Opens a TCP connection to the server's address.</summary>
    public static async Task<Socket> ConnectAsync(Uri server, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A parsed HTTP/1.1 response.</summary>
/// <param name="StatusCode">The status code from the status line.</param>
/// <param name="Headers">Header lines, names compared case-insensitively; repeated names keep the last value.</param>
/// <param name="Body">Everything after the header block.</param>
public sealed record RawResponse(int StatusCode, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The body as Latin-1 text (lossless for searching bytes).</summary>
    public string BodyText => Encoding.Latin1.GetString(Body);

    /// <summary>Parses one response; throws if the bytes hold no complete status line and header block.</summary>
    public static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidDataException($"No complete HTTP response in {bytes.Length} bytes: '{text}'");
        }

        var lines = text[..end].Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Not an HTTP status line: '{lines[0]}'");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new RawResponse(int.Parse(status[1], System.Globalization.CultureInfo.InvariantCulture), headers, bytes[(end + 4)..]);
    }
}
