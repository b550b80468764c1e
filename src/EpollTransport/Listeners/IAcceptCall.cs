namespace EpollTransport.Listeners;

/// <summary>
/// The <c>accept4(2)</c> call a <see cref="ListenSocket"/> makes. <see cref="Accept4Call"/> is the real one; tests
/// put another in its place to produce failures a .NET process cannot stage for real (running out of descriptors
/// makes the runtime itself fail: the GC reads <c>/proc/self/status</c> and treats the failure as out of memory).
/// </summary>
internal unsafe interface IAcceptCall
{
    /// <summary>
    /// Takes one connection from <paramref name="listenFd"/>, non-blocking and close-on-exec, writing the peer's
    /// address to <paramref name="address"/>.
    /// </summary>
    /// <returns>The connection's descriptor, or -1 with the reason in <paramref name="errno"/>.</returns>
    int Accept(int listenFd, byte* address, int* addressLength, out int errno);
}
