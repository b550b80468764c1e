using Microsoft.AspNetCore.Http;
using StaticHostApp.Sites;

namespace StaticHostApp.Tests.Unit;

public sealed class SiteRouterTests
{
    private sealed class Resource : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }

    private static SiteRouterSnapshot Snapshot(string host, RequestDelegate branch, Resource resource) =>
        new(new HostRouter([KeyValuePair.Create(host, new SiteBranch(host, branch))], null), [resource]);

    private static DefaultHttpContext Request(string host)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString(host);
        return context;
    }

    [Fact]
    public async Task ARequestInFlightFinishesOnItsSnapshotWhichIsDisposedOnlyAfterIt()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var oldResource = new Resource();
        var router = new SiteRouter(Snapshot("old.test", async c =>
        {
            await release.Task;
            c.Response.StatusCode = 201;
        }, oldResource));
        var retired = router.Current;

        var inFlightContext = Request("old.test");
        var inFlight = router.InvokeAsync(inFlightContext);
        Assert.False(inFlight.IsCompleted);

        var newResource = new Resource();
        router.Replace(Snapshot("new.test", c =>
        {
            c.Response.StatusCode = 202;
            return Task.CompletedTask;
        }, newResource));

        // New requests see the new sites at once; the old site is gone for them.
        var fresh = Request("new.test");
        await router.InvokeAsync(fresh);
        Assert.Equal(202, fresh.Response.StatusCode);
        var gone = Request("old.test");
        await router.InvokeAsync(gone);
        Assert.Equal(StatusCodes.Status421MisdirectedRequest, gone.Response.StatusCode);

        // The request that started before the reload still runs on its snapshot, which stays intact.
        Assert.Equal(0, oldResource.Disposals);

        release.SetResult();
        await inFlight;
        Assert.Equal(201, inFlightContext.Response.StatusCode);
        Assert.Equal("old.test", inFlightContext.Features.Get<ISiteFeature>()?.SiteName);
        Assert.Equal(1, oldResource.Disposals);
        Assert.False(retired.TryAcquire());
        Assert.Equal(0, newResource.Disposals);

        router.Dispose();
        Assert.Equal(1, newResource.Disposals);
    }

    [Fact]
    public async Task ARetiredSnapshotWithoutRequestsIsDisposedAtOnceAndAFailingRequestStillReleases()
    {
        var firstResource = new Resource();
        var router = new SiteRouter(Snapshot("a.test", _ => throw new InvalidOperationException("boom"), firstResource));

        await Assert.ThrowsAsync<InvalidOperationException>(() => router.InvokeAsync(Request("a.test")));
        var secondResource = new Resource();
        router.Replace(Snapshot("a.test", _ => Task.FromException(new InvalidOperationException("async boom")), secondResource));
        Assert.Equal(1, firstResource.Disposals);

        await Assert.ThrowsAsync<InvalidOperationException>(() => router.InvokeAsync(Request("a.test")));
        Assert.Equal(0, secondResource.Disposals);
        router.Dispose();
        Assert.Equal(1, secondResource.Disposals);
        Assert.Throws<ObjectDisposedException>(() => router.Replace(Snapshot("b.test", _ => Task.CompletedTask, new Resource())));
    }
}
