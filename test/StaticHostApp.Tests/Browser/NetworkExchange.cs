using System.Text.Json.Nodes;

namespace StaticHostApp.Tests.Browser;

/// <summary>
/// What the browser saw of one request, assembled from DevTools Network events. <see cref="WireStatus"/> and
/// <see cref="ResponseHeaders"/> come from <c>responseReceivedExtraInfo</c>, the raw response as it crossed the
/// network: for a cached resource revalidated with 304 that event says 304 while <c>responseReceived</c> reports the
/// cached 200.
/// </summary>
public sealed class NetworkExchange(string requestId)
{
    /// <summary>DevTools' id of the request (the loader id for a document).</summary>
    public string RequestId { get; } = requestId;

    /// <summary>The request's URL.</summary>
    public string? Url { get; internal set; }

    /// <summary>The resource type DevTools gives (Document, Stylesheet, Script, ...).</summary>
    public string? ResourceType { get; internal set; }

    /// <summary>The status the page saw (200 for a revalidated cache entry).</summary>
    public int? Status { get; internal set; }

    /// <summary>The negotiated protocol (<c>http/1.1</c>, <c>h2</c>).</summary>
    public string? Protocol { get; internal set; }

    /// <summary>The raw request headers as sent (lower-cased names).</summary>
    public IReadOnlyDictionary<string, string>? RequestHeaders { get; internal set; }

    /// <summary>The status on the wire, null when the response never went over the network.</summary>
    public int? WireStatus { get; internal set; }

    /// <summary>The raw response headers as received (lower-cased names), null when none came over the network.</summary>
    public IReadOnlyDictionary<string, string>? ResponseHeaders { get; internal set; }

    /// <summary>True when the browser answered from its memory or disk cache without asking the server.</summary>
    public bool FromCache { get; internal set; }

    /// <summary>True once loading finished or failed.</summary>
    public bool Finished { get; internal set; }

    /// <summary>The error text when loading failed.</summary>
    public string? FailureText { get; internal set; }

    /// <summary>A one-line description for assertion messages.</summary>
    public override string ToString() =>
        $"{ResourceType} {Url}: status {Status}, wire {WireStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, " +
        $"{Protocol}, cache {FromCache}, finished {Finished}{(FailureText is null ? "" : ", failed: " + FailureText)}";

    internal static Dictionary<string, string> Headers(JsonNode? headers) =>
        (headers as JsonObject ?? [])
            .Where(header => header.Value is not null)
            .ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value!.ToString(), StringComparer.Ordinal);
}
