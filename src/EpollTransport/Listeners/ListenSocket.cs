using System.Net;
using System.Threading.Channels;
using EpollTransport.Connections;
using EpollTransport.Interop;
using EpollTransport.Loop;
using EpollTransport.Metrics;
using Microsoft.AspNetCore.Connections;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Listeners;

/// <summary>
/// A listen socket registered on its home epoll thread. Accepts connections, hands each to an epoll thread
/// (round robin) and queues it for Kestrel's accept loop.
/// </summary>
internal sealed unsafe class ListenSocket : IEpollHandler
{
    // Bounded so one listener with a deep backlog cannot starve the connections sharing its thread;
    // the level-triggered listen socket is reported again on the next turn if more are waiting.
    private const int MaxAcceptsPerEvent = 64;
    private const int FirstBackoffMilliseconds = 50;
    private const int MaxBackoffMilliseconds = 1000;

    private static readonly Action<object?> s_retryAccept = static state => ((ListenSocket)state!).RetryAfterBackoff();
    private static readonly Action<object?> s_resumeAfterTaken = static state => ((ListenSocket)state!).ResumeIfBelowBacklog();

    private readonly EpollThread _home;
    private readonly EpollTransportContext _context;
    private readonly BoundListenSocket _bound;
    private readonly int _fd;
    private readonly ChannelWriter<EpollConnection> _accepted;
    private readonly IAcceptCall _acceptCall;
    private readonly IPEndPoint? _fixedLocalEndPoint;
    private readonly EpollListenerMetrics _metrics;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EpollRegistration? _registration;
    private bool _isClosed;
    private int _backoffMilliseconds;

    // Descriptor numbers from here up are the process's reserve (see DescriptorHeadroom). Re-read once per batch of
    // accepts: the limit can be changed while the process runs (prlimit, a supervisor).
    private long _headroomThreshold;
    private bool _lowOnDescriptors;

    // Connections accepted but not yet taken by Kestrel's accept loop. At Backlog the listen socket is no longer
    // watched, so the kernel's own backlog holds further clients instead of this process's memory and descriptors.
    private readonly int _maxWaiting;
    private int _waiting;
    private int _pausedForBacklog;

    public ListenSocket(EpollThread home, EpollTransportContext context, BoundListenSocket bound, ChannelWriter<EpollConnection> accepted, IAcceptCall acceptCall)
    {
        _home = home;
        _context = context;
        _bound = bound;
        _fd = bound.Handle.Fd;
        _accepted = accepted;
        _acceptCall = acceptCall;
        _maxWaiting = Math.Max(1, context.Options.Backlog);
        _metrics = context.Metrics.ForListener(bound.EndPoint);

        // A listener on one specific address gives every connection that local address: no getsockname per accept.
        if (bound.EndPoint is IPEndPoint ip && !ip.Address.Equals(IPAddress.Any) && !ip.Address.Equals(IPAddress.IPv6Any))
        {
            _fixedLocalEndPoint = ip;
        }
    }

    public EpollThread Home => _home;

