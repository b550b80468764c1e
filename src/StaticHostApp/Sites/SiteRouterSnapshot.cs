namespace StaticHostApp.Sites;

/// <summary>
/// One immutable generation of the sites: the router over their prebuilt branches and the resources those branches
/// hold (file providers). A configuration reload builds a new snapshot instead of changing this one, so a request
/// sees one consistent configuration from start to end.
/// </summary>
/// <remarks>
/// The resources are disposed when the last user lets go: the holder keeps one reference while the snapshot is
/// current, and each request takes one for as long as it runs. A retired snapshot therefore stays intact until the
/// requests that started on it have finished, however long a download takes.
/// </remarks>
internal sealed class SiteRouterSnapshot
{
    private readonly IReadOnlyList<IDisposable> _resources;
    private int _users = 1;

    /// <summary>Creates a snapshot owned by its creator (one reference, given up with <see cref="Release"/>).</summary>
    public SiteRouterSnapshot(HostRouter router, IReadOnlyList<IDisposable> resources)
    {
        Router = router;
        _resources = resources;
    }

    /// <summary>The request router of this generation.</summary>
    public HostRouter Router { get; }

    /// <summary>Takes a reference, unless the last one is already gone (the snapshot is retired and disposed).</summary>
    public bool TryAcquire()
    {
        var users = Volatile.Read(ref _users);
        while (users > 0)
        {
            var seen = Interlocked.CompareExchange(ref _users, users + 1, users);
            if (seen == users)
            {
                return true;
            }

            users = seen;
        }

        return false;
    }

    /// <summary>Gives a reference back; the last one disposes the resources.</summary>
    public void Release()
    {
        var users = Interlocked.Decrement(ref _users);
        if (users == 0)
        {
            foreach (var resource in _resources)
            {
                resource.Dispose();
            }
        }
        else if (users < 0)
        {
            throw new InvalidOperationException("A site snapshot was released more often than it was acquired.");
        }
    }
}
