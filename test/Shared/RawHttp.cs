using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SharedTestInfrastructure;

/// <summary>
/// Minimal HTTP/1.1 over a raw socket, so tests control exactly which bytes go out and when, and can send requests
/// no HTTP client would send as written (un-normalised dot segments, encoded separators, NUL bytes). Text goes on the
/// wire byte for byte (Latin-1).
/// </summary>
public static class RawHttp
{
    /// <summary>Opens a connection to the server listening at <paramref name="server"/> (an IP address and port).</summary>
    public static Task<Socket> ConnectAsync(Uri server) =>
        IPAddress.TryParse(server.DnsSafeHost, out var address)
            ? ConnectAsync(new IPEndPoint(address, server.Port))
            : throw new ArgumentException($"Expected a server address with an IP literal, got '{server}'.", nameof(server));

    /// <summary>Opens a stream connection to <paramref name="endPoint"/> (TCP or a Unix domain socket).</summary>
    public static async Task<Socket> ConnectAsync(EndPoint endPoint)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint).WaitAsync(TestTimeouts.Operation);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends <c>METHOD target HTTP/1.1</c> with <c>Connection: close</c> on a new connection and reads the response;
    /// its body is every byte up to the server's FIN, as sent (not de-chunked), so nothing the server sent is missed.
    /// </summary>
    public static async Task<RawResponse> RequestAsync(Uri server, string method, string target, string host)
    {
        using var socket = await ConnectAsync(server);
        await SendAsync(socket, $"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        var reader = new ResponseReader(socket);
        var (statusLine, headers) = await ReadHeaderBlockAsync(reader);
        return new RawResponse(ParseStatus(statusLine), headers, await reader.ReadToEndAsync());
    }

    /// <summary>A GET request's bytes, ending with the blank line.</summary>
    public static string Get(string path, string host = "localhost", string extraHeaders = "") =>
        $"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extraHeaders}\r\n";

    /// <summary>Sends <paramref name="text"/> as Latin-1, all of it.</summary>
    public static Task SendAsync(Socket socket, string text) => SendAsync(socket, Encoding.Latin1.GetBytes(text));

    /// <summary>Sends all of <paramref name="bytes"/>.</summary>
    public static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await socket.SendAsync(bytes, SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation);
            bytes = bytes[sent..];
        }
    }

    /// <summary>
    /// Reads a response's status line and header block only, e.g. of a HEAD response (whose Content-Length announces
    /// a body that is not sent).
    /// </summary>
    public static async Task<(string StatusLine, Dictionary<string, string> Headers)> ReadHeaderBlockAsync(ResponseReader reader)
    {
        string statusLine = await reader.ReadLineAsync();
        if (!statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Not an HTTP status line: '{statusLine}'");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string line;
        while ((line = await reader.ReadLineAsync()).Length > 0)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        return (statusLine, headers);
    }

    /// <summary>Reads one response with a Content-Length body (or none); returns status, headers and body.</summary>
    public static async Task<RawResponse> ReadResponseAsync(ResponseReader reader)
    {
        var (statusLine, headers) = await ReadHeaderBlockAsync(reader);

        byte[] body = [];
        if (headers.TryGetValue("Content-Length", out var length))
        {
            body = await reader.ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = await ReadChunkedAsync(reader);
        }

        return new RawResponse(ParseStatus(statusLine), headers, body);
    }

    private static int ParseStatus(string statusLine) =>
        int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<byte[]> ReadChunkedAsync(ResponseReader reader)
    {
        using var body = new MemoryStream();
        while (true)
        {
            string sizeLine = await reader.ReadLineAsync();
            int size = int.Parse(sizeLine.Split(';')[0], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0)
            {
                while ((await reader.ReadLineAsync()).Length > 0)
                {
                }

                return body.ToArray();
            }

            body.Write(await reader.ReadExactlyAsync(size));
            await reader.ReadLineAsync();
        }
    }
}

/// <summary>A parsed HTTP/1.1 response.</summary>
/// <param name="Status">The status code from the status line.</param>
/// <param name="Headers">Header lines, names compared case-insensitively; repeated names keep the last value.</param>
/// <param name="Body">The body: de-chunked by <see cref="RawHttp.ReadResponseAsync"/>, as sent by <see cref="RawHttp.RequestAsync"/>.</param>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The body as UTF-8 text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>A buffered reader over a socket for lines and exact byte counts.</summary>
public sealed class ResponseReader(Socket socket)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>True once the peer has closed its side and everything buffered was read.</summary>
    public async Task<bool> IsAtEndAsync() => _start == _end && !await FillAsync();

    /// <summary>Reads up to the next LF and returns the line without its CR LF (Latin-1).</summary>
    public async Task<string> ReadLineAsync()
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync())
            {
                throw new EndOfStreamException("The connection closed in the middle of a line.");
            }

            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                line.Append(Encoding.Latin1.GetString(_buffer, _start, _end - _start));
                _start = _end;
                continue;
            }

            line.Append(Encoding.Latin1.GetString(_buffer, _start, newline - _start));
            _start = newline + 1;
            return line.ToString().TrimEnd('\r');
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; throws if the peer closes first.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            if (_start == _end && !await FillAsync())
            {
                throw new EndOfStreamException($"The connection closed after {filled} of {count} bytes.");
            }

            int take = Math.Min(count - filled, _end - _start);
            Buffer.BlockCopy(_buffer, _start, result, filled, take);
            _start += take;
            filled += take;
        }

        return result;
    }

    /// <summary>Reads everything up to the peer's FIN.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        using var rest = new MemoryStream();
        do
        {
            rest.Write(_buffer, _start, _end - _start);
            _start = _end;
        }
        while (await FillAsync());

        return rest.ToArray();
    }

    private async Task<bool> FillAsync()
    {
        _start = 0;
        _end = await socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation);
        return _end > 0;
    }
}
