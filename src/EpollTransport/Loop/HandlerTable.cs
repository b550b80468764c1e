namespace EpollTransport.Loop;

/// <summary>
/// Maps the 64-bit user data of epoll events to handlers.
/// </summary>
/// <remarks>
/// The token is a slot index plus a generation, never a file descriptor: Linux hands out the lowest free
/// descriptor number again as soon as one is closed, so an event still queued for a connection that was closed
/// earlier in the same batch must not reach the new connection that reused its number. Removing a handler bumps
/// its slot's generation, and stale tokens then resolve to nothing. Generations start at 1 and skip 0 when they wrap,
/// so no token is ever 0: a default (never assigned) token cannot name a live handler. Used by one epoll thread only.
/// </remarks>
internal sealed class HandlerTable
{
    private IEpollHandler?[] _handlers = new IEpollHandler?[64];
    private uint[] _generations = NewGenerations(64);
    private readonly Stack<int> _freeSlots = new();
    private int _nextUnusedSlot;

    public int Count { get; private set; }

    public ulong Add(IEpollHandler handler)
    {
        if (!_freeSlots.TryPop(out int slot))
        {
            slot = _nextUnusedSlot++;
            if (slot == _handlers.Length)
            {
                Array.Resize(ref _handlers, slot * 2);
                var generations = NewGenerations(slot * 2);
                _generations.CopyTo(generations, 0);
                _generations = generations;
            }
        }

        _handlers[slot] = handler;
        Count++;
        return ((ulong)_generations[slot] << 32) | (uint)slot;
    }

    public IEpollHandler? Get(ulong token)
    {
        int slot = (int)(uint)token;
        uint generation = (uint)(token >> 32);
        return (uint)slot < (uint)_nextUnusedSlot && _generations[slot] == generation ? _handlers[slot] : null;
    }

    public void Remove(ulong token)
    {
        int slot = (int)(uint)token;
        uint generation = (uint)(token >> 32);
        if ((uint)slot >= (uint)_nextUnusedSlot || _generations[slot] != generation || _handlers[slot] is null)
        {
            return;
        }

        _handlers[slot] = null;
        _generations[slot] = _generations[slot] == uint.MaxValue ? 1 : _generations[slot] + 1;
        _freeSlots.Push(slot);
        Count--;
    }

    private static uint[] NewGenerations(int length)
    {
        var generations = new uint[length];
        Array.Fill(generations, 1u);
        return generations;
    }

    /// <summary>The live handlers, copied so the caller may remove them while iterating.</summary>
    public List<IEpollHandler> Snapshot()
    {
        var list = new List<IEpollHandler>(Count);
        for (int i = 0; i < _nextUnusedSlot; i++)
        {
            if (_handlers[i] is { } handler)
            {
                list.Add(handler);
            }
        }

        return list;
    }
}
