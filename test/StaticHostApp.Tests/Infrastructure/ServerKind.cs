namespace StaticHostApp.Tests.Infrastructure;

/// <summary>Which server hosts the application in a test.</summary>
public enum ServerKind
{
    /// <summary>ASP.NET Core's in-memory TestServer.</summary>
    TestServer,

    /// <summary>Real Kestrel on the epoll transport, on a dynamic loopback port.</summary>
    Kestrel,
}
