namespace EpollTransport.Tests.Infrastructure;

/// <summary>Upper bounds for waits, so a broken build fails instead of hanging. They never pace a test.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
}
