using Microsoft.AspNetCore.Http.Features;
using StaticHostApp.Files;

namespace StaticHostApp.Middleware;

/// <summary>
/// The first middleware of a site's branch: gives the request a <see cref="RequestFiles"/>, so the files the site's
/// provider opens are sent from their checked descriptors and closed when the branch is done with the request.
/// </summary>
internal sealed class RequestFilesMiddleware(RequestDelegate next, CutShortResponses? cutShort = null)
{
    /// <summary>Runs the rest of the branch with the request's files in place.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var files = new RequestFiles(body, context.Request.Headers.AcceptEncoding, context, cutShort);
        context.Features.Set<IHttpResponseBodyFeature>(files);

        // Set inside this async method, the value flows into the branch and is gone when the method returns.
        RequestFiles.Current = files;
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(body);
        }
    }
}
