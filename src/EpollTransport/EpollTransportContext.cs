using System.Buffers;
using System.IO.Pipelines;
using EpollTransport.Loop;
using EpollTransport.Metrics;
using Microsoft.Extensions.Logging;

namespace EpollTransport;

/// <summary>What every connection and listener of one <see cref="EpollTransportFactory"/> shares: options, logger, memory and threads.</summary>
internal sealed class EpollTransportContext
{
    private const int DefaultSegmentSize = 4096;
    private const int MaxPooledSegmentSize = 64 * 1024;

    private readonly PipeOptions[] _inputOptions;
    private readonly PipeOptions[] _outputOptions;
    private int _nextThread;

    public EpollTransportContext(EpollTransportOptions options, ILogger logger, MemoryPool<byte> memoryPool, EpollThread[] threads, EpollTransportMetrics metrics)
    {
        Options = options;
        Logger = logger;
        MemoryPool = memoryPool;
        Threads = threads;
        Metrics = metrics;

        bool inline = options.ApplicationSchedulingMode == ApplicationSchedulingMode.Inline;
        PipeScheduler ApplicationScheduler(EpollThread thread) => inline ? PipeScheduler.Inline : thread.ApplicationQueue;
        long maxRead = options.MaxReadBufferSize ?? 0;
        long maxWrite = options.MaxWriteBufferSize ?? 0;
        // A pool of fixed-size blocks (Kestrel's: 4 KiB) gives its block size. A pool whose "maximum" is really "any
        // size" (MemoryPool<byte>.Shared reports Array.MaxLength) must not make every pipe segment that large: each
        // first receive would fail to rent it.
        int segmentSize = memoryPool.MaxBufferSize is > 0 and <= MaxPooledSegmentSize ? memoryPool.MaxBufferSize : DefaultSegmentSize;

        // The transport's side of both pipes is scheduled on the connection's epoll thread: resuming a paused
        // read and picking up an application flush are loop work (a flush from another thread wakes the loop once
        // per burst, not once per flush: DeferredWakeScheduler). The application's side uses the chosen mode:
        // inline on the loop, or the thread pool through the thread's batching queue.
        _inputOptions = Array.ConvertAll(threads, thread => new PipeOptions(
            memoryPool,
            readerScheduler: ApplicationScheduler(thread),
            writerScheduler: thread,
            pauseWriterThreshold: maxRead,
            resumeWriterThreshold: maxRead / 2,
            minimumSegmentSize: segmentSize,
            useSynchronizationContext: false));
        _outputOptions = Array.ConvertAll(threads, thread => new PipeOptions(
            memoryPool,
            readerScheduler: thread.OutputScheduler,
            writerScheduler: ApplicationScheduler(thread),
            pauseWriterThreshold: maxWrite,
            resumeWriterThreshold: maxWrite / 2,
            minimumSegmentSize: segmentSize,
            useSynchronizationContext: false));
    }

    public EpollTransportOptions Options { get; }

    public ILogger Logger { get; }

    public MemoryPool<byte> MemoryPool { get; }

    public EpollThread[] Threads { get; }

    public EpollTransportMetrics Metrics { get; }

    public PipeOptions InputOptions(EpollThread thread) => _inputOptions[thread.Index];

    public PipeOptions OutputOptions(EpollThread thread) => _outputOptions[thread.Index];

    /// <summary>The thread the next accepted connection goes to (round robin).</summary>
    public EpollThread NextThread()
    {
        if (Threads.Length == 1)
        {
            return Threads[0];
        }

        // A thread whose loop failed is skipped (a connection given to it would only be closed); if all have
        // failed, any will do: the connection is then closed at once.
        for (int attempt = 0; attempt < Threads.Length; attempt++)
        {
            uint next = (uint)Interlocked.Increment(ref _nextThread);
            var thread = Threads[next % (uint)Threads.Length];
            if (!thread.IsFaulted)
            {
                return thread;
            }
        }

        return Threads[0];
    }
}
