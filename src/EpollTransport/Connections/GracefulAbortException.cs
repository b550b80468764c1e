using Microsoft.AspNetCore.Connections;

namespace EpollTransport.Connections;

/// <summary>
/// The reason recorded for an abort that came without one: Kestrel's way of ending a connection whose client sent
/// FIN. The socket is closed at once, like any abort, but with FIN instead of RST, as Sockets does.
/// </summary>
internal sealed class GracefulAbortException() : ConnectionAbortedException("The epoll transport's send loop completed gracefully.");
