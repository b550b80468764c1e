namespace SharedTestInfrastructure;

/// <summary>
/// Waits for a condition the test cannot be notified of (a counter reaching zero, a file written by a background
/// queue). The poll is how the condition is observed, not a guess at how long something takes.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>Re-checks <paramref name="condition"/> until it holds, failing the test after <see cref="TestTimeouts.Operation"/>.</summary>
    public static Task WaitAsync(Func<bool> condition, string what) => WaitAsync(condition, TestTimeouts.Operation, what);

    /// <summary>Re-checks <paramref name="condition"/> until it holds, failing the test after <paramref name="timeout"/>.</summary>
    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        WaitAsync(() => Task.FromResult(condition()), timeout, what);

    /// <summary>
    /// Re-checks an asynchronous <paramref name="condition"/> (a request, say) until it holds, failing the test after
    /// <see cref="TestTimeouts.Operation"/>.
    /// </summary>
    public static Task WaitAsync(Func<Task<bool>> condition, string what) => WaitAsync(condition, TestTimeouts.Operation, what);

    /// <summary>
    /// Re-checks an asynchronous <paramref name="condition"/> (a request, say) until it holds, failing the test after
    /// <paramref name="timeout"/>.
    /// </summary>
    public static Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        WaitAsync(condition, timeout, () => what);

    /// <summary>
    /// Re-checks <paramref name="condition"/> until it holds, failing the test after <paramref name="timeout"/> with
    /// what <paramref name="describe"/> says then (the state the condition last saw, say).
    /// </summary>
    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe) =>
        WaitAsync(() => Task.FromResult(condition()), timeout, describe);

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds} s waiting for {describe()}.");
            }

            await Task.Delay(Poll);
        }
    }
}