    /// <summary>Completes when the listen descriptor has been closed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Registers with the home thread. Runs on that thread.</summary>
    public void Start()
    {
        if (_home.IsStopping)
        {
            // Bound while the transport is being disposed: the loop would never close what registers now.
            Close();
            throw new ObjectDisposedException(nameof(EpollTransportFactory), "The epoll transport is shutting down.");
        }

        try
        {
            _registration = EpollRegistration.Add(_home, this, _bound.Handle, EPOLLIN);
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <summary>Stops accepting and closes the listen socket. Runs on the home thread.</summary>
    public void Close()
    {
        if (_isClosed)
        {
            return;
        }

        _isClosed = true;
        if (_registration is { } registration)
        {
            registration.Close();
        }
        else
        {
            _bound.Handle.Dispose();
        }

        // Only the file this socket created: after a rolling restart the path may already name its successor's.
        if (_bound.UnixSocketPath is { } path
            && FileIdentity.TryGet(path, out var current) && current == _bound.UnixSocketFile)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Someone else removed or replaced it; nothing of ours is left to clean up.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        _accepted.TryComplete();
        _closed.TrySetResult();
    }

    void IEpollHandler.OnEvents(uint events) => AcceptBatch();

    void IEpollHandler.OnLoopFault(Exception exception)
    {
        TransportLog.AcceptStopped(_context.Logger, _bound.EndPoint.ToString() ?? "", exception);
        Close();
    }

    void IEpollHandler.OnThreadStopping() => Close();

    private void AcceptBatch()
    {
        byte* address = stackalloc byte[SocketAddresses.MaxLength];
        _headroomThreshold = DescriptorHeadroom.Threshold();
        for (int i = 0; i < MaxAcceptsPerEvent && !_isClosed && Volatile.Read(ref _pausedForBacklog) == 0; i++)
        {
            int addressLength = SocketAddresses.MaxLength;
            int fd = _acceptCall.Accept(_fd, address, &addressLength, out int errno);

            if (fd >= 0)
            {
                OnAccepted(fd, new ReadOnlySpan<byte>(address, Math.Min(addressLength, SocketAddresses.MaxLength)));
                if (fd >= _headroomThreshold)
                {
                    // This connection took one of the last descriptors before the reserve: it is served, but no more
                    // are accepted until descriptors are released. Clients wait in the listen backlog meanwhile.
                    _lowOnDescriptors = true;
                    BackOff(Errno.EMFILE);
                    return;
                }

                continue;
            }

            _metrics.AcceptFailed(errno);
            switch (errno)
            {
                case Errno.EAGAIN:
                    RecoverFromBackoff();
                    return;

                // The connection died in the backlog, or a firewall refused it: only that connection is affected.
                case Errno.EINTR or Errno.ECONNABORTED or Errno.EPROTO or Errno.EPERM
                    or Errno.ENETDOWN or Errno.ENETUNREACH or Errno.EHOSTUNREACH or Errno.ETIMEDOUT:
                    continue;

                // Out of descriptors or memory. The level-triggered listen socket would fire again at once and spin
                // a core, so stop watching it and try again later; clients wait in the backlog meanwhile.
                case Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM:
                    _lowOnDescriptors = errno is Errno.EMFILE or Errno.ENFILE;
                    BackOff(errno);
                    return;

                default:
                    TransportLog.AcceptStopped(_context.Logger, _bound.EndPoint.ToString() ?? "", NativeErrors.ToSocketException(errno, "accept4"));
                    Close();
                    return;
            }
        }
    }

    private void OnAccepted(int fd, ReadOnlySpan<byte> peerAddress)
    {
        var handle = new FileDescriptorHandle(fd);
        EndPoint? local;
        EndPoint? remote;
        if (_bound.IsTcp)
        {
            if (_context.Options.NoDelay)
            {
                // Best effort, as in the Sockets transport: a connection that cannot take it still works.
                SocketOptions.TrySetInt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
            }

            remote = SocketAddresses.ToIPEndPoint(peerAddress);
            local = _fixedLocalEndPoint ?? SocketAddresses.GetLocalIPEndPoint(fd);
        }
        else
        {
            local = _bound.EndPoint;
            remote = null;
        }

        var thread = _context.NextThread();
        var connection = new EpollConnection(thread, _context, handle, _bound.IsTcp, local, remote);
        _metrics.Accepted();
        TransportLog.ConnectionAccepted(_context.Logger, connection.ConnectionId, remote?.ToString(), thread.Index);
        connection.StartOnLoop();
        Interlocked.Increment(ref _waiting);
        if (!_accepted.TryWrite(connection))
        {
            Interlocked.Decrement(ref _waiting);
            connection.Abort(new ConnectionAbortedException("The listener was closed before the connection was accepted."));
        }

        RecoverFromBackoff();
        if (Volatile.Read(ref _waiting) >= _maxWaiting)
        {
            PauseForBacklog();
        }
    }

    /// <summary>Called by the listener (any thread) when Kestrel has taken a connection.</summary>
    public void OnConnectionTaken()
    {
        // The decrement is a full fence, so either this sees the pause or the loop's re-check in PauseForBacklog
        // sees the decrement: a pause is never missed.
        Interlocked.Decrement(ref _waiting);
        if (Volatile.Read(ref _pausedForBacklog) != 0)
        {
            _home.Schedule(s_resumeAfterTaken, this);
        }
    }

    private void PauseForBacklog()
    {
        Interlocked.Exchange(ref _pausedForBacklog, 1);
        UpdateWatching();
        if (Volatile.Read(ref _waiting) < _maxWaiting)
        {
            ResumeIfBelowBacklog(); // Taken meanwhile.
        }
    }

    /// <summary>Runs on the home thread: watches the listen socket again once Kestrel has taken connections.</summary>
    private void ResumeIfBelowBacklog()
    {
        if (Volatile.Read(ref _pausedForBacklog) == 0 || Volatile.Read(ref _waiting) >= _maxWaiting)
        {
            return;
        }

        Interlocked.Exchange(ref _pausedForBacklog, 0);
        try
        {
            UpdateWatching();
        }
        catch (Exception ex)
        {
            TransportLog.AcceptStopped(_context.Logger, _bound.EndPoint.ToString() ?? "", ex);
            Close();
        }
    }

    /// <summary>Watches the listen socket unless accepting is backing off or paused for the backlog.</summary>
    private void UpdateWatching()
    {
        if (!_isClosed)
        {
            bool accepting = _backoffMilliseconds == 0 && Volatile.Read(ref _pausedForBacklog) == 0;
            _registration?.SetInterest(accepting ? EPOLLIN : 0);
        }
    }

    private void BackOff(int errno)
    {
        bool firstInEpisode = _backoffMilliseconds == 0;
        _backoffMilliseconds = firstInEpisode ? FirstBackoffMilliseconds : Math.Min(_backoffMilliseconds * 2, MaxBackoffMilliseconds);
        string message = _lowOnDescriptors
            ? $"fewer than {DescriptorHeadroom.Reserve(DescriptorHeadroom.Limit)} descriptors are left below the process's limit of {DescriptorHeadroom.Limit} (RLIMIT_NOFILE)"
            : NativeErrors.ToSocketException(errno, "accept4").Message;
        if (firstInEpisode)
        {
            // An error once per episode; the retries only at debug level.
            TransportLog.AcceptError(_context.Logger, _bound.EndPoint.ToString() ?? "", message, _backoffMilliseconds);
            UpdateWatching();
        }
        else
        {
            TransportLog.AcceptRetryFailed(_context.Logger, _bound.EndPoint.ToString() ?? "", message, _backoffMilliseconds);
        }

        _home.AddTimer(_backoffMilliseconds, s_retryAccept, this);
    }

    /// <summary>Runs on the timer: either accepting works again (and the socket is watched again) or it backs off longer.</summary>
    private void RetryAfterBackoff()
    {
        if (_isClosed)
        {
            return;
        }

        if (Volatile.Read(ref _pausedForBacklog) != 0)
        {
            // Nothing may be accepted now anyway: look again later, without stretching the delay.
            _home.AddTimer(_backoffMilliseconds, s_retryAccept, this);
            return;
        }

        if (_lowOnDescriptors)
        {
            // Look before accepting: an accept now would only take another descriptor of the reserve.
            _headroomThreshold = DescriptorHeadroom.Threshold();
            if (!DescriptorHeadroom.IsAvailable(_fd, _headroomThreshold))
            {
                BackOff(Errno.EMFILE);
                return;
            }

            _lowOnDescriptors = false;
        }

        AcceptBatch();
    }

    private void RecoverFromBackoff()
    {
        if (_backoffMilliseconds == 0)
        {
            return;
        }

        _backoffMilliseconds = 0;
        TransportLog.AcceptResumed(_context.Logger, _bound.EndPoint.ToString() ?? "");
        try
        {
            UpdateWatching();
        }
        catch (Exception ex)
        {
            TransportLog.AcceptStopped(_context.Logger, _bound.EndPoint.ToString() ?? "", ex);
            Close();
        }
    }
}
