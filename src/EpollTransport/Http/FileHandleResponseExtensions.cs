using EpollTransport.SendFile;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Win32.SafeHandles;

namespace EpollTransport;

/// <summary>
/// Sends a response body from a file the application has already opened, so that what is served is exactly the file
/// it checked: the descriptor is used on every path, nothing is reopened by path.
/// </summary>
/// <remarks>
/// <para>
/// <c>HttpResponse.SendFileAsync(string path)</c> opens the file by path when it sends it. An application that checks
/// a file first (its type, its permissions, that it lies inside a directory) and then hands over the path leaves a
/// window in which the path can be made to name another file: a symbolic link or a FIFO swapped in by anyone who can
/// write to the directory. Opening once and sending from that descriptor closes the window.
/// </para>
/// <para>
/// On connections of the epoll transport with <see cref="EpollTransportOptions.SendFile"/> on, the body goes out with
/// <c>sendfile(2)</c> whenever the response allows it (the same rules as for <c>SendFileAsync(string path)</c>).
/// Everywhere else (TLS, HTTP/2, a compressing body, another server or transport, a test server) the region is copied
/// from the same descriptor with positional reads into the response body.
/// </para>
/// </remarks>
public static class FileHandleResponseExtensions
{
    /// <summary>
    /// Sends <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> as (the rest of)
    /// the response body.
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="file">An open, readable, seekable file. It stays owned by the caller and must stay open until the returned task completes.</param>
    /// <param name="offset">Where the region starts in the file.</param>
    /// <param name="count">
    /// The region's length, or <see langword="null"/> for the rest of the file. When the file turns out shorter than
    /// this, the response cannot be completed: the copy path throws <see cref="EndOfStreamException"/>, the
    /// <c>sendfile</c> path aborts the connection.
    /// </param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the region has been handed to the server.</returns>
    public static Task SendFileAsync(this HttpResponse response, SafeFileHandle file, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = response.HttpContext.Features.Get<IHttpResponseBodyFeature>()
            ?? throw new InvalidOperationException("The response has no body feature.");
        return body.SendFileAsync(file, offset, count, cancellationToken);
    }

    /// <summary>
    /// Sends <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> through
    /// <paramref name="body"/>; for response body features that wrap another one and pass file bodies on.
    /// </summary>
    /// <param name="body">The response body feature to send through.</param>
    /// <param name="file">An open, readable, seekable file. It stays owned by the caller and must stay open until the returned task completes.</param>
    /// <param name="offset">Where the region starts in the file.</param>
    /// <param name="count">The region's length, or <see langword="null"/> for the rest of the file.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the region has been handed to the server.</returns>
    public static Task SendFileAsync(this IHttpResponseBodyFeature body, SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(file);
        if (body is IFileHandleResponseBodyFeature handles)
        {
            return handles.SendFileAsync(file, offset, count, cancellationToken);
        }

        return FileHandleCopy.CopyAsync(file, offset, FileHandleCopy.RegionLength(file, offset, count), body.Writer, cancellationToken);
    }
}
