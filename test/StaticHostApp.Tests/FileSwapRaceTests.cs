using System.Diagnostics;
using System.Globalization;
using System.Net;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests;

/// <summary>
/// Swaps what a request path names while clients keep requesting it: a regular file against a symbolic link leading
/// out of the root, against a FIFO, and a directory on the way against a symbolic link to a directory outside. No
/// response may carry the outside content and no request may hang, on TestServer and on the epoll transport
/// (small bodies copied with ThreadPool scheduling, sendfile with Inline scheduling, the copy path with sendfile off,
/// and the open-file cache on).
/// </summary>
/// <remarks>
/// The swap is renameat2(RENAME_EXCHANGE), so the path names one of the two objects at every instant. Each case
/// races for <c>STATICHOST_RACE_SECONDS</c> seconds (1.5 by default; set it higher to soak), longer if both
/// states have not been seen by then.
/// </remarks>
[Trait("Category", "Slow")]
public sealed class FileSwapRaceTests : IDisposable
{
    private const int Clients = 4;
    private const string Inside = "INSIDE-the-root";

    private readonly SiteSandbox _sandbox = new();
    private readonly string _secret = "SECRET-" + Guid.NewGuid().ToString("N");

    /// <summary>Every scenario on every server configuration.</summary>
    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var scenario in new[] { "symlink", "fifo", "directory" })
        {
            foreach (var server in new[] { "testserver", "epoll-threadpool", "epoll-inline", "epoll-copy", "epoll-cached" })
            {
                cases.Add(scenario, server);
            }
        }

        return cases;
    }

    /// <inheritdoc />
    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task APathSwappedDuringRequestsNeverServesOutsideContentOrHangs(string scenario, string server)
    {
        var (path, swapA, swapB) = Prepare(scenario);
        await using var host = Start(server);

        var duration = TimeSpan.FromSeconds(double.Parse(
            Environment.GetEnvironmentVariable("STATICHOST_RACE_SECONDS") ?? "1.5", CultureInfo.InvariantCulture));
        using var swapper = new Swapper(swapA, swapB);
        var race = new RaceClock(duration);
        var tallies = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => RequestUntilAsync(host, path, race)));
        swapper.Stop();

        var total = Tally.Sum(tallies);
        Assert.True(total.Leaks == 0, $"{total.Leaks} of {total.Requests} responses carried the outside file ({swapper.Swaps} swaps)");
        Assert.True(total.Unexpected.Count == 0, $"unexpected answers: {string.Join("; ", total.Unexpected.Take(5))}");

        // Both states were seen, so the race really ran against the requests.
        Assert.True(total.Served > 0 && total.NotFound > 0,
            $"served {total.Served}, not found {total.NotFound} of {total.Requests} with {swapper.Swaps} swaps");
    }

    private static async Task<Tally> RequestUntilAsync(RunningHost host, string path, RaceClock race)
    {
        var tally = new Tally();
        while (!race.IsOver)
        {
            // The client's timeout (15 s) turns a hung request into a failure of this test.
            using var response = await host.GetAsync(path, "race.test");
            var body = await response.Content.ReadAsStringAsync();
            tally.Requests++;
            if (body.Contains("SECRET-", StringComparison.Ordinal))
            {
                tally.Leaks++;
            }
            else if (response.StatusCode == HttpStatusCode.OK && body == Inside)
            {
                tally.Served++;
                race.Saw(served: true);
            }
            else if (response.StatusCode == HttpStatusCode.NotFound)
            {
                tally.NotFound++;
                race.Saw(served: false);
            }
            else
            {
                tally.Unexpected.Add($"{(int)response.StatusCode} '{body}'");
            }
        }

        return tally;
    }

    /// <summary>Builds the site and the object to swap in; returns the request path and the two names to exchange.</summary>
    private (string Path, string SwapA, string SwapB) Prepare(string scenario)
    {
        _sandbox.WriteFile("secret.txt", _secret);
        _sandbox.WriteFile("outside/race.txt", _secret);
        _sandbox.CreateDirectory("site");
        _sandbox.CreateDirectory("swap");
        switch (scenario)
        {
            case "symlink":
                // An absolute link, the kind openat2 refuses outright and the provider resolves in user space.
                _sandbox.WriteFile("site/race.txt", Inside);
                _sandbox.CreateSymlink("swap/alternate", _sandbox["secret.txt"]);
                return ("/race.txt", _sandbox["site/race.txt"], _sandbox["swap/alternate"]);
            case "fifo":
                _sandbox.WriteFile("site/race.txt", Inside);
                FileSystemCalls.MakeFifo(_sandbox["swap/alternate"]);
                return ("/race.txt", _sandbox["site/race.txt"], _sandbox["swap/alternate"]);
            case "directory":
                // A relative link; from site/ and from swap/ alike it names the directory outside.
                _sandbox.WriteFile("site/dir/race.txt", Inside);
                _sandbox.CreateSymlink("swap/alternate", "../outside");
                return ("/dir/race.txt", _sandbox["site/dir"], _sandbox["swap/alternate"]);
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null);
        }
    }

    private RunningHost Start(string server)
    {
        var settings = new Settings().Site(_sandbox["site"], "race.test");
        var kind = server == "testserver" ? ServerKind.TestServer : ServerKind.Kestrel;
        if (server == "epoll-inline")
        {
            // The race's files are small, so the default copies their bodies: make this one take sendfile.
            settings.With("EpollTransport:ApplicationSchedulingMode", "Inline");
            settings.With("EpollTransport:SendFileCopyThreshold", "0");
        }
        else if (server == "epoll-copy")
        {
            settings.With("EpollTransport:SendFile", "false");
        }
        else if (server == "epoll-cached")
        {
            // A short validity, so the race reaches the cache's reopening many times per run.
            settings.With("StaticHost:OpenFileCache:Validity", "00:00:00.020");
        }

        return RunningHost.Start(kind, _sandbox.Path, settings);
    }

    /// <summary>
    /// When the clients stop: after the configured duration once both states have been seen (so the race provably
    /// ran against the requests, however slow a loaded machine makes them), and after ten times that in any case.
    /// </summary>
    private sealed class RaceClock(TimeSpan duration)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _seen;

        public bool IsOver => _clock.Elapsed >= duration * 10 || (_clock.Elapsed >= duration && Volatile.Read(ref _seen) == 3);

        public void Saw(bool served) => Interlocked.Or(ref _seen, served ? 1 : 2);
    }

    /// <summary>Exchanges two names as fast as it can on a thread of its own until stopped.</summary>
    private sealed class Swapper : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public Swapper(string first, string second)
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    FileSystemCalls.Exchange(first, second);
                    Swaps++;
                }
            }) { IsBackground = true, Name = "swapper" };
            _thread.Start();
        }

        public long Swaps { get; private set; }

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        public void Dispose()
        {
            if (!_stop)
            {
                Stop();
            }
        }
    }

    private sealed class Tally
    {
        public int Requests { get; set; }

        public int Served { get; set; }

        public int NotFound { get; set; }

        public int Leaks { get; set; }

        public List<string> Unexpected { get; } = [];

        public static Tally Sum(IEnumerable<Tally> tallies)
        {
            var sum = new Tally();
            foreach (var tally in tallies)
            {
                sum.Requests += tally.Requests;
                sum.Served += tally.Served;
                sum.NotFound += tally.NotFound;
                sum.Leaks += tally.Leaks;
                sum.Unexpected.AddRange(tally.Unexpected);
            }

            return sum;
        }
    }
}
