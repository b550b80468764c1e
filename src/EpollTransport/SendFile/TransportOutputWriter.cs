using System.IO.Pipelines;
using EpollTransport.Internal;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.SendFile;

/// <summary>
/// The <see cref="PipeWriter"/> Kestrel writes a connection's output to: the output pipe's writer, plus the
/// accounting that lets a file region take the place of bytes Kestrel believes it wrote.
/// </summary>
/// <remarks>
/// It counts every byte advanced into the pipe, which gives a queued <see cref="FileSegment"/> its position in the
/// byte stream. While a segment is being "absorbed", the bytes advanced are its stand-ins: they land in a scratch
/// buffer and are dropped, and flushes wait until the file has been sent to within the write window. Used by the
/// application's writing side only (one writer at a time, as for any PipeWriter).
/// </remarks>
internal sealed class TransportOutputWriter(PipeWriter inner, EpollConnection connection, long window) : PipeWriter
{
    // Nobody ever reads what is written here, so one buffer serves every connection.
    private static readonly byte[] s_scratch = GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);

    // The region whose stand-ins are being advanced; cleared as soon as all of them are.
    private FileSegment? _absorbing;
    private long _absorbRemaining;
    private long _absorbed;

    // The region the next flushes wait on; kept after its stand-ins are all advanced, so the flush that follows the
    // last of them waits too (Kestrel times that flush): until all but one window of the region has been sent, as a
    // copied body's last flush waits until the pipe holds less than its pause threshold. The rest goes out after
    // the response has completed, as a copied body's last window does.
    private FileSegment? _flushWaitsFor;

    // How much of _flushWaitsFor the flush after its last stand-in waits to see sent.
    private long _lastFlushTarget;

    // The most recent region queued on the connection; its last window may still be on its way.
    private FileSegment? _lastRegion;

    /// <summary>Bytes advanced into the output pipe over the connection's life (stand-ins excluded).</summary>
    public long Committed { get; private set; }

    public bool IsAbsorbing => _absorbing is not null;

    public void BeginAbsorbing(FileSegment segment)
    {
        _absorbing = segment;
        _flushWaitsFor = segment;
        _lastRegion = segment;
        _lastFlushTarget = segment.Count - window;
        _absorbRemaining = segment.Count;
        _absorbed = 0;
    }

    /// <summary>
    /// If the previous region is not all sent yet, makes the next flush wait until it is, and returns true. A file
    /// response queues its region only behind a finished one, and waits for it inside a flush, so that Kestrel
    /// times the wait against MinResponseDataRate: a pipelining client that stops reading is cut off, not held.
    /// </summary>
    public bool WaitForPreviousRegionInNextFlush()
    {
        if (_lastRegion is not { Remaining: > 0 } previous)
        {
            return false;
        }

        _flushWaitsFor = previous;
        _lastFlushTarget = previous.Count;
        return true;
    }

    /// <summary>Gives up on the current region's stand-ins; false when fewer bytes than its length were advanced.</summary>
    public bool EndAbsorbing()
    {
        bool complete = _absorbing is null;
        if (!complete)
        {
            _flushWaitsFor = null; // The connection is being aborted; flushes must not wait for the region.
        }

        _absorbing = null;
        _absorbRemaining = 0;
        return complete;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) =>
        _absorbing is not null ? s_scratch.AsMemory(0, (int)Math.Min(s_scratch.Length, Math.Max(_absorbRemaining, 1))) : inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        if (_absorbing is null)
        {
            inner.Advance(bytes);
            Committed += bytes;
            return;
        }

        if (bytes > _absorbRemaining)
        {
            // More bytes than the file region: they would have to go on the wire, inside the file's place.
            var error = new ConnectionAbortedException($"{bytes} bytes were written where only {_absorbRemaining} bytes of a file region remained.");
            connection.Abort(error);
            throw new InvalidOperationException(error.Message, error);
        }

        _absorbRemaining -= bytes;
        _absorbed += bytes;
        if (_absorbRemaining == 0)
        {
            _absorbing = null; // Every stand-in is in: bytes advanced from now on are ordinary output again.
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var flush = inner.FlushAsync(cancellationToken);
        connection.Context.Metrics.ObserveFlush(flush);
        if (_flushWaitsFor is not { } segment)
        {
            return flush;
        }

        if (_absorbing is not null)
        {
            return FlushThenWaitForFileAsync(flush, segment, _absorbed - window);
        }

        _flushWaitsFor = null;
        return FlushThenWaitForFileAsync(flush, segment, _lastFlushTarget);
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (_absorbing is not null)
        {
            return base.WriteAsync(source, cancellationToken); // Copies through GetSpan/Advance: accounted as stand-ins.
        }

        Committed += source.Length;
        return inner.WriteAsync(source, cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    /// <summary>
    /// Keeps the flush pending until the file is sent to within the write window of what has been advanced, the
    /// way a copied body's flush waits for the pipe to drain: Kestrel times pending flushes against
    /// MinResponseDataRate, so a client that stops reading a file is still cut off.
    /// </summary>
    private static async ValueTask<FlushResult> FlushThenWaitForFileAsync(ValueTask<FlushResult> flush, FileSegment segment, long target)
    {
        var result = await flush.ConfigureAwait(false);
        if (!result.IsCompleted && !result.IsCanceled && target > 0)
        {
            try
            {
                await segment.WaitForSentAsync(target).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The region failed because the connection ended (the peer went away or it was aborted). Kestrel
                // learns that from ConnectionClosed; to the writer it is an output that completed, as after any
                // disconnect, never an exception from FlushAsync.
                return new FlushResult(isCanceled: false, isCompleted: true);
            }
        }

        return result;
    }
}
