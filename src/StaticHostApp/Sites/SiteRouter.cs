namespace StaticHostApp.Sites;

/// <summary>
/// The pipeline's entry to the sites: runs each request on the current <see cref="SiteRouterSnapshot"/>, which a
/// reload replaces atomically. New requests see the new snapshot at once; requests already running finish on the
/// one they started with, which is disposed after the last of them.
/// </summary>
internal sealed class SiteRouter : IDisposable
{
    private SiteRouterSnapshot? _current;

    /// <summary>Starts with <paramref name="initial"/>, taking over its creator's reference.</summary>
    public SiteRouter(SiteRouterSnapshot initial)
    {
        _current = initial;
    }

    /// <summary>The snapshot new requests run on.</summary>
    public SiteRouterSnapshot Current => Volatile.Read(ref _current) ?? throw new ObjectDisposedException(nameof(SiteRouter));

    /// <summary>Runs the request on the current snapshot, holding a reference to it until the request is done.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        SiteRouterSnapshot snapshot;
        do
        {
            // Fails only when a reload retired the snapshot read and its last request finished in between;
            // the field then already holds the new one.
            snapshot = Current;
        }
        while (!snapshot.TryAcquire());

        Task running;
        try
        {
            running = snapshot.Router.InvokeAsync(context);
        }
        catch
        {
            snapshot.Release();
            throw;
        }

        if (running.IsCompleted)
        {
            snapshot.Release();
            return running;
        }

        return ReleaseWhenDone(running, snapshot);
    }

    /// <summary>Makes <paramref name="next"/> current (taking over its creator's reference) and retires the old snapshot.</summary>
    public void Replace(SiteRouterSnapshot next)
    {
        var previous = Volatile.Read(ref _current);
        while (true)
        {
            if (previous is null)
            {
                next.Release();
                throw new ObjectDisposedException(nameof(SiteRouter));
            }

            var seen = Interlocked.CompareExchange(ref _current, next, previous);
            if (seen == previous)
            {
                break;
            }

            previous = seen;
        }

        previous.Release();
    }

    /// <summary>Retires the current snapshot; called when the application has stopped.</summary>
    public void Dispose() => Interlocked.Exchange(ref _current, null)?.Release();

    private static async Task ReleaseWhenDone(Task running, SiteRouterSnapshot snapshot)
    {
        try
        {
            await running.ConfigureAwait(false);
        }
        finally
        {
            snapshot.Release();
        }
    }
}
