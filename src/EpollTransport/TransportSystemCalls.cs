using EpollTransport.Listeners;
using EpollTransport.Loop;

namespace EpollTransport;

/// <summary>
/// The system calls a transport's listeners and loops make through a seam: the real ones in production
/// (<see cref="Real"/>); tests pass others to the factory to inject failures a process cannot stage for real.
/// </summary>
/// <param name="Accept">How listeners accept connections.</param>
/// <param name="Epoll">How loops change and wait on their epoll sets.</param>
internal sealed record TransportSystemCalls(IAcceptCall Accept, IEpollCalls Epoll)
{
    public static readonly TransportSystemCalls Real = new(Accept4Call.Instance, EpollCalls.Instance);
}
