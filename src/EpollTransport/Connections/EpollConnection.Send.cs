using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using EpollTransport.Interop;
using EpollTransport.SendFile;
using Microsoft.AspNetCore.Connections;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Connections;

/// <summary>
/// The send side: an async loop that runs entirely as loop work, under the epoll thread's turn (the output pipe's
/// reader scheduler): on the loop thread, or on a pool thread that runs it while the loop sleeps.
/// Each turn takes everything the application has flushed so far and gathers it into one <c>sendmsg</c>.
/// </summary>
internal sealed partial class EpollConnection : IValueTaskSource
{
    // Completed by the loop when EPOLLOUT (or an error, or an abort) arrives; continues the send loop inline.
    private ManualResetValueTaskSourceCore<bool> _writable = new() { RunContinuationsAsynchronously = false };

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        var reader = _output.Reader;
        try
        {
            while (!IsAborted && !Is(ConnectionFlags.Closed))
            {
                // A file region whose preceding pipe bytes are all sent goes next, pipe data or not.
                if (FileRegionsOrNull?.Peek() is { } region && region.Position == _pipeBytesSent)
                {
                    if (!SendFileRegion(region))
                    {
                        await WaitWritableAsync();
                        continue;
                    }

                    FileRegionsOrNull!.TakeSent();
                    Uncork();
                    continue;
                }

                // Nothing more is due right now: let corked bytes go before waiting for the application.
                Uncork();
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                if (IsAborted || Is(ConnectionFlags.Closed))
                {
                    reader.AdvanceTo(buffer.Start);
                    break;
                }

                if (result.IsCanceled)
                {
                    // Woken to look at a newly queued file region.
                    reader.AdvanceTo(buffer.Start);
                    continue;
                }

                // Pipe bytes go out only up to the next file region's position; the region follows them.
                long limit = FileRegionsOrNull?.Peek() is { } next ? next.Position - _pipeBytesSent : long.MaxValue;
                var batch = limit < buffer.Length ? buffer.Slice(0, limit) : buffer;
                long sent = 0;
                try
                {
                    sent = batch.IsEmpty ? 0 : Send(batch, fileFollows: limit <= buffer.Length);
                }
                finally
                {
                    // Also when sending failed: the read must end before the reader can be completed.
                    reader.AdvanceTo(batch.GetPosition(sent));
                }

                _pipeBytesSent += sent;
                if (sent < batch.Length)
                {
                    // The kernel's send buffer is full: wait for EPOLLOUT, then the next read returns the rest.
                    await WaitWritableAsync();
                    continue;
                }

                if (batch.Length < buffer.Length || FileRegionsOrNull?.Peek() is not null)
                {
                    continue; // A file region is next (the rest of the buffer, if any, comes after it).
                }

                Uncork();
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }

        try
        {
            OnSendLoopEnded(error);
        }
        catch (Exception ex)
        {
            // Never leave a connection half-finished: Kestrel would wait for it forever.
            TransportLog.LoopError(_context.Logger, _thread.Index, ex);
            CloseNow(new ConnectionAbortedException("The epoll transport failed while closing the connection.", ex));
        }
    }

    /// <summary>
    /// Writes as much of <paramref name="buffer"/> as the socket takes; returns the number of bytes sent.
    /// <paramref name="fileFollows"/>: a file region comes right after these bytes, so the last write is marked
    /// MSG_MORE (or the socket corked) and the headers leave in the same segments as the file's first bytes.
    /// </summary>
    private long Send(ReadOnlySequence<byte> buffer, bool fileFollows)
    {
        long total = 0;
        if (fileFollows)
        {
            Cork();
        }

        int flags = MSG_NOSIGNAL | (fileFollows && !Is(ConnectionFlags.Corked) ? MSG_MORE : 0);
        while (!buffer.IsEmpty)
        {
            long sent = buffer.IsSingleSegment ? SendOne(buffer.First, flags, out long attempted) : SendGathered(buffer, flags, out attempted);
            if (sent < 0)
            {
                int errno = NativeErrors.LastErrno;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN)
                {
                    break;
                }

                throw ToConnectionException(errno, "sendmsg");
            }

            total += sent;
            buffer = buffer.Slice(sent);
            if (buffer.IsEmpty)
            {
                break;
            }

            // More than one call is needed for this batch: cork so the remainder does not leave as small segments.
            Cork();
            if (sent < attempted)
            {
                // A short write means the send buffer is full; asking again now would only return EAGAIN.
                break;
            }
        }

