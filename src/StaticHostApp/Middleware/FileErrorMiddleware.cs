using Microsoft.AspNetCore.Connections;
using StaticHostApp.Files;

namespace StaticHostApp.Middleware;

/// <summary>
/// Turns file-system exceptions thrown while a site's branch serves a file into the status codes a web server gives,
/// where StaticFileMiddleware alone would let them become 500s (and, in Development, a stack trace page):
/// permission denied → 403, a file that vanished between the check and the open → 404, any other failure → 500
/// with the error logged. The client never sees exception details. Each site's branch has its own instance, so the
/// site name in the log costs nothing per request.
/// </summary>
internal sealed partial class FileErrorMiddleware(RequestDelegate next, string site, ILogger<FileErrorMiddleware> logger)
{
    /// <summary>Runs the rest of the branch and maps its file-system exceptions.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        // Captured first: DefaultFilesMiddleware rewrites "/dir/" to "/dir/index.html" further down.
        var path = context.Request.Path;
        try
        {
            await next(context);
        }
        catch (FileChangedWhileSendingException exception)
        {
            // Reported at Warning with the site and the path where it was found; the response cannot be completed.
            LogCutShortAborted(logger, site, path, exception.InnerException?.GetType().Name ?? string.Empty);
            context.Abort();
        }
        catch (Exception exception) when (IsClientDisconnect(exception, context))
        {
            // The client went away; nothing to answer and nothing worth more than a debug line.
            LogClientDisconnected(logger, site, path, exception.GetType().Name);
        }
        catch (Exception exception)
        {
            if (context.Response.HasStarted)
            {
                // Headers are out: the status cannot change. Cut the connection so the client sees a truncated
                // response instead of a short one that looks complete.
                LogFailedAfterStart(logger, exception, site, path);
                context.Abort();
                return;
            }

            context.Response.Clear();
            switch (exception)
            {
                case UnauthorizedAccessException:
                    LogPermissionDenied(logger, site, path, exception.Message);
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    break;
                case FileNotFoundException or DirectoryNotFoundException:
                    LogVanished(logger, site, path);
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    break;
                default:
                    LogFailed(logger, exception, site, path);
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    break;
            }
        }
    }

    /// <summary>
    /// A disconnect shows as a cancellation or as the connection's own reset/abort exception. Kestrel cancels
    /// RequestAborted on the thread pool after it has aborted the request, so the token alone may not say so yet
    /// when the exception arrives; the exception's type does.
    /// </summary>
    private static bool IsClientDisconnect(Exception exception, HttpContext context)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return exception is OperationCanceledException or IOException;
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is OperationCanceledException or ConnectionResetException)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(6, LogLevel.Debug, "Connection aborted after a file changed while serving {Site} {Path} ({ExceptionType})")]
    private static partial void LogCutShortAborted(ILogger logger, string site, PathString path, string exceptionType);

    [LoggerMessage(5, LogLevel.Debug, "Client disconnected while serving {Site} {Path} ({ExceptionType})")]
    private static partial void LogClientDisconnected(ILogger logger, string site, PathString path, string exceptionType);

    [LoggerMessage(1, LogLevel.Warning, "Permission denied serving {Site} {Path}: {Reason}")]
    private static partial void LogPermissionDenied(ILogger logger, string site, PathString path, string reason);

    [LoggerMessage(2, LogLevel.Debug, "File vanished while serving {Site} {Path}")]
    private static partial void LogVanished(ILogger logger, string site, PathString path);

    [LoggerMessage(3, LogLevel.Error, "Failed serving {Site} {Path}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string site, PathString path);

    [LoggerMessage(4, LogLevel.Error, "Failed serving {Site} {Path} after the response started; connection aborted")]
    private static partial void LogFailedAfterStart(ILogger logger, Exception exception, string site, PathString path);
}
