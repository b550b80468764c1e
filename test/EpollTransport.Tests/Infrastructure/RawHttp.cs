using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>Minimal HTTP/1.1 over a raw socket, so tests control exactly which bytes go out and when.</summary>
internal static class RawHttp
{
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

    public static string Get(string path, string host = "localhost", string extraHeaders = "") =>
        $"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extraHeaders}\r\n";

    public static Task SendAsync(Socket socket, string text) => SendAsync(socket, Encoding.ASCII.GetBytes(text));

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

        int status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return new RawResponse(status, headers, body);
    }

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

internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>A buffered reader over a socket for lines and exact byte counts.</summary>
internal sealed class ResponseReader(Socket socket)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>True once the peer has closed its side and everything buffered was read.</summary>
    public async Task<bool> IsAtEndAsync() => _start == _end && !await FillAsync();

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
                line.Append(Encoding.ASCII.GetString(_buffer, _start, _end - _start));
                _start = _end;
                continue;
            }

            line.Append(Encoding.ASCII.GetString(_buffer, _start, newline - _start));
            _start = newline + 1;
            return line.ToString().TrimEnd('\r');
        }
    }

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

    private async Task<bool> FillAsync()
    {
        _start = 0;
        _end = await socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation);
        return _end > 0;
    }
}
