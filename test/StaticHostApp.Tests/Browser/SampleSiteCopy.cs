using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Browser;

/// <summary>
/// StaticHostApp's sample sites and sample configuration (www/ and appsettings.json, as the build ships them beside
/// the app), copied into a test's sandbox, which then serves as the child server's content root.
/// </summary>
public static class SampleSiteCopy
{
    /// <summary>
    /// A page of the example site that runs the sample's <c>js/app.js</c>: the site's own index.html with one module
    /// script that imports app.js and hands it the heading. The shipped pages load no script, and app.js is the one
    /// file with a precompressed sibling, so this page is how a browser gets to run it.
    /// </summary>
    public const string ScriptedPage = "/with-app-js.html";

    /// <summary>
    /// Every copied file gets this modification time, so a precompressed sibling is never older than its original by
    /// the accident of copy order (an older sibling is not served).
    /// </summary>
    private static readonly DateTime CopiedAtUtc = new(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>The example site's directory in the sandbox.</summary>
    public static string ExampleRoot(SiteSandbox sandbox) => sandbox["www/example"];

    /// <summary>Copies www/ and appsettings.json from the test's output directory and adds <see cref="ScriptedPage"/>.</summary>
    public static void CopyInto(SiteSandbox sandbox)
    {
        var source = AppContext.BaseDirectory;
        var www = Path.Combine(source, "www");
        if (!Directory.Exists(www))
        {
            throw new DirectoryNotFoundException($"The sample sites are not in the test output ({www}); StaticHostApp copies them on build.");
        }

        foreach (var file in Directory.EnumerateFiles(www, "*", SearchOption.AllDirectories))
        {
            sandbox.WriteFile(Path.GetRelativePath(source, file), File.ReadAllBytes(file), CopiedAtUtc);
        }

        sandbox.WriteFile("appsettings.json", File.ReadAllBytes(Path.Combine(source, "appsettings.json")), CopiedAtUtc);

        var index = File.ReadAllText(Path.Combine(ExampleRoot(sandbox), "index.html"));
        const string script = "<script type=\"module\">import { section0 } from '/js/app.js'; section0(document.querySelector('h1'));</script>";
        Assert.Contains("</body>", index, StringComparison.Ordinal);
        sandbox.WriteFile("www/example" + ScriptedPage, index.Replace("</body>", script + "\n</body>", StringComparison.Ordinal), CopiedAtUtc);
    }
}
