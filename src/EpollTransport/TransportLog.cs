using Microsoft.Extensions.Logging;

namespace EpollTransport;

/// <summary>
/// The transport's log messages (category <c>EpollTransport</c>). Event ids are stable; where Kestrel's Sockets
/// transport logs the same thing, the id is the same.
/// </summary>
internal static partial class TransportLog
{
    public const string CategoryName = "EpollTransport";

    [LoggerMessage(1, LogLevel.Debug, "Connection id \"{ConnectionId}\" accepted from {RemoteEndPoint} on epoll thread {ThreadIndex}.", EventName = "ConnectionAccepted")]
    public static partial void ConnectionAccepted(ILogger logger, string connectionId, string? remoteEndPoint, int threadIndex);

    [LoggerMessage(4, LogLevel.Debug, "Connection id \"{ConnectionId}\" communication error.", EventName = "ConnectionError")]
    public static partial void ConnectionError(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "Connection id \"{ConnectionId}\" received FIN.", EventName = "ConnectionReadFin")]
    public static partial void ConnectionReadFin(ILogger logger, string connectionId);

    [LoggerMessage(7, LogLevel.Debug, "Connection id \"{ConnectionId}\" sending FIN because: \"{Reason}\"", EventName = "ConnectionWriteFin")]
    public static partial void ConnectionWriteFin(ILogger logger, string connectionId, string reason);

    [LoggerMessage(8, LogLevel.Debug, "Connection id \"{ConnectionId}\" sending RST because: \"{Reason}\"", EventName = "ConnectionWriteRst")]
    public static partial void ConnectionWriteRst(ILogger logger, string connectionId, string reason);

    [LoggerMessage(14, LogLevel.Debug, "Connection id \"{ConnectionId}\" paused reading: the application has not consumed the input buffer.", EventName = "ConnectionPause")]
    public static partial void ConnectionPause(ILogger logger, string connectionId);

    [LoggerMessage(15, LogLevel.Debug, "Connection id \"{ConnectionId}\" resumed reading.", EventName = "ConnectionResume")]
    public static partial void ConnectionResume(ILogger logger, string connectionId);

    [LoggerMessage(19, LogLevel.Debug, "Connection id \"{ConnectionId}\" reset.", EventName = "ConnectionReset")]
    public static partial void ConnectionReset(ILogger logger, string connectionId);

    [LoggerMessage(20, LogLevel.Error, "Accepting on {EndPoint} failed: {Message}. Accepting pauses for {DelayMilliseconds} ms and retries; connections wait in the listen backlog meanwhile.", EventName = "AcceptError")]
    public static partial void AcceptError(ILogger logger, string endPoint, string message, int delayMilliseconds);

    [LoggerMessage(21, LogLevel.Information, "Accepting on {EndPoint} resumed.", EventName = "AcceptResumed")]
    public static partial void AcceptResumed(ILogger logger, string endPoint);

    [LoggerMessage(22, LogLevel.Error, "Unexpected error on epoll thread {ThreadIndex}; the affected handler was closed and the loop goes on.", EventName = "LoopError")]
    public static partial void LoopError(ILogger logger, int threadIndex, Exception exception);

    [LoggerMessage(24, LogLevel.Debug, "Accepting on {EndPoint} still fails: {Message}. Next try in {DelayMilliseconds} ms.", EventName = "AcceptRetryFailed")]
    public static partial void AcceptRetryFailed(ILogger logger, string endPoint, string message, int delayMilliseconds);

    [LoggerMessage(23, LogLevel.Error, "Accepting on {EndPoint} stopped after an unrecoverable error.", EventName = "AcceptStopped")]
    public static partial void AcceptStopped(ILogger logger, string endPoint, Exception exception);

    [LoggerMessage(26, LogLevel.Debug, "A burst of connections is over ({Peak} open at the peak, {Open} now): giving its memory back.", EventName = "MemoryReleasedAfterBurst")]
    public static partial void MemoryReleasedAfterBurst(ILogger logger, long peak, long open);

    [LoggerMessage(25, LogLevel.Critical, "epoll thread {ThreadIndex} failed and stopped: its connections were closed and it is given no new ones.", EventName = "LoopFailed")]
    public static partial void LoopFailed(ILogger logger, int threadIndex, Exception exception);
}
