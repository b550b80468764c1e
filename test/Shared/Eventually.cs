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
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout.TotalSeconds} s waiting for {what}.");
            await Task.Delay(Poll);
        }
    }
}
