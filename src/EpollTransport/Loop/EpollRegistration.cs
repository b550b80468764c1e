using System.Diagnostics;
using EpollTransport.Interop;
using static EpollTransport.Interop.LinuxConstants;

namespace EpollTransport.Loop;

/// <summary>
/// One descriptor in one <see cref="EpollThread"/>'s epoll set: the descriptor, the token its events carry, the
/// interest it is watched for, and its closing. Listeners, connections and the loop's own eventfd all go through it,
/// and nothing else calls <c>epoll_ctl</c>. Used by the holder of its loop's turn only.
/// </summary>
/// <remarks>
/// <para>
/// A registration exists only once <c>EPOLL_CTL_ADD</c> has succeeded, so there is never a token to forget for a
/// descriptor that was not added (tokens are never 0, see <see cref="HandlerTable"/>).
/// </para>
/// <para>
/// <see cref="Close"/> takes the descriptor out of the set before closing it. close(2) alone removes it only when no
/// other descriptor refers to the same open file description: an inherited listen socket that systemd or a child
/// process still holds would otherwise stay in the set after its number is closed, reported on every turn.
/// </para>
/// </remarks>
internal sealed class EpollRegistration
{
    private readonly EpollThread _thread;
    private readonly FileDescriptorHandle _descriptor;
    private uint _applied;  // what the kernel's set holds for the descriptor; 0: not in the set
    private bool _queued;   // waiting in the loop's list of interest changes

    private EpollRegistration(EpollThread thread, IEpollHandler handler, FileDescriptorHandle descriptor, ulong token, uint interest)
    {
        _thread = thread;
        Handler = handler;
        _descriptor = descriptor;
        Token = token;
        Interest = interest;
        _applied = interest;
    }

    /// <summary>The user data of this descriptor's events; never 0.</summary>
    public ulong Token { get; }

    /// <summary>Who the descriptor's events (and any failure to apply an interest change) go to.</summary>
    public IEpollHandler Handler { get; }

    /// <summary>The events the descriptor should be watched for (applied before the loop next waits); 0: out of the set.</summary>
    public uint Interest { get; private set; }

    public bool IsClosed { get; private set; }

    /// <summary>
    /// Adds <paramref name="descriptor"/> to <paramref name="thread"/>'s set for <paramref name="interest"/>, its events
    /// going to <paramref name="handler"/>, at once. On failure nothing stays registered and the descriptor is still
    /// the caller's.
    /// </summary>
    public static EpollRegistration Add(EpollThread thread, IEpollHandler handler, FileDescriptorHandle descriptor, uint interest)
    {
        Debug.Assert(interest != 0, "A descriptor is added for something.");
        ulong token = thread.Handlers.Add(handler);
        if (!thread.Control(EPOLL_CTL_ADD, descriptor.Fd, interest, token))
        {
            int errno = NativeErrors.LastErrno;
            thread.Handlers.Remove(token);
            throw NativeErrors.ToSocketException(errno, "epoll_ctl(ADD)");
        }

        return new EpollRegistration(thread, handler, descriptor, token, interest);
    }

    /// <summary>
    /// Watches the descriptor for <paramref name="interest"/> from the loop's next wait on; 0 takes it out of the set
    /// entirely (epoll reports EPOLLHUP and EPOLLERR whatever the mask, and a level-triggered socket that waits for
    /// nothing would otherwise wake the loop on every turn). Changes are applied once per turn, just before the wait,
    /// so a send that waits for EPOLLOUT turn after turn costs no epoll_ctl at all, and a handler may be told of
    /// events it no longer wants until then.
    /// </summary>
    public void SetInterest(uint interest)
    {
        AssertOnLoop();
        if (IsClosed)
        {
            return;
        }

        Interest = interest;
        if (!_queued && interest != _applied)
        {
            _queued = true;
            _thread.QueueInterestChange(this);
        }
    }

    /// <summary>Makes the kernel's set match <see cref="Interest"/>. Called by the loop before it waits.</summary>
    public void ApplyInterest()
    {
        AssertOnLoop();
        _queued = false;
        if (IsClosed || Interest == _applied)
        {
            return;
        }

        if (Interest == 0)
        {
            if (!_thread.Control(EPOLL_CTL_DEL, _descriptor.Fd, 0, 0))
            {
                NativeErrors.ThrowLast("epoll_ctl(DEL)");
            }
        }
        else if (!_thread.Control(_applied != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, _descriptor.Fd, Interest, Token))
        {
            NativeErrors.ThrowLast(_applied != 0 ? "epoll_ctl(MOD)" : "epoll_ctl(ADD)");
        }

        _applied = Interest;
    }

    /// <summary>Takes the descriptor out of the set, forgets its token (later events in this batch find nothing) and closes it. Idempotent.</summary>
    public void Close()
    {
        AssertOnLoop();
        if (IsClosed)
        {
            return;
        }

        IsClosed = true;
        if (_applied != 0)
        {
            // At once, before close(2). Best effort: if it fails the descriptor was not in the set anyway.
            _ = _thread.TryControl(EPOLL_CTL_DEL, _descriptor.Fd, 0, 0);
            _applied = 0;
        }

        Interest = 0;
        _thread.Handlers.Remove(Token);
        _descriptor.Dispose();
    }

    [Conditional("DEBUG")]
    private void AssertOnLoop() =>
        Debug.Assert(_thread.IsRunningLoopWork || !_thread.IsRunning, "A registration is used under its loop's turn only.");
}
