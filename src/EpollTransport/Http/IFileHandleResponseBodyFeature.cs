using Microsoft.Win32.SafeHandles;

namespace EpollTransport;

/// <summary>
/// A response body feature that can send a region of a file the application has already opened. The epoll
/// transport's own body feature implements it with <c>sendfile(2)</c>; a feature that wraps another one (to count
/// bytes, for example) implements it by passing the call on, so the zero-copy path stays reachable through it.
/// </summary>
/// <remarks>
/// Call it through <see cref="FileHandleResponseExtensions"/>, which copies from the descriptor when the response's
/// body feature does not implement this interface.
/// </remarks>
public interface IFileHandleResponseBodyFeature
{
    /// <summary>
    /// Sends <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> as (the rest of)
    /// the response body, reading them from that descriptor only.
    /// </summary>
    /// <param name="file">An open, readable, seekable file, owned by the caller; it must stay open until the returned task completes.</param>
    /// <param name="offset">Where the region starts in the file.</param>
    /// <param name="count">The region's length, or <see langword="null"/> for the rest of the file.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the region has been handed to the server.</returns>
    Task SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken);
}
