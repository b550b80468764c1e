using System.Collections.Concurrent;
using EpollTransport.Interop;
using EpollTransport.SendFile;
using Microsoft.AspNetCore.Connections;
using Microsoft.Win32.SafeHandles;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Internal;

/// <summary>File regions in the connection's output, sent with <c>sendfile(2)</c> (see <see cref="IConnectionSendFileFeature"/>).</summary>
internal sealed partial class EpollConnection
{
    private readonly ConcurrentQueue<FileSegment> _fileSegments = new();

    // The oldest queued region, taken off the queue by the send loop. Peeking into a ConcurrentQueue would pin its
    // segment, so the next enqueue would allocate a new one: one allocation per file response. Loop only, except
    // for the exchange in FailQueuedFiles.
    private FileSegment? _nextFileSegment;

    // Pipe bytes handed to the socket over the connection's life; file regions are placed by this count. Loop only.
    private long _pipeBytesSent;

    // 1 once the send loop will take no more file regions. Set with a full fence before the queue is drained, and
    // read after an enqueue (which fences too), so a region is either taken by the drain or sees the flag.
    private int _sendLoopEnded;

    private bool SendLoopEnded => Volatile.Read(ref _sendLoopEnded) != 0;

    /// <summary>The response body wrapper reused by this connection's HTTP/1.x requests (one at a time).</summary>
    public SendFileResponseBodyFeature? Http1BodyFeature { get; set; }

    public bool CanSendFile => ReferenceEquals(Transport.Output, _outputWriter) && !SendLoopEnded;

    public Task QueueFile(SafeFileHandle file, long offset, long count) => QueueFileRegion(file, offset, count).Completion;

    /// <summary>As <see cref="QueueFile"/>, returning the region itself, so a caller can wait for part of it.</summary>
    internal FileSegment QueueFileRegion(SafeFileHandle file, long offset, long count)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!ReferenceEquals(Transport.Output, _outputWriter))
        {
            throw new InvalidOperationException("The connection's output is no longer the epoll transport's own writer (TLS or a connection middleware wraps it); file regions cannot be sent.");
        }

        if (_outputWriter.IsAbsorbing)
        {
            throw new InvalidOperationException("The bytes of the previous file region have not all been written yet.");
        }

        var segment = new FileSegment(file, offset, count, _outputWriter.Committed,
            completionScheduler: _context.Options.ApplicationSchedulingMode == ApplicationSchedulingMode.Inline ? _thread : null);
        bool pipeIsFlushed = !_outputWriter.CanGetUnflushedBytes || _outputWriter.UnflushedBytes == 0;
        _fileSegments.Enqueue(segment);
        _outputWriter.BeginAbsorbing(segment);

        if (SendLoopEnded)
        {
            FailQueuedFiles(Volatile.Read(ref _abortReason));
        }
        else if (pipeIsFlushed)
        {
            // No pending flush will wake the send loop for this region, so wake it here.
            _output.Reader.CancelPendingRead();
        }

        return segment;
    }

    /// <summary>True when the previous file region is still being sent: the next flush of the output then waits for it.</summary>
    internal bool WaitForPreviousRegionInNextFlush() => _outputWriter.WaitForPreviousRegionInNextFlush();

    /// <summary>Called by the stand-in writer's user when it has advanced the region's bytes (or gave up).</summary>
    public void EndFileRegion()
    {
        if (!_outputWriter.EndAbsorbing())
        {
            // Fewer stand-in bytes than the region: the byte stream and Kestrel's accounting no longer agree.
            Abort(new ConnectionAbortedException("A file region was queued but its bytes were not all written."));
        }
    }

    /// <summary>Sends the rest of <paramref name="segment"/>; false when the socket is full (wait for EPOLLOUT).</summary>
    private unsafe bool SendFileSegment(FileSegment segment)
    {
        while (segment.Remaining > 0)
        {
            long offset = segment.Offset + segment.Sent;
            nuint chunk = (nuint)Math.Min(segment.Remaining, MAX_RW_COUNT);
            nint sent = Libc.SendFile(_fd, segment.FileDescriptor, &offset, chunk);
            if (sent > 0)
            {
                segment.AddSent(sent);
                _context.Metrics.SentFromFile(sent);
                if ((nuint)sent < chunk)
                {
                    // A short transfer means the socket buffer is full; another call now would only return EAGAIN.
                    return segment.Remaining == 0;
                }

                continue;
            }

            if (sent == 0)
            {
                // The file is shorter than announced (truncated while being sent). The peer was promised more bytes
                // than exist: end the connection with RST rather than let anything else take their place.
                var error = new ConnectionAbortedException(
                    $"The file ended {segment.Remaining} bytes before the {segment.Count} bytes announced for it were sent.");
                Interlocked.CompareExchange(ref _abortReason, error, null);
                throw error;
            }

            int errno = NativeErrors.LastErrno;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                return false;
            }

            // Part of the body is on the wire already: end with RST, never a clean close the peer could mistake.
            var failure = ToConnectionException(errno, "sendfile");
            Interlocked.CompareExchange(ref _abortReason, new ConnectionAbortedException(failure.Message, failure), null);
            throw failure;
        }

        return true;
    }

    /// <summary>The region the send loop sends next, if any is queued.</summary>
    private FileSegment? PeekFileSegment()
    {
        if (_nextFileSegment is null && _fileSegments.TryDequeue(out var segment))
        {
            _nextFileSegment = segment;
        }

        return _nextFileSegment;
    }

    /// <summary>The region from <see cref="PeekFileSegment"/> has been sent.</summary>
    private void TakeFileSegment() => _nextFileSegment = null;

    /// <summary>Fails every queued region (with <paramref name="error"/>, or a generic reason built only if one is queued).</summary>
    private void FailQueuedFiles(Exception? error)
    {
        Interlocked.Exchange(ref _sendLoopEnded, 1);
        if (Interlocked.Exchange(ref _nextFileSegment, null) is { } next)
        {
            error ??= new ConnectionAbortedException("The connection's output ended before the file was sent.");
            next.Fail(error);
        }

        while (_fileSegments.TryDequeue(out var segment))
        {
            error ??= new ConnectionAbortedException("The connection's output ended before the file was sent.");
            segment.Fail(error);
        }
    }
}
