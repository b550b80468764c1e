using EpollTransport.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EpollTransport.SendFile;

/// <summary>
/// Puts <see cref="SendFileResponseBodyFeature"/> in front of every request served by the epoll transport, ahead
/// of the application's own middleware, so static files go out with sendfile without any change to the app.
/// </summary>
internal sealed class SendFileStartupFilter(IOptions<EpollTransportOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (options.Value.SendFile)
        {
            app.Use(static (context, nextMiddleware) =>
            {
                // Kestrel answers feature lookups it does not know from the connection's features.
                if (context.Features.Get<IConnectionSendFileFeature>() is EpollConnection connection
                    && context.Features.Get<IHttpResponseBodyFeature>() is { } body)
                {
                    context.Features.Set<IHttpResponseBodyFeature>(SendFileResponseBodyFeature.For(body, context, connection));
                }

                return nextMiddleware(context);
            });
        }

        next(app);
    };
}
