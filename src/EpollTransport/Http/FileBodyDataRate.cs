using System.Diagnostics;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace EpollTransport.Http;

/// <summary>
/// Kestrel's MinResponseDataRate for file bodies. A file region's bytes never pass through Kestrel's writer, so
/// Kestrel cannot time them; this times the response's waits for its region instead, by Kestrel's own rule, and
/// ends the connection the way Kestrel does when a client reads too slowly.
/// </summary>
/// <remarks>
/// <para>
/// Kestrel's rule (its <c>TimeoutControl</c>): every byte written earns time at the minimum rate, a single write
/// never less than the grace period; a write that is still pending when the time earned has run out ends the
/// connection. A copied body's writes are admitted as the client drains the output, one window ahead of it. A
/// region is credited the same way: its first window when the wait begins, then whatever the socket has taken
/// since the last look, once a second (Kestrel's heartbeat interval).
/// </para>
/// <para>
/// One heartbeat serves every connection: waits register while they are pending and leave when they complete, so
/// an idle server runs no timer at all.
/// </para>
/// </remarks>
internal sealed class FileBodyDataRate : IDisposable
{
    // Kestrel adds one heartbeat to "now" when it credits a write, since the next check may be that far away.
    private static readonly long s_heartbeatTicks = Stopwatch.Frequency;

    private static readonly Action<ILogger, string, string?, Exception?> s_responseMinimumDataRateNotSatisfied =
        LoggerMessage.Define<string, string?>(
            LogLevel.Debug,
            new EventId(28, "ResponseMinimumDataRateNotSatisfied"),
            "Connection id \"{ConnectionId}\", Request id \"{TraceIdentifier}\": the connection was closed because the response was not read by the client at the specified minimum data rate.");

    private readonly ILogger _kestrelLogger;
    private readonly Lock _gate = new();
    private readonly List<TimedWait> _waits = [];
    private readonly Timer _heartbeat;
    private bool _disposed;

    public FileBodyDataRate(ILoggerFactory loggerFactory)
    {
        // The category Kestrel logs this event under, so filters and dashboards see one event whatever the transport.
        _kestrelLogger = loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.BadRequests");
        _heartbeat = new Timer(static state => ((FileBodyDataRate)state!).OnHeartbeat(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>
    /// Waits until at most <paramref name="unsentBytes"/> of the connection's file bytes are unsent, timed by the
    /// response's minimum data rate. False when the connection ended first (the client went away, or it was cut
    /// off for reading too slowly).
    /// </summary>
    public async ValueTask<bool> WaitAsync(HttpContext context, IConnectionSendFileFeature files, long unsentBytes, long window)
    {
        var wait = files.WaitForUnsentFileBytesAsync(unsentBytes);
        if (wait.IsCompleted || context.Features.Get<IHttpMinResponseDataRateFeature>()?.MinDataRate is not { } rate)
        {
            return await wait.ConfigureAwait(false);
        }

        var timed = new TimedWait(context, files, rate, Math.Min(files.UnsentFileBytes, window));
        Register(timed);
        try
        {
            return await wait.ConfigureAwait(false);
        }
        finally
        {
            Unregister(timed);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _waits.Clear();
        }

        _heartbeat.Dispose();
    }

    private void Register(TimedWait wait)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _waits.Add(wait);
            if (_waits.Count == 1)
            {
                _heartbeat.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            }
        }
    }

    private void Unregister(TimedWait wait)
    {
        lock (_gate)
        {
            // Swap-remove: order does not matter, and the list stays short (one entry per slow file response).
            int index = _waits.IndexOf(wait);
            if (index < 0)
            {
                return;
            }

            _waits[index] = _waits[^1];
            _waits.RemoveAt(_waits.Count - 1);
            if (_waits.Count == 0 && !_disposed)
            {
                _heartbeat.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }
    }

    private void OnHeartbeat()
    {
        long now = Stopwatch.GetTimestamp();
        List<TimedWait>? expired = null;
        lock (_gate)
        {
            foreach (var wait in _waits)
            {
                if (wait.HasExpired(now))
                {
                    (expired ??= []).Add(wait);
                }
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var wait in expired)
        {
            // As Kestrel on a write-rate timeout: the event at Debug, then the connection aborted (RST). The wait then
            // completes with false once the transport has ended the connection's output.
            s_responseMinimumDataRateNotSatisfied(_kestrelLogger, wait.Context.Connection.Id, wait.Context.TraceIdentifier, null);
            wait.Context.Features.Get<IConnectionLifetimeFeature>()?.Abort();
        }
    }

    /// <summary>One pending wait and the time its region has earned. Touched under the heartbeat's lock only.</summary>
    private sealed class TimedWait
    {
        private readonly IConnectionSendFileFeature _files;
        private readonly double _ticksPerByte;
        private readonly long _graceTicks;
        private long _deadline;
        private long _lastUnsent;
        private bool _expired;

        public TimedWait(HttpContext context, IConnectionSendFileFeature files, MinDataRate rate, long firstCredit)
        {
            Context = context;
            _files = files;
            _ticksPerByte = Stopwatch.Frequency / rate.BytesPerSecond;
            _graceTicks = (long)(rate.GracePeriod.TotalSeconds * Stopwatch.Frequency);
            _lastUnsent = files.UnsentFileBytes;
            long now = Stopwatch.GetTimestamp();
            _deadline = now;
            Credit(now, firstCredit);
        }

        public HttpContext Context { get; }

        /// <summary>Credits what the socket took since the last look; true (once) when the time earned has run out.</summary>
        public bool HasExpired(long now)
        {
            if (_expired)
            {
                return false;
            }

            long unsent = _files.UnsentFileBytes;
            long progressed = _lastUnsent - unsent;
            _lastUnsent = unsent;
            if (progressed > 0)
            {
                Credit(now, progressed);
                return false;
            }

            _expired = now > _deadline;
            return _expired;
        }

        private void Credit(long now, long bytes)
        {
            long earned = (long)(bytes * _ticksPerByte);
            long single = now + s_heartbeatTicks + Math.Max(_graceTicks, earned);
            _deadline = Math.Max(single, _deadline + earned);
        }
    }
}
