namespace StaticHostApp.Tests.Browser;

/// <summary>
/// A theory that needs a real Chromium: skipped, with the reason, where none is installed. xunit 2 decides skips at
/// discovery, so the look-up happens when the attribute is made.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no Chromium is installed.</summary>
    public ChromiumTheoryAttribute()
    {
        if (ChromiumExecutable.Path is null)
        {
            Skip = ChromiumExecutable.MissingReason;
        }
    }
}
