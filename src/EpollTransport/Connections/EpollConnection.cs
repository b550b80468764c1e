using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Tasks.Sources;
using EpollTransport.Interop;
using EpollTransport.Loop;
using EpollTransport.SendFile;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Connections;

/// <summary>
/// One accepted socket: Kestrel's <see cref="ConnectionContext"/> on one side, the epoll thread's handler on the other.
/// </summary>
/// <remarks>
/// All socket state is touched only on the owning <see cref="EpollThread"/>; other threads reach the connection through
/// its pipes (whose transport side is scheduled on that thread) and through <see cref="Abort(ConnectionAbortedException)"/>,
/// which queues work to it. The receive side lives in <c>EpollConnection.Receive.cs</c>, the send side in
/// <c>EpollConnection.Send.cs</c>, file regions with the rest of the sendfile machinery in <c>SendFile/</c>.
/// </remarks>
internal sealed partial class EpollConnection : ConnectionContext, IEpollHandler
{
    private static readonly Action<object?> s_abortOnLoop = static state => ((EpollConnection)state!).AbortOnLoop();
    private static readonly Action<object?> s_start = static state => ((EpollConnection)state!).Start();

    private readonly EpollThread _thread;
    private readonly EpollTransportContext _context;
    private readonly FileDescriptorHandle _socket;
    private readonly int _fd;
    private readonly bool _isTcp;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly TransportOutputWriter _outputWriter;
    private readonly CancellationTokenSource _connectionClosedSource = new();
    // The two ends DisposeAsync waits for: the socket closed, and ConnectionClosed's callbacks run. _ended is created
    // only when DisposeAsync has to wait (or is the shared completed one when both came first), so a connection does
    // not carry a completion source for its whole life.
    private static readonly TaskCompletionSource s_bothEnded = CompletedSource();
    private TaskCompletionSource? _ended;
    private int _endsPending = 2;
    private int _connectionClosedSignalled;

    private string? _connectionId;
    private IDictionary<object, object?>? _items;

    // Set once, from any thread, by Abort or a loop fault; its presence is the "aborted" flag.
    private ConnectionAbortedException? _abortReason;

    // A failure of the transport itself (not the peer going away, not an abort): the only error the output pipe is
    // completed with, as Sockets' Output.Complete(unexpectedError). Loop only.
    private Exception? _unexpectedError;

    // Loop-thread state.
    private EpollRegistration? _registration; // set once the socket is in the loop's epoll set

    // The connection's lifecycle as the loop sees it, in one word (see ConnectionFlags). Loop work only; what other
    // threads may set is kept apart: _abortReason (an abort from any thread) and _connectionClosedSignalled.
    private ConnectionFlags _flags;

    public EpollConnection(EpollThread thread, EpollTransportContext context, FileDescriptorHandle socket, bool isTcp, EndPoint? localEndPoint, EndPoint? remoteEndPoint)
    {
        _thread = thread;
        _context = context;
        _socket = socket;
        _fd = socket.Fd;
        _isTcp = isTcp;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;

        _input = new Pipe(context.InputOptions(thread));
        _output = new Pipe(context.OutputOptions(thread));
        _outputWriter = new TransportOutputWriter(_output.Writer, this);
        Transport = new DuplexPipe(_input.Reader, _outputWriter);
        ConnectionClosed = _connectionClosedSource.Token;
    }

    public override string ConnectionId
    {
        get => _connectionId ??= ConnectionIds.Next();
        set => _connectionId = value;
    }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    public MemoryPool<byte> MemoryPool => _context.MemoryPool;

    public EpollTransportContext Context => _context;

    /// <summary>The epoll thread that owns the socket.</summary>
    public EpollThread Thread => _thread;

    private bool IsAborted => Volatile.Read(ref _abortReason) is not null;

    /// <summary>Whether any of <paramref name="flags"/> is set.</summary>
    private bool Is(ConnectionFlags flags) => (_flags & flags) != 0;

    private void Set(ConnectionFlags flag, bool on = true) => _flags = on ? _flags | flag : _flags & ~flag;

    /// <summary>Starts the connection on its epoll thread (directly when already there).</summary>
    public void StartOnLoop()
    {
        if (_thread.IsRunningLoopWork)
        {
            Start();
        }
        else
        {
            _thread.Schedule(s_start, this);
        }
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        // Kestrel passes no reason when the client's FIN ended the input (and FinOnError is off). Sockets closes the
        // socket at once all the same, with FIN rather than RST, whatever the application is still doing.
        abortReason ??= new GracefulAbortException();
        if (Interlocked.CompareExchange(ref _abortReason, abortReason, null) is not null)
        {
            return;
        }

        // Wakes the send loop wherever it waits for application data; the loop itself then does the rest.
        _output.Reader.CancelPendingRead();
        _thread.Schedule(s_abortOnLoop, this);
    }

    public override async ValueTask DisposeAsync()
    {
        // Kestrel is done with the connection: completing the application's ends lets both loops finish.
        _input.Reader.Complete();
        _outputWriter.Complete();
        if (Volatile.Read(ref _endsPending) != 0)
        {
            var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var ended = Interlocked.CompareExchange(ref _ended, waiting, null) ?? waiting;
            if (Volatile.Read(ref _endsPending) == 0)
            {
                ended.TrySetResult(); // The last end came between the check and the exchange.
            }

            await ended.Task.ConfigureAwait(false);
        }

        _connectionClosedSource.Dispose();
    }

