using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace EpollTransport.Tests;

/// <summary>
/// docs/transport.md is the one place the options are described: the package README is cut from it when the package is
/// packed. So its options table must name every option, and give the default the code gives it.
/// </summary>
public sealed partial class DocumentationTests
{
    private const string TransportPage = "docs/transport.md";

    [Fact]
    public void TheOptionsTableNamesEveryOptionWithTheDefaultTheCodeGivesIt()
    {
        var defaults = new EpollTransportOptions();
        var fromCode = typeof(EpollTransportOptions)
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(static property => property.CanWrite)
            .Select(property => $"{property.Name} = {Format(property.GetValue(defaults))}")
            .Order(StringComparer.Ordinal);

        var fromTable = ReadOptionsTable()
            .Select(static row => $"{row.Name} = {row.Default}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(fromCode, fromTable);
    }

    /// <summary>The rows of the table under the page's "## Options" heading: the option and the first code span of its default.</summary>
    private static List<(string Name, string Default)> ReadOptionsTable()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), TransportPage));
        int heading = Array.IndexOf(lines, "## Options");
        Assert.True(heading >= 0, $"{TransportPage} has no '## Options' heading.");

        var rows = new List<(string, string)>();
        foreach (string line in lines.Skip(heading + 1).SkipWhile(static line => !line.StartsWith('|')).TakeWhile(static line => line.StartsWith('|')))
        {
            if (OptionRow().Match(line) is { Success: true } row)
            {
                rows.Add((row.Groups["name"].Value, row.Groups["default"].Value));
            }
        }

        Assert.NotEmpty(rows);
        return rows;
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>The directory that holds the solution file, found upwards from the test assembly.</summary>
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EpollTransport.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No EpollTransport.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^\| `(?<name>\w+)` \| `(?<default>[^`]*)`")]
    private static partial Regex OptionRow();
}
