using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net;

namespace EpollTransport.Metrics;

/// <summary>
/// The transport's instruments, on the meter named <c>EpollTransport</c>, in the style of Kestrel's <c>kestrel.*</c>
/// instruments and OpenTelemetry's semantic conventions: lower-case dotted names, the unit in
/// <see cref="Instrument.Unit"/>, namespaced attributes.
/// </summary>
/// <remarks>
/// Counters that move on every socket event check <see cref="Instrument.Enabled"/> first and pass static
/// attributes, so they cost one branch while nobody listens and allocate nothing when someone does. Per-loop figures
/// that change on every loop turn are kept as plain fields by <see cref="EpollLoopMetrics"/> and read only when a
/// listener collects (observable instruments).
/// </remarks>
internal sealed class EpollTransportMetrics
{
    public const string MeterName = "EpollTransport";

    private static readonly KeyValuePair<string, object?> s_receive = new("network.io.direction", "receive");
    private static readonly KeyValuePair<string, object?> s_transmit = new("network.io.direction", "transmit");
    private static readonly KeyValuePair<string, object?> s_pipePath = new("epoll.io.path", "pipe");
    private static readonly KeyValuePair<string, object?> s_sendFilePath = new("epoll.io.path", "sendfile");

    private readonly Counter<long> _io;
    private readonly Counter<long> _backPressurePauses;
    private readonly Lock _loopsGate = new();
    private EpollLoopMetrics[] _loops = [];

    public EpollTransportMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _io = meter.CreateCounter<long>(
            "epoll.io", "By",
            "Bytes received from and sent to connections, by network.io.direction and epoll.io.path (pipe: through the connection's pipes; sendfile: from files with sendfile(2)).");
        AcceptedConnections = meter.CreateCounter<long>(
            "epoll.connections.accepted", "{connection}",
            "Connections accepted, by listening endpoint.");
        AcceptErrors = meter.CreateCounter<long>(
            "epoll.accept.errors", "{error}",
            "accept4(2) failures, by errno name (error.type) and listening endpoint.");
        _backPressurePauses = meter.CreateCounter<long>(
            "epoll.backpressure.pauses", "{pause}",
            "Back-pressure pauses: receive = reading stopped at MaxReadBufferSize; transmit = an application flush waited at MaxWriteBufferSize.");

        meter.CreateObservableUpDownCounter(
            "epoll.connections.active", () => Observe(static loop => loop.ActiveConnections), "{connection}",
            "Connections currently open, by the epoll thread that owns them (epoll.loop.thread).");
        meter.CreateObservableCounter(
            "epoll.loop.turns", () => Observe(static loop => loop.Turns), "{turn}",
            "Returns from epoll_wait, by epoll thread.");
        meter.CreateObservableCounter(
            "epoll.loop.wakeups", () => Observe(static loop => loop.WakeUps), "{wakeup}",
            "Times another thread woke a sleeping epoll thread through its eventfd, by epoll thread.");
    }

    public Counter<long> AcceptedConnections { get; }

    public Counter<long> AcceptErrors { get; }

    /// <summary>The figures of the epoll thread with this index; registered for the observable instruments.</summary>
    public EpollLoopMetrics ForLoop(int index)
    {
        var loop = new EpollLoopMetrics(index);
        lock (_loopsGate)
        {
            _loops = [.. _loops, loop];
        }

        return loop;
    }

    /// <summary>The instruments of one listen socket, with its endpoint's attributes worked out once.</summary>
    public EpollListenerMetrics ForListener(EndPoint endPoint) => new(this, endPoint);

    public void Received(long bytes)
    {
        if (_io.Enabled && bytes > 0)
        {
            _io.Add(bytes, s_receive, s_pipePath);
        }
    }

    public void SentFromPipe(long bytes)
    {
        if (_io.Enabled && bytes > 0)
        {
            _io.Add(bytes, s_transmit, s_pipePath);
        }
    }

    public void SentFromFile(long bytes)
    {
        if (_io.Enabled && bytes > 0)
        {
            _io.Add(bytes, s_transmit, s_sendFilePath);
        }
    }

    /// <summary>Reading stopped because the application has MaxReadBufferSize unconsumed.</summary>
    public void ReadPaused()
    {
        if (_backPressurePauses.Enabled)
        {
            _backPressurePauses.Add(1, s_receive);
        }
    }

    /// <summary>
    /// Counts a transmit pause when the application's flush did not complete at once: the output pipe holds
    /// MaxWriteBufferSize unsent bytes, so the flush waits for the loop to send them.
    /// </summary>
    public void ObserveFlush(in ValueTask<FlushResult> flush)
    {
        if (!flush.IsCompleted && _backPressurePauses.Enabled)
        {
            _backPressurePauses.Add(1, s_transmit);
        }
    }

    private Measurement<long>[] Observe(Func<EpollLoopMetrics, long> read)
    {
        var loops = Volatile.Read(ref _loops);
        var measurements = new Measurement<long>[loops.Length];
        for (int i = 0; i < loops.Length; i++)
        {
            measurements[i] = new Measurement<long>(read(loops[i]), loops[i].ThreadTag);
        }

        return measurements;
    }
}
