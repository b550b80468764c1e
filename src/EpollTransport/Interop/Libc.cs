using System.Runtime.InteropServices;

namespace EpollTransport.Interop;

/// <summary>
/// Source-generated P/Invoke declarations for the handful of libc calls the transport and StaticHostApp make
/// (linked into both, so each call is declared once).
/// </summary>
/// <remarks>
/// File descriptors are passed as plain <see cref="int"/>s rather than <see cref="SafeHandle"/>s: every call is made
/// on the epoll thread that owns the descriptor, and that thread is also the only one that ever closes it, so the
/// reference counting a SafeHandle parameter would add to each call buys nothing. Ownership (close exactly once)
/// is still held by <c>FileDescriptorHandle</c>.
/// </remarks>
internal static unsafe partial class Libc
{
    private const string LibraryName = "libc";

    [LibraryImport(LibraryName, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(LibraryName, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, byte* address, int addressLength);

    [LibraryImport(LibraryName, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(LibraryName, EntryPoint = "accept4", SetLastError = true)]
    internal static partial int Accept4(int fd, byte* address, int* addressLength, int flags);

    [LibraryImport(LibraryName, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibraryName, EntryPoint = "send", SetLastError = true)]
    internal static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibraryName, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint SendMsg(int fd, MessageHeader* message, int flags);

    [LibraryImport(LibraryName, EntryPoint = "sendfile64", SetLastError = true)]
    internal static partial nint SendFile(int outFd, int inFd, long* offset, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(LibraryName, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int name, void* value, int valueLength);

    [LibraryImport(LibraryName, EntryPoint = "getsockopt", SetLastError = true)]
    internal static partial int GetSockOpt(int fd, int level, int name, void* value, int* valueLength);

    [LibraryImport(LibraryName, EntryPoint = "getsockname", SetLastError = true)]
    internal static partial int GetSockName(int fd, byte* address, int* addressLength);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(LibraryName, EntryPoint = "getrlimit", SetLastError = true)]
    internal static partial int GetRLimit(int resource, ResourceLimit* limit);

    [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(LibraryName, EntryPoint = "statx", SetLastError = true)]
    internal static partial int StatX(int dirFd, byte* path, int flags, uint mask, byte* statx);

    [LibraryImport(LibraryName, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int StatX(int dirFd, string path, int flags, uint mask, byte* statx);

    /// <summary>openat2(2), which glibc does not wrap: <paramref name="number"/> is <see cref="LinuxConstants.SYS_openat2"/>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long OpenAt2(long number, int dirFd, string path, OpenHow* how, nuint size);

    [LibraryImport(LibraryName, EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint RealPath(string path, nint resolved);

    [LibraryImport(LibraryName, EntryPoint = "free")]
    internal static partial void Free(nint pointer);

    [LibraryImport(LibraryName, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "pread64", SetLastError = true)]
    internal static partial nint PRead(int fd, void* buffer, nuint count, long offset);

    [LibraryImport(LibraryName, EntryPoint = "preadv2", SetLastError = true)]
    internal static partial nint PReadV2(int fd, IoVector* vectors, int count, long offset, int flags);

    [LibraryImport(LibraryName, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(LibraryName, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epollFd, int operation, int fd, byte* epollEvent);

    [LibraryImport(LibraryName, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epollFd, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport(LibraryName, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initialValue, int flags);

    /// <summary>The <c>struct iovec</c> of a gather write.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>The <c>struct msghdr</c> of <c>sendmsg(2)</c>; only the vector fields are used.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MessageHeader
    {
        public void* Name;
        public int NameLength;
        public IoVector* IoVectors;
        public nuint IoVectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>The <c>struct linger</c> of <c>SO_LINGER</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Linger
    {
        public int OnOff;
        public int Seconds;
    }

    /// <summary>The <c>struct open_how</c> of openat2(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary><c>struct rlimit</c> (64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
