namespace EpollTransport.Tests.Infrastructure;

/// <summary>
/// Tests that look at or change process-wide state (the open descriptor table, RLIMIT_NOFILE) and so must not
/// run beside other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NonParallelCollection
{
    public const string Name = "Process-wide state";
}
