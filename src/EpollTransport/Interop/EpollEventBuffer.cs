using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EpollTransport.Interop;

/// <summary>
/// A native array of <c>struct epoll_event</c> for <c>epoll_wait(2)</c>, and the encoding of one event for <c>epoll_ctl(2)</c>.
/// </summary>
/// <remarks>
/// The kernel declares <c>struct epoll_event</c> packed on x86-64 (12 bytes, the 64-bit data at offset 4) and
/// naturally aligned elsewhere (16 bytes, data at offset 8), so the layout is chosen at run time rather than
/// with a <see cref="StructLayoutAttribute"/>.
/// </remarks>
internal sealed unsafe class EpollEventBuffer : IDisposable
{
    private static readonly bool s_packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    /// <summary>Size of one <c>struct epoll_event</c> on this architecture.</summary>
    public static int EventSize => s_packed ? 12 : 16;

    private static int DataOffset => s_packed ? 4 : 8;

    private byte* _events;

    public EpollEventBuffer(int capacity)
    {
        Capacity = capacity;
        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * EventSize));
    }

    public int Capacity { get; }

    public byte* Pointer => _events;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint GetEvents(int index) => Unsafe.ReadUnaligned<uint>(_events + (index * EventSize));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong GetData(int index) => Unsafe.ReadUnaligned<ulong>(_events + (index * EventSize) + DataOffset);

    /// <summary>Writes one event (interest mask and user data) into a caller-provided buffer of <see cref="EventSize"/> bytes.</summary>
    public static void Encode(byte* destination, uint events, ulong data)
    {
        Unsafe.WriteUnaligned(destination, events);
        Unsafe.WriteUnaligned(destination + DataOffset, data);
    }

    public void Dispose()
    {
        if (_events != null)
        {
            NativeMemory.Free(_events);
            _events = null;
        }
    }
}
