namespace EpollTransport.Interop;

/// <summary>Typed wrappers over <c>setsockopt(2)</c>/<c>getsockopt(2)</c> for the options the transport sets.</summary>
internal static unsafe class SocketOptions
{
    public static bool TrySetInt(int fd, int level, int name, int value) =>
        Libc.SetSockOpt(fd, level, name, &value, sizeof(int)) == 0;

    public static void SetInt(int fd, int level, int name, int value, string description)
    {
        if (!TrySetInt(fd, level, name, value))
        {
            NativeErrors.ThrowLast($"setsockopt({description})");
        }
    }

    public static bool TryGetInt(int fd, int level, int name, out int value)
    {
        int result = 0;
        int length = sizeof(int);
        bool ok = Libc.GetSockOpt(fd, level, name, &result, &length) == 0;
        value = result;
        return ok;
    }

    /// <summary>SO_LINGER {on, 0}: the next close(2) discards unsent data and sends RST instead of FIN.</summary>
    public static bool TrySetAbortiveClose(int fd)
    {
        var linger = new Libc.Linger { OnOff = 1, Seconds = 0 };
        return Libc.SetSockOpt(fd, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_LINGER, &linger, sizeof(Libc.Linger)) == 0;
    }
}
