using System.IO.Pipelines;
using EpollTransport;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Files;

/// <summary>
/// The files a request has opened, and the response body feature that sends them from their descriptors.
/// </summary>
/// <remarks>
/// <para>
/// The static file middleware hands a file to the response by path (<c>SendFileAsync(IFileInfo)</c> ends in
/// <see cref="IHttpResponseBodyFeature.SendFileAsync"/> with <see cref="SiteFileInfo.PhysicalPath"/>). This feature
/// stands in front of the server's own for the request, recognises the paths of the files the request opened, and
/// sends those from the descriptor that was checked (<c>sendfile(2)</c> on the epoll transport, a positional copy
/// otherwise); any other path goes to the server's feature unchanged.
/// </para>
/// <para>
/// File providers have no access to the request, so the request's instance is found through
/// <see cref="Current"/>, an async-local that <see cref="Middleware.RequestFilesMiddleware"/> sets for the site's branch.
/// Disposing closes every descriptor the request opened (after the body has been handed to the server).
/// </para>
/// <para>
/// A send that fails, or after which the request or its connection has been aborted, is followed by a look at the
/// descriptor that was served (<see cref="CutShortResponses"/>), so that a response cut short because the file
/// changed under it is reported with the site and the path on every transport; a send that went well costs nothing.
/// </para>
/// </remarks>
internal sealed class RequestFiles(IHttpResponseBodyFeature inner, StringValues acceptEncoding = default, HttpContext? context = null, CutShortResponses? cutShort = null)
    : IHttpResponseBodyFeature, IFileHandleResponseBodyFeature, IDisposable
{
    private ContentCodings? _codings;

    private static readonly AsyncLocal<RequestFiles?> CurrentRequest = new();

    // Most requests open one file; a directory request two look-ups of the same one.
    private SiteFileInfo? _first;
    private List<SiteFileInfo>? _others;
    private bool _reported;

    /// <summary>The files of the request being served on this asynchronous flow, if it is inside a site's branch.</summary>
    public static RequestFiles? Current
    {
        get => CurrentRequest.Value;
        set => CurrentRequest.Value = value;
    }

    /// <summary>The precompressed codings the request accepts, best first (parsed when first asked).</summary>
    public ContentCodings Codings => _codings ??= ContentCodings.Parse(acceptEncoding);

    /// <inheritdoc />
    public Stream Stream => inner.Stream;

    /// <inheritdoc />
    public PipeWriter Writer => inner.Writer;

    /// <summary>The file <paramref name="provider"/> opened for <paramref name="subpath"/> in this request, if any.</summary>
    public SiteFileInfo? Find(SiteFileProvider provider, string subpath)
    {
        if (_first is { } first && ReferenceEquals(first.Provider, provider) && first.Subpath == subpath)
        {
            return first;
        }

        // Loops rather than List.Find: a lambda capturing the parameters would allocate a closure on every call,
        // and these run for every file request.
        if (_others is not null)
        {
            foreach (var file in _others)
            {
                if (ReferenceEquals(file.Provider, provider) && file.Subpath == subpath)
                {
                    return file;
                }
            }
        }

        return null;
    }

    /// <summary>Takes ownership of an opened file's descriptor until the request ends.</summary>
    public void Add(SiteFileInfo file)
    {
        if (_first is null)
        {
            _first = file;
        }
        else
        {
            (_others ??= []).Add(file);
        }
    }

    /// <inheritdoc />
    public void DisableBuffering() => inner.DisableBuffering();

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    /// <inheritdoc />
    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        FindByPath(path) is { Handle: { } handle } file
            ? Checked(inner.SendFileAsync(handle, offset, count, cancellationToken), file, handle, offset, count)
            : inner.SendFileAsync(path, offset, count, cancellationToken);

    /// <inheritdoc />
    public Task SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        var sending = inner.SendFileAsync(file, offset, count, cancellationToken);
        return FindByHandle(file) is { } known ? Checked(sending, known, file, offset, count) : sending;
    }

    /// <inheritdoc />
    public Task CompleteAsync() => inner.CompleteAsync();

    /// <summary>Lets go of every descriptor the request opened (closes it, or releases a cached one).</summary>
    public void Dispose()
    {
        _first?.ReleaseHandle();
        if (_others is not null)
        {
            foreach (var file in _others)
            {
                file.ReleaseHandle();
            }
        }
    }

    /// <summary>The send itself when it went well; otherwise a task that looks at the file once the send has ended.</summary>
    private Task Checked(Task sending, SiteFileInfo file, SafeFileHandle handle, long offset, long? count)
    {
        if (cutShort is null || context is null || (sending.IsCompletedSuccessfully && !context.RequestAborted.IsCancellationRequested))
        {
            return sending;
        }

        return CheckAfterAsync(sending, file, handle, offset, count);
    }

    private async Task CheckAfterAsync(Task sending, SiteFileInfo file, SafeFileHandle handle, long offset, long? count)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception exception) when (ReportIfChanged(file, handle, offset, count))
        {
            throw new FileChangedWhileSendingException(file.Subpath, exception);
        }

        // A send the transport ended by aborting the connection (sendfile found the end of the file early) may
        // complete without an exception; the connection's end says so at once, the request's abort a moment later.
        if (context!.RequestAborted.IsCancellationRequested ||
            context.Features.Get<IConnectionLifetimeFeature>()?.ConnectionClosed.IsCancellationRequested == true)
        {
            ReportIfChanged(file, handle, offset, count);
        }
    }

    private bool ReportIfChanged(SiteFileInfo file, SafeFileHandle handle, long offset, long? count)
    {
        if (_reported)
        {
            return false; // once per response
        }

        _reported = cutShort!.ReportIfChanged(handle, file.Status, file.Subpath, offset, count);
        return _reported;
    }

    private SiteFileInfo? FindByHandle(SafeFileHandle handle)
    {
        if (_first is { } first && ReferenceEquals(first.Handle, handle))
        {
            return first;
        }

        if (_others is not null)
        {
            foreach (var file in _others)
            {
                if (ReferenceEquals(file.Handle, handle))
                {
                    return file;
                }
            }
        }

        return null;
    }

    private SiteFileInfo? FindByPath(string path)
    {
        if (_first is { } first && first.PhysicalPath == path)
        {
            return first;
        }

        if (_others is not null)
        {
            foreach (var file in _others)
            {
                if (file.PhysicalPath == path)
                {
                    return file;
                }
            }
        }

        return null;
    }
}
