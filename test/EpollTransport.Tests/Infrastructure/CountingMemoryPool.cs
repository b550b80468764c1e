using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>A memory pool (and its factory) that counts the blocks currently rented from it.</summary>
internal sealed class CountingMemoryPool : MemoryPool<byte>, IMemoryPoolFactory<byte>
{
    private int _rented;

    /// <summary>Blocks rented and not yet returned.</summary>
    public int Rented => Volatile.Read(ref _rented);

    public override int MaxBufferSize => 4096;

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => this;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        Interlocked.Increment(ref _rented);
        return new Block(this, Math.Max(minBufferSize, MaxBufferSize));
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block(CountingMemoryPool pool, int size) : IMemoryOwner<byte>
    {
        private int _returned;

        public Memory<byte> Memory { get; } = new byte[size];

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                Interlocked.Decrement(ref pool._rented);
            }
        }
    }
}
