using System.Collections.Concurrent;
using System.Diagnostics;

namespace StaticHostApp.Tests.Infrastructure;

/// <summary>
/// The built StaticHostApp in its own process, optionally as the unprivileged user 'nobody' (through setpriv) so that
/// file permissions apply even when the tests run as root. The app's files are copied into the sandbox first, so the
/// child can read them wherever the repository is checked out. Killed on dispose.
/// </summary>
public sealed class ChildServer : IAsyncDisposable
{
    private const string ListeningPrefix = "Now listening on: ";
    private static readonly string[] AppFiles = ["StaticHostApp.dll", "StaticHostApp.deps.json", "StaticHostApp.runtimeconfig.json", "EpollTransport.dll"];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly List<(string Fragment, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildServer(Process process)
    {
        _process = process;
    }

    /// <summary>The address the child listens on.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>True while the child runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Everything the child wrote so far (stdout and stderr), for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Starts the app with <paramref name="args"/> (plus a loopback port 0 URL and the sandbox as content root) and
    /// waits, at most <paramref name="timeout"/>, for it to report its address.
    /// </summary>
    public static Task<ChildServer> StartAsync(SiteSandbox sandbox, IEnumerable<string> args, bool asNobody, TimeSpan timeout) =>
        StartAsync(sandbox, args, asNobody ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] : [], timeout);

    /// <summary>
    /// Starts the app through <paramref name="launcher"/> (a program and its arguments that end by running the
    /// command after them, such as <c>nohup</c>) and waits, at most <paramref name="timeout"/>, for its address.
    /// </summary>
    public static async Task<ChildServer> StartAsync(SiteSandbox sandbox, IEnumerable<string> args, IReadOnlyList<string> launcher, TimeSpan timeout)
    {
        var child = Launch(sandbox, args, launcher);
        try
        {
            var line = await child.WaitForOutputAsync(ListeningPrefix, timeout);
            child.Address = new Uri(line[(line.IndexOf(ListeningPrefix, StringComparison.Ordinal) + ListeningPrefix.Length)..].Trim());
            return child;
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the app through <paramref name="launcher"/> (a program and its arguments that end by running the
    /// command after them, such as systemd-socket-activate) without waiting for it to listen; the caller knows the
    /// address and sets it with <paramref name="address"/>.
    /// </summary>
    public static ChildServer Launch(SiteSandbox sandbox, IEnumerable<string> args, IReadOnlyList<string> launcher, Uri address)
    {
        var child = Launch(sandbox, args, launcher);
        child.Address = address;
        return child;
    }

    /// <summary>The child's process id (the launcher's, which execs the app).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Sends a signal by name (<c>HUP</c>, <c>TERM</c>) with kill(1).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -s {signal} failed with {kill.ExitCode}");
    }

    /// <summary>Waits, at most <paramref name="timeout"/>, for the child to exit, and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var finished = await Task.WhenAny(_exited.Task, Task.Delay(timeout));
        Assert.True(finished == _exited.Task, $"The app did not exit within {timeout.TotalSeconds} s. Output:{Environment.NewLine}{Output}");
        await _process.WaitForExitAsync(); // lets the output readers finish
        return _process.ExitCode;
    }

    private static ChildServer Launch(SiteSandbox sandbox, IEnumerable<string> args, IReadOnlyList<string> launcher)
    {
        var appDirectory = sandbox.CreateDirectory("app");
        foreach (var file in AppFiles)
        {
            var copy = Path.Combine(appDirectory, file);
            File.Copy(Path.Combine(AppContext.BaseDirectory, file), copy);
            File.SetUnixFileMode(copy, (UnixFileMode)0b110_100_100);
        }

        var dotnet = DotnetHost();
        var start = new ProcessStartInfo
        {
            FileName = launcher.Count > 0 ? launcher[0] : dotnet,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = sandbox.Path,
        };
        if (launcher.Count > 0)
        {
            foreach (var arg in launcher.Skip(1).Append(dotnet))
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.ArgumentList.Add(Path.Combine(appDirectory, "StaticHostApp.dll"));
        foreach (var arg in new[] { "--urls", "http://127.0.0.1:0", "--contentRoot", sandbox.Path }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        // A clean, production-like environment: nothing from the test runner may pick the URL or content root.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["HOME"] = sandbox.Path;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildServer(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child._exited.TrySetResult();
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {start.FileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits, at most <paramref name="timeout"/>, for an output line containing <paramref name="fragment"/>.</summary>
    public async Task<string> WaitForOutputAsync(string fragment, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            var already = _output.FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal));
            if (already is not null)
            {
                return already;
            }

            _waiters.Add((fragment, seen));
        }

        var finished = await Task.WhenAny(seen.Task, _exited.Task, Task.Delay(timeout));
        if (finished == seen.Task)
        {
            return await seen.Task;
        }

        var reason = finished == _exited.Task ? $"the app exited with code {_process.ExitCode}" : $"{timeout.TotalSeconds} s passed";
        throw new TimeoutException($"Waited for output '{fragment}' but {reason}. Output:{Environment.NewLine}{Output}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TestTimeouts.Operation);
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static string DotnetHost()
    {
        // The SDK tells test hosts where the dotnet executable is; fall back to this process when it is dotnet itself.
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_waiters)
        {
            _output.Enqueue(line);
            foreach (var waiter in _waiters.Where(w => line.Contains(w.Fragment, StringComparison.Ordinal)).ToList())
            {
                waiter.Seen.TrySetResult(line);
                _waiters.Remove(waiter);
            }
        }
    }
}
