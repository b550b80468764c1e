namespace EpollTransport.Tests.Conformance;

/// <summary>
/// The transports every conformance test runs on: Kestrel's own Sockets transport, which defines the expected
/// behaviour, and the epoll transport in each of its scheduling shapes.
/// </summary>
public enum TransportUnderTest
{
    Sockets,
    EpollThreadPool,
    EpollInline,
    EpollTwoThreads,
}

/// <summary>Theory data that runs a test once per <see cref="TransportUnderTest"/>.</summary>
public static class Transports
{
    public static TheoryData<TransportUnderTest> All => new(Enum.GetValues<TransportUnderTest>());

    /// <summary>The transports that run the application on the thread pool (all but epoll's Inline mode).</summary>
    public static TheoryData<TransportUnderTest> ThreadPoolScheduled =>
        new(Enum.GetValues<TransportUnderTest>().Where(transport => transport != TransportUnderTest.EpollInline));

    /// <summary>Applies the transport's options; null for Sockets, which does not use the epoll transport at all.</summary>
    internal static Action<EpollTransportOptions>? EpollOptions(TransportUnderTest transport) => transport switch
    {
        TransportUnderTest.Sockets => null,
        TransportUnderTest.EpollThreadPool => static _ => { },
        TransportUnderTest.EpollInline => static options => options.ApplicationSchedulingMode = ApplicationSchedulingMode.Inline,
        TransportUnderTest.EpollTwoThreads => static options => options.ThreadCount = 2,
        _ => throw new ArgumentOutOfRangeException(nameof(transport)),
    };
}
