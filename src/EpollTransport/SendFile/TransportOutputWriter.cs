using System.IO.Pipelines;
using EpollTransport.Connections;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.SendFile;

/// <summary>
/// The <see cref="PipeWriter"/> Kestrel writes a connection's output to: the output pipe's writer, plus the
/// accounting that lets a file region take the place of bytes Kestrel believes it wrote.
/// </summary>
/// <remarks>
/// It counts every byte advanced into the pipe, which gives a queued <see cref="FileRegion"/> its position in the
/// byte stream. While a region is being "absorbed", the bytes advanced are its stand-ins: <see cref="GetMemory"/>
/// hands out a scratch buffer nobody reads, and <see cref="Advance"/> only counts them down. Nothing is copied and
/// nothing reaches the pipe; the file's bytes take their place on the wire. Used by the application's writing side
/// only (one writer at a time, as for any PipeWriter).
/// </remarks>
internal sealed class TransportOutputWriter(PipeWriter inner, EpollConnection connection) : PipeWriter
{
    // Nobody ever reads what is written here, so one buffer serves every connection.
    private static readonly byte[] s_scratch = GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);

    // Stand-in bytes of the current region still to be advanced; zero when none is being absorbed.
    private long _absorbRemaining;

    /// <summary>Bytes advanced into the output pipe over the connection's life (stand-ins excluded).</summary>
    public long Committed { get; private set; }

    public bool IsAbsorbing => _absorbRemaining > 0;

    /// <summary>The next <paramref name="count"/> bytes advanced stand for a file region.</summary>
    public void BeginAbsorbing(long count) => _absorbRemaining = count;

    public override Memory<byte> GetMemory(int sizeHint = 0) =>
        _absorbRemaining > 0 ? s_scratch.AsMemory(0, (int)Math.Min(s_scratch.Length, _absorbRemaining)) : inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        if (_absorbRemaining == 0)
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
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var flush = inner.FlushAsync(cancellationToken);
        connection.Context.Metrics.ObserveFlush(flush);
        return flush;
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (_absorbRemaining > 0)
        {
            return base.WriteAsync(source, cancellationToken); // Through GetSpan/Advance: accounted as stand-ins.
        }

        Committed += source.Length;
        return inner.WriteAsync(source, cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;
}
