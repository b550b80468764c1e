using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace StaticHostApp.Tests.Browser;

/// <summary>
/// A headless Chromium of its own: a fresh temporary profile (also its HOME, so nothing is written to the user's),
/// DevTools on a loopback port the browser picks, and no way out to the network but the host names the test maps to
/// loopback. Disposing closes the DevTools connection, kills the browser and every process it left behind (found by
/// the profile path in their command line, since the crash handler re-parents itself), and deletes the profile.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private const string DevToolsPrefix = "DevTools listening on ";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _devToolsLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>The browser-wide DevTools connection.</summary>
    public DevToolsConnection DevTools { get; private set; } = null!;

    /// <summary>What the browser printed so far, for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Starts Chromium and connects to it, within <paramref name="timeout"/>. <paramref name="hostsOnLoopback"/> resolve
    /// to 127.0.0.1 and every other name fails to resolve. A server certificate whose public key hashes (SHA-256 of
    /// the SubjectPublicKeyInfo, base64) to <paramref name="trustedSpkiSha256"/> is accepted as if a CA had signed it,
    /// so TLS behaves as on a real site (an ignored certificate error would, for instance, turn the HTTP cache off).
    /// </summary>
    public static async Task<HeadlessChromium> LaunchAsync(
        string executable, IReadOnlyList<string> hostsOnLoopback, string? trustedSpkiSha256, TimeSpan timeout)
    {
        var profile = Directory.CreateTempSubdirectory("statichost-chromium-").FullName;
        var resolverRules = string.Join(", ", hostsOnLoopback.Select(host => $"MAP {host} 127.0.0.1").Append("MAP * ~NOTFOUND"));
        var start = new ProcessStartInfo
        {
            FileName = executable,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = profile,
        };
        List<string> arguments =
        [
            "--headless",
            "--no-sandbox", // the tests run as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            $"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-breakpad",
            "--no-proxy-server",
            "--password-store=basic",
            $"--host-resolver-rules={resolverRules}",
            // Plain-HTTP navigations must stay plain: HTTPS-Upgrades would first try https:// on the same host.
            "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
        ];
        if (trustedSpkiSha256 is not null)
        {
            arguments.Add($"--ignore-certificate-errors-spki-list={trustedSpkiSha256}");
        }

        arguments.Add("about:blank");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["HOME"] = profile;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(profile, ".config");
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(profile, ".cache");
        start.Environment.Remove("DISPLAY");
        start.Environment.Remove("WAYLAND_DISPLAY");

        var browser = new HeadlessChromium(new Process { StartInfo = start, EnableRaisingEvents = true }, profile);
        try
        {
            await browser.StartAsync(timeout);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (DevTools is not null)
            {
                await DevTools.DisposeAsync();
            }
        }
        finally
        {
            await KillAsync();
        }
    }

    private async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            _process.Dispose();
        }

        KillLeftovers();
        DeleteProfile();
    }

    private async Task StartAsync(TimeSpan timeout)
    {
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        if (!_process.Start())
        {
            throw new InvalidOperationException($"Could not start {_process.StartInfo.FileName}.");
        }

        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var exited = _process.WaitForExitAsync();
        var finished = await Task.WhenAny(_devToolsLine.Task, exited, Task.Delay(timeout));
        if (finished != _devToolsLine.Task)
        {
            var reason = finished == exited ? $"it exited with code {_process.ExitCode}" : $"{timeout.TotalSeconds} s passed";
            throw new TimeoutException($"Chromium did not open its DevTools endpoint: {reason}. Output:{Environment.NewLine}{Output}");
        }

        var line = await _devToolsLine.Task;
        var endpoint = new Uri(line[(line.IndexOf(DevToolsPrefix, StringComparison.Ordinal) + DevToolsPrefix.Length)..].Trim());
        DevTools = await DevToolsConnection.ConnectAsync(endpoint, timeout);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (line.Contains(DevToolsPrefix, StringComparison.Ordinal))
        {
            _devToolsLine.TrySetResult(line);
        }
    }

    private void KillLeftovers()
    {
        // Chromium's crash handler double-forks away from the browser, so it is no child to kill as a tree. It carries
        // the profile's path (its database lives under HOME), which no process of anyone else's does.
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                if (commandLine.Contains(_profile, StringComparison.Ordinal))
                {
                    using var leftover = Process.GetProcessById(pid);
                    leftover.Kill();
                    leftover.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // The process ended between the listing and the look.
            }
        }
    }

    private void DeleteProfile()
    {
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover directory under the temp path must not fail the test that owned it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
