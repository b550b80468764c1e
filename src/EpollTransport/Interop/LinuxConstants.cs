namespace EpollTransport.Interop;

/// <summary>
/// Linux ABI constants used by the transport and StaticHostApp (linked into both, so each is written down once);
/// identical on x86-64 and arm64 except where a member says otherwise.
/// </summary>
internal static class LinuxConstants
{
    // Address families.
    internal const int AF_UNIX = 1;
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;

    // Socket types and creation flags.
    internal const int SOCK_STREAM = 1;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;

    // Socket options.
    internal const int SOL_SOCKET = 1;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_TYPE = 3;
    internal const int SO_LINGER = 13;
    internal const int SO_DOMAIN = 39;
    internal const int IPPROTO_TCP = 6;
    internal const int TCP_NODELAY = 1;
    internal const int TCP_CORK = 3;
    internal const int IPPROTO_IPV6 = 41;
    internal const int IPV6_V6ONLY = 26;

    // send/recv flags.
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int MSG_MORE = 0x8000;

    // preadv2(2): fail with EAGAIN instead of waiting for the disk (the bytes are not in the page cache).
    internal const int RWF_NOWAIT = 0x08;

    // Largest count one sendfile(2) call transfers (the kernel caps every read/write at this).
    internal const long MAX_RW_COUNT = 0x7ffff000;

    // shutdown(2).
    internal const int SHUT_WR = 1;
    internal const int SHUT_RDWR = 2;

    // open(2).
    internal const int O_RDONLY = 0;
    internal const int O_NOCTTY = 0x100;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;

    // O_DIRECTORY is the one open(2) flag whose value differs between x86-64 and arm64.
    internal static readonly int O_DIRECTORY = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
        is System.Runtime.InteropServices.Architecture.Arm64 or System.Runtime.InteropServices.Architecture.Arm ? 0x4000 : 0x10000;

    // The "current directory" descriptor of the *at calls: a relative path starts there, an absolute one ignores it.
    internal const int AT_FDCWD = -100;

    // openat2(2): glibc has no wrapper, so it is called through syscall(2). Its number is the same on every
    // architecture (it came after the numbers were unified).
    internal const long SYS_openat2 = 437;

    // openat2(2) resolve flags.
    internal const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    internal const ulong RESOLVE_NO_SYMLINKS = 0x04;
    internal const ulong RESOLVE_BENEATH = 0x08;

    // fcntl(2).
    internal const int F_GETFD = 1;
    internal const int F_GETFL = 3;
    internal const int F_DUPFD_CLOEXEC = 1030;
    internal const int RLIMIT_NOFILE = 7;
    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;

    // epoll.
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;
    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLOUT = 0x004;
    internal const uint EPOLLERR = 0x008;
    internal const uint EPOLLHUP = 0x010;

    // eventfd.
    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    // Largest number of iovecs one sendmsg accepts (IOV_MAX).
    internal const int IOV_MAX = 1024;
}
