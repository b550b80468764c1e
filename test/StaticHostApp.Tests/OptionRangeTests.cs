using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Options whose values the runtime cannot honour (a timer or a wait longer than it takes) stop the start with the
/// option's name, instead of failing later inside a timer or the log writer. Reloads apply the same rules (see
/// <see cref="ProcessSignalTests"/>).
/// </summary>
public sealed class OptionRangeTests : IDisposable
{
    private readonly SiteSandbox _sandbox = new();

    public OptionRangeTests() => _sandbox.WriteFile("site/index.html", "INDEX");

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData("StaticHost:OpenFileCache:Validity", "50.00:00:00", "StaticHost:OpenFileCache:Validity 50.00:00:00 is out of range")]
    [InlineData("StaticHost:OpenFileCache:Validity", "-00:00:01", "StaticHost:OpenFileCache:Validity -00:00:01 is out of range")]
    [InlineData("StaticHost:OpenFileCache:CheckInterval", "-00:00:01", "StaticHost:OpenFileCache:CheckInterval -00:00:01 is out of range")]
    [InlineData("StaticHost:OpenFileCache:MaxFiles", "0", "StaticHost:OpenFileCache:MaxFiles 0 is out of range")]
    [InlineData("StaticHost:RequestLog:FlushInterval", "25.00:00:00", "StaticHost:RequestLog:FlushInterval 25.00:00:00 is out of range")]
    public void AnOptionOutOfRangeStopsTheStartWithItsName(string key, string value, string message)
    {
        var settings = new Settings().Site(_sandbox["site"], "range.test")
            .With("StaticHost:RequestLog:Enabled", "true")
            .With("StaticHost:RequestLog:Directory", _sandbox["logs"])
            .With("StaticHost:OpenFileCache:Validity", "00:00:10")
            .With(key, value);
        var error = Assert.ThrowsAny<Exception>(() => RunningHost.Start(ServerKind.Kestrel, _sandbox.Path, settings).DisposeAsync().AsTask().GetAwaiter().GetResult());
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }
}
