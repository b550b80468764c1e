using Microsoft.Extensions.FileProviders;
using Microsoft.Win32.SafeHandles;
using StaticHostApp.Interop;

namespace StaticHostApp.Files;

/// <summary>
/// A regular file <see cref="SiteFileProvider"/> has opened and checked, described by the statx(2) of its open
/// descriptor. Inside a request it carries that descriptor (<see cref="Handle"/>, owned by the request's
/// <see cref="RequestFiles"/>), and both the body and any stream come from it. A file from the open-file cache
/// (<see cref="SharedHandle"/>) is one immutable description shared by every request that gets it; each request
/// holds its own reference on the descriptor and releases it at its end.
/// </summary>
/// <remarks>
/// For a precompressed sibling (<see cref="Coding"/>), <see cref="Name"/>, <see cref="Subpath"/> and so the content
/// type stay those of the request path; length, modification time (hence the ETag) and bytes are the sibling's.
/// <see cref="PhysicalPath"/> is set only while the descriptor is held: <c>HttpResponse.SendFileAsync(IFileInfo)</c>
/// then passes the path to the response body feature, where <see cref="RequestFiles"/> recognises it and sends from
/// the descriptor instead. Without a descriptor it is null, so the static file middleware copies from
/// <see cref="CreateReadStream"/>, which reopens the file confined and checks it is the same file.
/// </remarks>
internal sealed class SiteFileInfo(
    SiteFileProvider provider,
    string subpath,
    string? physicalPath,
    SafeFileHandle? handle,
    FileCalls.FileStatus status,
    ContentCoding coding = ContentCoding.None,
    bool sharedHandle = false) : IFileInfo
{
    /// <inheritdoc />
    public bool Exists => true;

    /// <inheritdoc />
    public long Length => status.Length;

    /// <inheritdoc />
    public string? PhysicalPath => physicalPath;

    /// <inheritdoc />
    public string Name => Path.GetFileName(subpath);

    /// <inheritdoc />
    public DateTimeOffset LastModified => status.LastModified;

    /// <inheritdoc />
    public bool IsDirectory => false;

    /// <summary>The provider that opened the file.</summary>
    public SiteFileProvider Provider => provider;

    /// <summary>The request path the file was opened for.</summary>
    public string Subpath => subpath;

    /// <summary>The open descriptor the checks were made on, or null outside a request.</summary>
    public SafeFileHandle? Handle => handle;

    /// <summary>
    /// The content coding of the bytes: <see cref="ContentCoding.None"/> for the file itself, otherwise this is the
    /// precompressed sibling (<c>file.br</c>, <c>file.gz</c>) served for the request path in its place.
    /// </summary>
    public ContentCoding Coding => coding;

    /// <summary>
    /// Whether <see cref="Handle"/> belongs to the site's open-file cache (the request holds a reference on it)
    /// rather than to the request.
    /// </summary>
    public bool SharedHandle => sharedHandle;

    /// <summary>The same open file (and the same reference on its descriptor) as the answer to another request path.</summary>
    public SiteFileInfo DescribedAs(string requestPath, ContentCoding bytesCoding) =>
        new(provider, requestPath, physicalPath, handle, status, bytesCoding, sharedHandle);

    /// <summary>Lets go of the descriptor at the end of the request: releases the reference, or closes it.</summary>
    public void ReleaseHandle()
    {
        if (handle is not null)
        {
            SiteFileProvider.Release(handle, sharedHandle);
        }
    }

    /// <summary>What statx(2) said about the open descriptor.</summary>
    public FileCalls.FileStatus Status => status;

    /// <inheritdoc />
    public Stream CreateReadStream() =>
        handle is not null ? new OpenFileReadStream(handle, status.Length) : new OpenFileReadStream(provider.Reopen(this), status.Length, ownsHandle: true);
}
