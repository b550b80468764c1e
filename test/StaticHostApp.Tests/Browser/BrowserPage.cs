using System.Text.Json.Nodes;

namespace StaticHostApp.Tests.Browser;

/// <summary>
/// One tab of a <see cref="HeadlessChromium"/>, driven through a flat DevTools session: navigate, reload and evaluate
/// script, with every network exchange of the tab recorded from the Network domain's events.
/// </summary>
public sealed class BrowserPage
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(30);

    private readonly DevToolsConnection _devTools;
    private readonly string _sessionId;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NetworkExchange> _exchanges = [];
    private TaskCompletionSource _loaded = NewLoadSignal();

    private BrowserPage(DevToolsConnection devTools, string sessionId)
    {
        _devTools = devTools;
        _sessionId = sessionId;
    }

    /// <summary>Opens a blank tab and starts recording its network traffic.</summary>
    public static async Task<BrowserPage> OpenAsync(HeadlessChromium browser)
    {
        var devTools = browser.DevTools;
        var target = await devTools.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
        var attached = await devTools.SendAsync("Target.attachToTarget", new JsonObject
        {
            ["targetId"] = target["targetId"]!.GetValue<string>(),
            ["flatten"] = true,
        });
        var page = new BrowserPage(devTools, attached["sessionId"]!.GetValue<string>());
        devTools.OnEvent(page.OnEvent);
        await page.SendAsync("Page.enable");
        await page.SendAsync("Network.enable");
        await page.SendAsync("Runtime.enable");
        return page;
    }

    /// <summary>
    /// Loads <paramref name="url"/> and waits for its load event (scripts, modules and stylesheets included).
    /// Returns the exchanges of this navigation. A navigation error (DNS, TLS, connection) throws with its text.
    /// </summary>
    public async Task<IReadOnlyList<NetworkExchange>> NavigateAsync(Uri url)
    {
        var loaded = StartRecording();
        var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = url.AbsoluteUri });
        if (result["errorText"]?.GetValue<string>() is { Length: > 0 } error)
        {
            throw new InvalidOperationException($"Chromium could not load {url}: {error}");
        }

        return await WaitForLoadAsync(loaded, url.AbsoluteUri);
    }

    /// <summary>Reloads the page as the reload button does (the cache is used, not bypassed) and waits for its load event.</summary>
    public async Task<IReadOnlyList<NetworkExchange>> ReloadAsync()
    {
        var loaded = StartRecording();
        await SendAsync("Page.reload", new JsonObject { ["ignoreCache"] = false });
        return await WaitForLoadAsync(loaded, "the reload");
    }

    /// <summary>Evaluates a JavaScript expression in the page (awaiting a promise) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["returnByValue"] = true,
            ["awaitPromise"] = true,
        });
        if (result["exceptionDetails"] is JsonObject exception)
        {
            throw new InvalidOperationException($"The page threw evaluating '{expression}': {exception.ToJsonString()}");
        }

        return result["result"]?["value"]?.DeepClone();
    }

    /// <summary>Evaluates a JavaScript expression that yields a string.</summary>
    public async Task<string?> EvaluateStringAsync(string expression) => (await EvaluateAsync(expression))?.GetValue<string>();

    /// <summary>The exchanges recorded since the last navigation or reload began, in no particular order.</summary>
    public IReadOnlyList<NetworkExchange> Exchanges
    {
        get
        {
            lock (_lock)
            {
                return [.. _exchanges.Values];
            }
        }
    }

    private Task<JsonObject> SendAsync(string method, JsonObject? parameters = null) =>
        _devTools.SendAsync(method, parameters, _sessionId);

    private Task StartRecording()
    {
        lock (_lock)
        {
            _exchanges.Clear();
            _loaded = NewLoadSignal();
            return _loaded.Task;
        }
    }

    private async Task<IReadOnlyList<NetworkExchange>> WaitForLoadAsync(Task loaded, string what)
    {
        var finished = await Task.WhenAny(loaded, Task.Delay(LoadTimeout));
        if (finished != loaded)
        {
            throw new TimeoutException($"No load event for {what} within {LoadTimeout.TotalSeconds} s. Requests so far:{Environment.NewLine}" +
                string.Join(Environment.NewLine, Exchanges));
        }

        return Exchanges;
    }

    private static TaskCompletionSource NewLoadSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnEvent(DevToolsEvent e)
    {
        if (e.SessionId != _sessionId)
        {
            return;
        }

        var p = e.Parameters;
        lock (_lock)
        {
            switch (e.Method)
            {
                case "Page.loadEventFired":
                    _loaded.TrySetResult();
                    break;
                case "Network.requestWillBeSent":
                    var sent = Exchange(p);
                    sent.Url = p["request"]?["url"]?.GetValue<string>();
                    sent.ResourceType = p["type"]?.GetValue<string>() ?? sent.ResourceType;
                    break;
                case "Network.requestWillBeSentExtraInfo":
                    Exchange(p).RequestHeaders = NetworkExchange.Headers(p["headers"]);
                    break;
                case "Network.requestServedFromCache":
                    Exchange(p).FromCache = true;
                    break;
                case "Network.responseReceived":
                    var received = Exchange(p);
                    var response = p["response"]!;
                    received.Url = response["url"]?.GetValue<string>() ?? received.Url;
                    received.ResourceType = p["type"]?.GetValue<string>() ?? received.ResourceType;
                    received.Status = response["status"]?.GetValue<int>();
                    received.Protocol = response["protocol"]?.GetValue<string>();
                    received.FromCache |= response["fromDiskCache"]?.GetValue<bool>() == true;
                    break;
                case "Network.responseReceivedExtraInfo":
                    var raw = Exchange(p);
                    raw.WireStatus = p["statusCode"]?.GetValue<int>();
                    raw.ResponseHeaders = NetworkExchange.Headers(p["headers"]);
                    break;
                case "Network.loadingFinished":
                    Exchange(p).Finished = true;
                    break;
                case "Network.loadingFailed":
                    var failed = Exchange(p);
                    failed.Finished = true;
                    failed.FailureText = p["errorText"]?.GetValue<string>();
                    break;
            }
        }
    }

    private NetworkExchange Exchange(JsonObject parameters)
    {
        var id = parameters["requestId"]!.GetValue<string>();
        if (!_exchanges.TryGetValue(id, out var exchange))
        {
            exchange = new NetworkExchange(id);
            _exchanges[id] = exchange;
        }

        return exchange;
    }
}
