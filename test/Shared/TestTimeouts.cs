namespace SharedTestInfrastructure;

/// <summary>Upper bounds for waits, so a broken build fails instead of hanging. They never pace a test.</summary>
public static class TestTimeouts
{
    /// <summary>The bound on one operation: a connect, a send, a read, a log event, a condition coming true.</summary>
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(30);

    /// <summary>The bound on a whole scenario of many operations (thousands of requests, a full download).</summary>
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
}
