using EpollTransport.Interop;
using EpollTransport.SendFile;
using Microsoft.AspNetCore.Connections;
using Microsoft.Win32.SafeHandles;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Connections;

/// <summary>File regions in the connection's output, sent with <c>sendfile(2)</c> (see <see cref="IConnectionSendFileFeature"/>).</summary>
internal sealed partial class EpollConnection
{
    // Created by the first QueueFile (most connections never send a file region); the shared ended queue when the
    // output ended before any was queued, so a region queued afterwards is dropped, not stranded.
    private FileRegionQueue? _fileRegions;

    private FileRegionQueue? FileRegionsOrNull => Volatile.Read(ref _fileRegions);

    private FileRegionQueue FileRegions
    {
        get
        {
            if (FileRegionsOrNull is { } regions)
            {
                return regions;
            }

            var created = new FileRegionQueue(_context.Options.ApplicationSchedulingMode == ApplicationSchedulingMode.Inline ? _thread : null);
            return Interlocked.CompareExchange(ref _fileRegions, created, null) ?? created;
        }
    }

    // Pipe bytes handed to the socket over the connection's life; file regions are placed by this count. Loop only.
    private long _pipeBytesSent;

    public bool CanSendFile => ReferenceEquals(Transport.Output, _outputWriter) && !Is(ConnectionFlags.SendDone | ConnectionFlags.Closed);

    public long UnsentFileBytes => FileRegionsOrNull?.UnsentBytes ?? 0;

    public void QueueFile(SafeFileHandle file, long offset, long count)
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
            throw new InvalidOperationException("The bytes of the previous file region have not all been advanced yet.");
        }

        var region = new FileRegion(file, offset, count, _outputWriter.Committed);
        bool pipeIsFlushed = !_outputWriter.CanGetUnflushedBytes || _outputWriter.UnflushedBytes == 0;
        if (!FileRegions.TryEnqueue(region))
        {
            return; // The output has ended: nothing will be sent, and the stand-ins will be dropped with it.
        }

        _outputWriter.BeginAbsorbing(count);
        if (pipeIsFlushed)
        {
            // No pending flush will wake the send loop for this region, so wake it here.
            _output.Reader.CancelPendingRead();
        }
    }

    public ValueTask<bool> WaitForUnsentFileBytesAsync(long unsentBytes) =>
        FileRegionsOrNull?.WaitForUnsentAsync(unsentBytes) ?? new ValueTask<bool>(true);

    /// <summary>The output has ended: queued regions are dropped, and any queued later will be.</summary>
    private void EndFileRegions() =>
        (Interlocked.CompareExchange(ref _fileRegions, FileRegionQueue.Ended, null) ?? FileRegionQueue.Ended).End();

    /// <summary>Sends the rest of <paramref name="region"/>; false when the socket is full (wait for EPOLLOUT).</summary>
    private unsafe bool SendFileRegion(FileRegion region)
    {
        while (region.Remaining > 0)
        {
            long offset = region.Offset + region.Sent;
            nuint chunk = (nuint)Math.Min(region.Remaining, MAX_RW_COUNT);
            nint sent = Libc.SendFile(_fd, region.FileDescriptor, &offset, chunk);
            if (sent > 0)
            {
                FileRegionsOrNull!.AddSent(region, sent);
                _context.Metrics.SentFromFile(sent);
                if ((nuint)sent < chunk)
                {
                    // A short transfer means the socket buffer is full; another call now would only return EAGAIN.
                    return region.Remaining == 0;
                }

                continue;
            }

            if (sent == 0)
            {
                // The file is shorter than announced (truncated while being sent). The peer was promised more bytes
                // than exist: end the connection with RST rather than let anything else take their place.
                var error = new ConnectionAbortedException(
                    $"The file ended {region.Remaining} bytes before the {region.Count} bytes announced for it were sent.");
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
}
