namespace StaticHostApp.Configuration;

/// <summary>
/// The open-file cache (<c>StaticHost:OpenFileCache</c>), nginx's <c>open_file_cache</c>: descriptors and metadata of
/// recently served files kept for <see cref="Validity"/>, so a hot file costs one statx (checking
/// it is unchanged) instead of an open, a statx and a close per request.
/// </summary>
public sealed class OpenFileCacheOptions
{
    /// <summary>
    /// How long a cached file is served without looking at its path again: a change to the path (renamed over,
    /// deleted, made unreadable) can take this long to show; a file changed in place is seen at once. At most 49 days. Defaults to zero: no cache, every request opens its file.
    /// </summary>
    public TimeSpan Validity { get; set; }

    /// <summary>Most files each site keeps open. Defaults to 1,000.</summary>
    public int MaxFiles { get; set; } = 1000;

    /// <summary>
    /// How long a hit may rely on the last check that a cached file is unchanged in place (one statx on its
    /// descriptor) before it checks again: a file overwritten in place is seen within this time. Zero checks on every
    /// hit. Defaults to 1 ms, so a hot file makes about a thousand checks a second at most, whatever its request
    /// rate, instead of one per request (about 7 % of a small response's cost). At most 49 days.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = DefaultCheckInterval;

    /// <summary>The default of <see cref="CheckInterval"/>: 1 ms.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromMilliseconds(1);
}