    private void Start()
    {
        if (!IsAborted && !_thread.IsStopping)
        {
            try
            {
                _registration = EpollRegistration.Add(_thread, this, _socket, EPOLLIN);
                _thread.Metrics.ConnectionOpened();
                _ = SendLoopAsync();
                return;
            }
            catch (Exception ex)
            {
                // The thread stopped (or epoll refused the socket) before the connection got going. This may run on
                // the thread pool after the loop has gone, where an exception would take the process down.
                Interlocked.CompareExchange(ref _abortReason, new ConnectionAbortedException("The connection could not be registered with its epoll thread.", ex), null);
            }
        }

        // Aborted before it ever reached the loop (listener disposed with connections still queued, its thread
        // stopping, or the above).
        var reason = Interlocked.CompareExchange(ref _abortReason, new ConnectionAbortedException("The epoll transport is shutting down."), null)
            ?? _abortReason!;
        Set(ConnectionFlags.Closed);
        _socket.Dispose();
        _input.Writer.Complete(reason);
        _output.Reader.Complete(reason);
        EndFileRegions();
        EndOne();
        SignalConnectionClosed();
    }

    void IEpollHandler.OnEvents(uint events)
    {
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && WantsToRead)
        {
            Receive();
        }

        if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0 && Is(ConnectionFlags.WaitingWritable))
        {
            SignalWritable();
        }
        else
        {
            UpdateInterest();
        }
    }

    void IEpollHandler.OnLoopFault(Exception exception)
    {
        _unexpectedError ??= exception;
        CloseNow(new ConnectionAbortedException("The epoll transport closed the connection after an unexpected error.", exception));
    }

    void IEpollHandler.OnThreadStopping() =>
        CloseNow(new ConnectionAbortedException("The epoll transport is shutting down."));

    private void AbortOnLoop()
    {
        if (Is(ConnectionFlags.Closed | ConnectionFlags.SendDone))
        {
            return;
        }

        CompleteInput(_abortReason);
        if (Is(ConnectionFlags.WaitingWritable))
        {
            SignalWritable();
        }
    }

    /// <summary>Makes the epoll registration match what the connection waits for (nothing: out of the set).</summary>
    private void UpdateInterest()
    {
        if (!Is(ConnectionFlags.Closed) && _registration is { } registration)
        {
            registration.SetInterest((WantsToRead ? EPOLLIN : 0) | (Is(ConnectionFlags.WaitingWritable) ? EPOLLOUT : 0));
        }
    }

    /// <summary>Closes the socket immediately with RST; used when the loop cannot go on with this connection.</summary>
    private void CloseNow(ConnectionAbortedException reason)
    {
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        if (Is(ConnectionFlags.Closed))
        {
            return;
        }

        _output.Reader.CancelPendingRead();
        CompleteInput(_abortReason);
        if (_isTcp)
        {
            SocketOptions.TrySetAbortiveClose(_fd);
        }

        if (Is(ConnectionFlags.WaitingWritable))
        {
            SignalWritable();
        }

        if (Is(ConnectionFlags.SendDone))
        {
            // The send loop has already ended (its own ending failed): finish what it could not.
            _output.Reader.Complete(_unexpectedError);
            EndFileRegions();
        }

        Close();
    }

    /// <summary>Closes the descriptor (exactly once, under the loop's turn) and reports the connection closed.</summary>
    private void Close()
    {
        if (Is(ConnectionFlags.Closed))
        {
            return;
        }

        Set(ConnectionFlags.Closed);
        DisposeSocketView();
        if (_registration is { } registration)
        {
            // Out of the set, token forgotten (an event for this socket later in the current batch finds nothing),
            // then closed.
            registration.Close();
            _thread.Metrics.ConnectionClosed();
        }
        else
        {
            _socket.Dispose();
        }

        EndOne();
        SignalConnectionClosed();
    }

    /// <summary>
    /// Fires <see cref="ConnectionClosed"/> once, on the thread pool (its callbacks are Kestrel's and the
    /// application's, which must not run on the loop). Kestrel aborts the request in progress when it fires,
    /// so it fires as soon as the connection is known to be dead (a reset), not only when the socket is closed.
    /// </summary>
    private void SignalConnectionClosed()
    {
        if (Interlocked.Exchange(ref _connectionClosedSignalled, 1) != 0)
        {
            return;
        }

        System.Threading.ThreadPool.UnsafeQueueUserWorkItem(static connection =>
        {
            try
            {
                connection._connectionClosedSource.Cancel();
            }
            finally
            {
                connection.EndOne();
            }
        }, this, preferLocal: false);
    }

    /// <summary>One of the two ends (socket closed, ConnectionClosed fired) has happened; the second releases DisposeAsync.</summary>
    private void EndOne()
    {
        if (Interlocked.Decrement(ref _endsPending) == 0)
        {
            Interlocked.CompareExchange(ref _ended, s_bothEnded, null)?.TrySetResult();
        }
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
