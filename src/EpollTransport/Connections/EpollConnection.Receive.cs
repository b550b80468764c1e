using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EpollTransport.Interop;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.Connections;

/// <summary>The receive side: socket bytes straight into the input pipe's memory, with back-pressure.</summary>
internal sealed partial class EpollConnection
{
    // Never receive into the few bytes left at the end of a pipe segment: that would only cost another turn.
    private const int MinimumReceiveSize = 2048;

    // Created the first time reading pauses: most connections never fill MaxReadBufferSize.
    private Action? _onInputFlushCompleted;
    private ValueTask<FlushResult> _pendingFlush;

    private bool WantsToRead => !Is(ConnectionFlags.ReadDone | ConnectionFlags.ReadPaused);

    /// <summary>
    /// One <c>recv</c> per readiness event. The listen and connection sockets are level-triggered, so a socket with
    /// more data than one buffer holds is simply reported again on the next turn; that keeps one busy upload from
    /// starving the other connections without any bookkeeping. Memory is taken from the pipe only once epoll has
    /// said data is there, so an idle connection pins no receive buffer.
    /// </summary>
    private unsafe void Receive()
    {
        var writer = _input.Writer;
        var buffer = writer.GetMemory(MinimumReceiveSize);
        nint received;
        fixed (byte* pointer = &MemoryMarshal.GetReference(buffer.Span))
        {
            received = Libc.Recv(_fd, pointer, (nuint)buffer.Length, 0);
        }

        if (received > 0)
        {
            writer.Advance((int)received);
            _context.Metrics.Received(received);
            var flush = writer.FlushAsync();
            if (!flush.IsCompleted)
            {
                // The application has MaxReadBufferSize unconsumed: stop reading until it is down to half.
                Set(ConnectionFlags.ReadPaused);
                _context.Metrics.ReadPaused();
                _pendingFlush = flush;
                TransportLog.ConnectionPause(_context.Logger, ConnectionId);
                UpdateInterest();
                flush.GetAwaiter().UnsafeOnCompleted(_onInputFlushCompleted ??= OnInputFlushCompleted);
            }
            else if (flush.GetAwaiter().GetResult().IsCompleted)
            {
                CompleteInput(null); // The application stopped reading.
            }

            return;
        }

        if (received == 0)
        {
            // As in Kestrel's Sockets transport, the end of the input is the end of the connection for Kestrel:
            // ConnectionClosed makes it abort the request in progress, so a half-closed client gets no response.
            TransportLog.ConnectionReadFin(_context.Logger, ConnectionId);
            CompleteInput(null);
            SignalConnectionClosed();
            return;
        }

        int errno = NativeErrors.LastErrno;
        if (errno is Errno.EAGAIN or Errno.EINTR)
        {
            return;
        }

        // The peer is gone: tell Kestrel now, so the request in progress is aborted even if it never writes.
        CompleteInput(ToConnectionException(errno, "recv"));
        SignalConnectionClosed();
    }

    /// <summary>Runs on the loop (the input pipe's writer scheduler) once a paused flush completes.</summary>
    private void OnInputFlushCompleted()
    {
        try
        {
            ResumeAfterFlush();
        }
        catch (Exception ex)
        {
            // Scheduled by the pipe, not by this connection, so the loop cannot tell whose work failed: contain it here.
            TransportLog.LoopError(_context.Logger, _thread.Index, ex);
            _unexpectedError ??= ex;
            CloseNow(new ConnectionAbortedException("The epoll transport closed the connection after an unexpected error.", ex));
        }
    }

    private void ResumeAfterFlush()
    {
        bool applicationStopped;
        try
        {
            var result = _pendingFlush.GetAwaiter().GetResult();
            applicationStopped = result.IsCompleted || result.IsCanceled;
        }
        catch (InvalidOperationException)
        {
            applicationStopped = true; // The writer was completed while the flush waited.
        }

        _pendingFlush = default;
        Set(ConnectionFlags.ReadPaused, false);
        if (Is(ConnectionFlags.Closed | ConnectionFlags.ReadDone))
        {
            return;
        }

        if (applicationStopped)
        {
            CompleteInput(null);
            return;
        }

        TransportLog.ConnectionResume(_context.Logger, ConnectionId);
        UpdateInterest();
    }

    /// <summary>Ends the input: FIN (null), reset, abort or error. Reading stops for good.</summary>
    private void CompleteInput(Exception? error)
    {
        if (Is(ConnectionFlags.ReadDone))
        {
            return;
        }

        Set(ConnectionFlags.ReadDone);
        _input.Writer.Complete(error);
        UpdateInterest();
    }

    /// <summary>The exception Kestrel expects for a failed socket call: reset, or an IOException carrying the cause.</summary>
    private Exception ToConnectionException(int errno, string operation)
    {
        var socketException = NativeErrors.ToSocketException(errno, operation);
        if (errno is Errno.ECONNRESET or Errno.EPIPE or Errno.ECONNABORTED)
        {
            TransportLog.ConnectionReset(_context.Logger, ConnectionId);
            return new ConnectionResetException(socketException.Message, socketException);
        }

        TransportLog.ConnectionError(_context.Logger, ConnectionId, socketException);
        return new IOException(socketException.Message, socketException);
    }
}
