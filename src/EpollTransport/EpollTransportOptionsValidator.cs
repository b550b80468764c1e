using Microsoft.Extensions.Options;

namespace EpollTransport;

/// <summary>Rejects <see cref="EpollTransportOptions"/> values the transport cannot run with, naming the option.</summary>
internal sealed class EpollTransportOptionsValidator : IValidateOptions<EpollTransportOptions>
{
    internal const int MaxThreadCount = 256;

    public ValidateOptionsResult Validate(string? name, EpollTransportOptions options)
    {
        var failures = new List<string>();

        if (options.ThreadCount is < 1 or > MaxThreadCount)
        {
            failures.Add($"{nameof(EpollTransportOptions.ThreadCount)} must be between 1 and {MaxThreadCount}, but was {options.ThreadCount}.");
        }

        if (options.Backlog < 1)
        {
            failures.Add($"{nameof(EpollTransportOptions.Backlog)} must be positive, but was {options.Backlog}.");
        }

        if (options.MaxReadBufferSize < 0)
        {
            failures.Add($"{nameof(EpollTransportOptions.MaxReadBufferSize)} must be null, 0 (unlimited) or positive, but was {options.MaxReadBufferSize}.");
        }

        if (options.MaxWriteBufferSize < 0)
        {
            failures.Add($"{nameof(EpollTransportOptions.MaxWriteBufferSize)} must be null, 0 (unlimited) or positive, but was {options.MaxWriteBufferSize}.");
        }

        if (options.SendFileCopyThreshold is < 0 or > EpollTransportOptions.MaxSendFileCopyThreshold)
        {
            failures.Add($"{nameof(EpollTransportOptions.SendFileCopyThreshold)} must be between 0 and {EpollTransportOptions.MaxSendFileCopyThreshold}, but was {options.SendFileCopyThreshold}.");
        }

        if (!Enum.IsDefined(options.ApplicationSchedulingMode))
        {
            failures.Add($"{nameof(EpollTransportOptions.ApplicationSchedulingMode)} must be ThreadPool or Inline, but was {options.ApplicationSchedulingMode}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
