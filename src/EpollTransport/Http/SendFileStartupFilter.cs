using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EpollTransport.Http;

/// <summary>
/// Puts <see cref="SendFileResponseBodyFeature"/> in front of every request served by the epoll transport, ahead
/// of the application's own middleware, so static files go out with sendfile without any change to the app.
/// </summary>
internal sealed class SendFileStartupFilter(
    IOptions<EpollTransportOptions> options,
    SendFileMetrics metrics,
    FileBodyDataRate dataRate) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (options.Value.SendFile)
        {
            var services = new SendFileServices(options.Value, metrics, dataRate);
            app.Use((context, nextMiddleware) =>
            {
                // Kestrel answers feature lookups it does not know from the connection's features: the transport's
                // file feature is there on its connections, and absent on any other server or transport.
                if (context.Features.Get<IConnectionSendFileFeature>() is { } files
                    && context.Features.Get<IHttpResponseBodyFeature>() is { } body)
                {
                    context.Features.Set<IHttpResponseBodyFeature>(new SendFileResponseBodyFeature(body, context, files, services));
                }

                return nextMiddleware(context);
            });
        }

        next(app);
    };
}
