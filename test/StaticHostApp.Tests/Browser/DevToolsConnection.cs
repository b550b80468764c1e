using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace StaticHostApp.Tests.Browser;

/// <summary>One event of the Chrome DevTools Protocol: its method, parameters and (flat mode) session.</summary>
public sealed record DevToolsEvent(string Method, JsonObject Parameters, string? SessionId);

/// <summary>
/// A Chrome DevTools Protocol client over one WebSocket (the browser's endpoint, with flat sessions for pages):
/// commands are matched to their answers by id, events go to every listener. Each command has a bounded wait, so a
/// browser that stops answering fails the test instead of hanging it.
/// </summary>
public sealed class DevToolsConnection : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly List<Action<DevToolsEvent>> _listeners = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;

    private DevToolsConnection(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Connects to a DevTools WebSocket endpoint (<c>ws://127.0.0.1:PORT/devtools/browser/ID</c>).</summary>
    public static async Task<DevToolsConnection> ConnectAsync(Uri endpoint, TimeSpan timeout)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.Proxy = null;
            using var cancel = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(endpoint, cancel.Token);
            return new DevToolsConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Calls <paramref name="listener"/> for every event from now on (on the receive loop: keep it short).</summary>
    public void OnEvent(Action<DevToolsEvent> listener)
    {
        lock (_listeners)
        {
            _listeners.Add(listener);
        }
    }

    /// <summary>
    /// Sends a command and returns its result. A protocol error, a closed connection or no answer within 30 s
    /// throws with the method's name.
    /// </summary>
    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null, string? sessionId = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
            if (sessionId is not null)
            {
                message["sessionId"] = sessionId;
            }

            var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
            using var timeout = new CancellationTokenSource(CommandTimeout);
            await _sendLock.WaitAsync(timeout.Token);
            try
            {
                await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            }
            finally
            {
                _sendLock.Release();
            }

            JsonObject reply;
            try
            {
                reply = await answer.Task.WaitAsync(CommandTimeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"DevTools command {method} got no answer within {CommandTimeout.TotalSeconds} s.");
            }

            if (reply["error"] is JsonObject error)
            {
                throw new InvalidOperationException($"DevTools command {method} failed: {error.ToJsonString()}");
            }

            return reply["result"] as JsonObject ?? [];
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The browser may already be gone; the socket is aborted below either way.
        }

        _socket.Abort();
        await _receiving;
        _socket.Dispose();
        _sendLock.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        Exception reason = new WebSocketException("The DevTools connection closed.");
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                var parsed = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length)) as JsonObject;
                message.SetLength(0);
                if (parsed is not null)
                {
                    Dispatch(parsed);
                }
            }
        }
        catch (Exception e)
        {
            // Whatever ended the loop (the browser went away, a malformed message, a listener that threw) is the
            // answer to every command still waiting.
            reason = e;
        }

        // Whoever still waits learns why instead of waiting for the timeout.
        foreach (var waiting in _pending.Values)
        {
            waiting.TrySetException(new InvalidOperationException("The DevTools connection ended before the answer came.", reason));
        }
    }

    private void Dispatch(JsonObject message)
    {
        if (message["id"] is JsonValue idValue && idValue.TryGetValue<int>(out var id))
        {
            if (_pending.TryGetValue(id, out var waiting))
            {
                waiting.TrySetResult(message);
            }

            return;
        }

        if (message["method"]?.GetValue<string>() is not { } method)
        {
            return;
        }

        var devToolsEvent = new DevToolsEvent(method, message["params"] as JsonObject ?? [], message["sessionId"]?.GetValue<string>());
        Action<DevToolsEvent>[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener(devToolsEvent);
        }
    }
}
