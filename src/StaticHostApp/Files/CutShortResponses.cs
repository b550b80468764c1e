using Microsoft.Win32.SafeHandles;
using StaticHostApp.Interop;

namespace StaticHostApp.Files;

/// <summary>
/// Reports, once per response at Warning with the site and the path, a file response cut short because the file
/// changed while it was being sent (truncated mid-download, rewritten in place). The transports end such responses
/// each in their own way (an <see cref="EndOfStreamException"/> from a copy, a connection aborted by sendfile
/// finding the end early) and neither knows the site or the path; this looks at the descriptor that was served,
/// whatever the transport, and only when the send did not end cleanly, so a response that went well costs nothing.
/// A client that went away while the file stayed as it was is not reported here (it stays a Debug line).
/// </summary>
internal sealed partial class CutShortResponses(string site, ILogger logger)
{
    /// <summary>
    /// Looks at <paramref name="handle"/>, which was described as <paramref name="described"/> and served from
    /// <paramref name="offset"/> for <paramref name="count"/> bytes (null: to its end), and logs the Warning when it no
    /// longer holds those bytes (shorter) or changed meanwhile (another modification time). True when it was logged.
    /// </summary>
    public bool ReportIfChanged(SafeFileHandle handle, in FileCalls.FileStatus described, string path, long offset, long? count)
    {
        long promisedEnd = offset + (count ?? (described.Length - offset));
        string change;
        if (FileCalls.Stat(handle, out var now) != 0)
        {
            change = "it can no longer be described";
        }
        else if (now.Length < promisedEnd)
        {
            change = $"it is now {now.Length} bytes long, and the response promised bytes up to {promisedEnd}";
        }
        else if (now.LastModified != described.LastModified || now.Inode != described.Inode)
        {
            change = "it was modified while being sent";
        }
        else
        {
            return false;
        }

        LogCutShort(logger, site, path, change);
        return true;
    }

    [LoggerMessage(1, LogLevel.Warning, "Response cut short serving {Site} {Path}: the file changed while it was being sent ({Change}); the client got an incomplete response")]
    private static partial void LogCutShort(ILogger logger, string site, string path, string change);
}

/// <summary>
/// A file send that failed because the file changed under it, already reported by <see cref="CutShortResponses"/>:
/// the site's error middleware ends the connection without logging it again.
/// </summary>
internal sealed class FileChangedWhileSendingException(string path, Exception inner)
    : IOException($"'{path}' changed while it was being sent.", inner);