        _context.Metrics.SentFromPipe(total);
        return total;
    }

    private unsafe long SendOne(ReadOnlyMemory<byte> memory, int flags, out long attempted)
    {
        attempted = memory.Length;
        fixed (byte* pointer = &MemoryMarshal.GetReference(memory.Span))
        {
            return Libc.Send(_fd, pointer, (nuint)memory.Length, flags);
        }
    }

    private unsafe long SendGathered(ReadOnlySequence<byte> buffer, int flags, out long attempted)
    {
        var vectors = _thread.IoVectors;
        var pins = _thread.PinHandles;
        int count = 0;
        attempted = 0;
        try
        {
            foreach (var segment in buffer)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                pins[count] = segment.Pin();
                vectors[count].Base = (byte*)pins[count].Pointer;
                vectors[count].Length = (nuint)segment.Length;
                attempted += segment.Length;
                if (++count == IOV_MAX)
                {
                    break;
                }
            }

            var message = new Libc.MessageHeader { IoVectors = vectors, IoVectorCount = (nuint)count };
            return Libc.SendMsg(_fd, &message, flags);
        }
        finally
        {
            for (int i = 0; i < count; i++)
            {
                pins[i].Dispose();
            }
        }
    }

    private void Cork()
    {
        if (_context.Options.Cork && _isTcp && !Is(ConnectionFlags.Corked))
        {
            Set(ConnectionFlags.Corked, SocketOptions.TrySetInt(_fd, IPPROTO_TCP, TCP_CORK, 1));
        }
    }

    private void Uncork()
    {
        if (Is(ConnectionFlags.Corked))
        {
            Set(ConnectionFlags.Corked, false);
            SocketOptions.TrySetInt(_fd, IPPROTO_TCP, TCP_CORK, 0);
        }
    }

    private ValueTask WaitWritableAsync()
    {
        _writable.Reset();
        Set(ConnectionFlags.WaitingWritable);
        UpdateInterest();
        return new ValueTask(this, _writable.Version);
    }

    private void SignalWritable()
    {
        Set(ConnectionFlags.WaitingWritable, false);
        try
        {
            UpdateInterest();
        }
        finally
        {
            // Whatever happened to the registration, the send loop must run on and see it, or it waits forever.
            _writable.SetResult(true);
        }
    }

    /// <summary>Finishes the connection once nothing more will be sent: FIN, RST or error, then close.</summary>
    /// <remarks>
    /// As in Kestrel's Sockets transport, the output pipe is completed with an error only when the failure is the
    /// transport's own: a peer that went away or an abort completes it cleanly, so the application's later writes
    /// are no-ops (Kestrel learns of the end from <see cref="ConnectionClosed"/>) rather than exceptions that
    /// would be logged as errors.
    /// </remarks>
    private void OnSendLoopEnded(Exception? error)
    {
        if (error is not null && !IsPeerGoneOrAborted(error))
        {
            _unexpectedError ??= error;
        }

        var abortReason = Volatile.Read(ref _abortReason);
        if (Is(ConnectionFlags.Closed))
        {
            _output.Reader.Complete(_unexpectedError);
            EndFileRegions();
            return;
        }

        Set(ConnectionFlags.SendDone);
        var shutdownReason = abortReason ?? error;
        if (shutdownReason is not null)
        {
            if (_context.Options.FinOnError || !_isTcp || shutdownReason is GracefulAbortException)
            {
                TransportLog.ConnectionWriteFin(_context.Logger, ConnectionId, shutdownReason.Message);
                _ = Libc.Shutdown(_fd, SHUT_RDWR);
            }
            else
            {
                TransportLog.ConnectionWriteRst(_context.Logger, ConnectionId, shutdownReason.Message);
                SocketOptions.TrySetAbortiveClose(_fd);
            }
        }
        else
        {
            TransportLog.ConnectionWriteFin(_context.Logger, ConnectionId, "The application completed the connection's output.");
            _ = Libc.Shutdown(_fd, SHUT_WR);
        }

        _output.Reader.Complete(_unexpectedError);
        EndFileRegions();

        // Nothing more will be sent, so the connection is over: end the input too (unless the peer's FIN, a reset or
        // the application already ended it) and close the socket, which fires ConnectionClosed.
        if (!Is(ConnectionFlags.ReadDone))
        {
            CompleteInput(shutdownReason ?? new ConnectionAbortedException("The connection's output was completed."));
        }

        Close();
    }

    /// <summary>The failures Sockets treats as the connection ending rather than as errors: reset, broken pipe, abort.</summary>
    private static bool IsPeerGoneOrAborted(Exception error) =>
        error is ConnectionResetException or ConnectionAbortedException or OperationCanceledException;

    void IValueTaskSource.GetResult(short token) => _writable.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _writable.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _writable.OnCompleted(continuation, state, token, flags);
}
