using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using EpollTransport.Interop;
using Microsoft.AspNetCore.Connections;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Internal;

/// <summary>
/// The send side: an async loop that runs entirely on the epoll thread (the output pipe's reader scheduler).
/// Each turn takes everything the application has flushed so far and gathers it into one <c>sendmsg</c>.
/// </summary>
internal sealed partial class EpollConnection : IValueTaskSource
{
    // Completed by the loop when EPOLLOUT (or an error, or an abort) arrives; continues the send loop inline.
    private ManualResetValueTaskSourceCore<bool> _writable = new() { RunContinuationsAsynchronously = false };
    private bool _waitingWritable;
    private bool _sendDone;
    private bool _corked;

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                if (result.IsCanceled || IsAborted || _closed)
                {
                    reader.AdvanceTo(result.Buffer.Start);
                    break;
                }

                var buffer = result.Buffer;
                var consumed = buffer.End;
                if (!buffer.IsEmpty)
                {
                    try
                    {
                        consumed = Send(buffer);
                    }
                    finally
                    {
                        // Also when sending failed: the read must end before the reader can be completed.
                        reader.AdvanceTo(consumed);
                    }
                }
                else
                {
                    reader.AdvanceTo(consumed);
                }

                if (!consumed.Equals(buffer.End))
                {
                    // The kernel's send buffer is full: wait for EPOLLOUT, then the next read returns the rest.
                    await WaitWritableAsync();
                    continue;
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

    /// <summary>Writes as much of <paramref name="buffer"/> as the socket takes; returns how far it got.</summary>
    private SequencePosition Send(ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            long sent = buffer.IsSingleSegment ? SendOne(buffer.First, out long attempted) : SendGathered(buffer, out attempted);
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

        return buffer.Start;
    }

    private unsafe long SendOne(ReadOnlyMemory<byte> memory, out long attempted)
    {
        attempted = memory.Length;
        fixed (byte* pointer = &MemoryMarshal.GetReference(memory.Span))
        {
            return Libc.Send(_fd, pointer, (nuint)memory.Length, MSG_NOSIGNAL);
        }
    }

    private unsafe long SendGathered(ReadOnlySequence<byte> buffer, out long attempted)
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
            return Libc.SendMsg(_fd, &message, MSG_NOSIGNAL);
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
        if (_context.Options.Cork && _isTcp && !_corked)
        {
            _corked = SocketOptions.TrySetInt(_fd, IPPROTO_TCP, TCP_CORK, 1);
        }
    }

    private void Uncork()
    {
        if (_corked)
        {
            _corked = false;
            SocketOptions.TrySetInt(_fd, IPPROTO_TCP, TCP_CORK, 0);
        }
    }

    private ValueTask WaitWritableAsync()
    {
        _writable.Reset();
        _waitingWritable = true;
        UpdateInterest();
        return new ValueTask(this, _writable.Version);
    }

    private void SignalWritable()
    {
        _waitingWritable = false;
        UpdateInterest();
        _writable.SetResult(true);
    }

    /// <summary>Finishes the connection once nothing more will be sent: FIN, RST or error, then close.</summary>
    private void OnSendLoopEnded(Exception? error)
    {
        var abortReason = Volatile.Read(ref _abortReason);
        if (_closed)
        {
            _output.Reader.Complete(abortReason);
            return;
        }

        _sendDone = true;
        if (abortReason is not null)
        {
            if (_context.Options.FinOnError || !_isTcp)
            {
                TransportLog.ConnectionWriteFin(_context.Logger, ConnectionId, abortReason.Message);
                _ = Libc.Shutdown(_fd, SHUT_RDWR);
            }
            else
            {
                TransportLog.ConnectionWriteRst(_context.Logger, ConnectionId, abortReason.Message);
                SocketOptions.TrySetAbortiveClose(_fd);
            }
        }
        else if (error is null)
        {
            TransportLog.ConnectionWriteFin(_context.Logger, ConnectionId, "The application completed the connection's output.");
            _ = Libc.Shutdown(_fd, SHUT_WR);
        }

        var outputError = abortReason ?? error;
        _output.Reader.Complete(outputError);

        // Nothing more will be sent, so the connection is over: end the input too (a no-op if the peer's FIN,
        // a reset or the application already ended it) and close the socket.
        CompleteInput(outputError ?? new ConnectionAbortedException("The connection's output was completed."));
        Close();
    }

    void IValueTaskSource.GetResult(short token) => _writable.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _writable.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _writable.OnCompleted(continuation, state, token, flags);
}
