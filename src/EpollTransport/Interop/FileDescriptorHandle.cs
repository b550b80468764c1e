using Microsoft.Win32.SafeHandles;

namespace EpollTransport.Interop;

/// <summary>Owns one Linux file descriptor and closes it exactly once.</summary>
internal sealed class FileDescriptorHandle : SafeHandleMinusOneIsInvalid
{
    public FileDescriptorHandle(int fd)
        : base(ownsHandle: true)
    {
        SetHandle(fd);
    }

    /// <summary>The descriptor number. Valid until the handle is disposed.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle()
    {
        // On Linux the descriptor is released even when close(2) reports EINTR, so it is never retried:
        // a retry could close a number that another thread has just been given.
        return Libc.Close((int)handle) == 0;
    }
}
