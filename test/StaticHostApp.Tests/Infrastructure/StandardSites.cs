namespace StaticHostApp.Tests.Infrastructure;

/// <summary>
/// The two-site layout most tests serve, built fresh in a test's sandbox:
/// <code>
/// secret.txt                 outside every root; must never be served
/// outside/page.html          a directory outside every root
/// example/                   example.test, www.example.test, bücher.test
///   index.html, style.css (fixed mtime), file.txt (20 bytes), data.unknownext
///   sub/index.html, sub/.env, noindex/readme.txt, .hidden, .git/config
///   link-out.txt -> ../secret.txt, link-abs.txt -> /…/secret.txt, linkdir -> ../outside, link-in.txt -> file.txt
/// docs/                      docs.test
///   index.html
/// </code>
/// </summary>
public sealed class StandardSites
{
    /// <summary>The modification time given to style.css (with a fractional second, which Last-Modified drops).</summary>
    public static readonly DateTime StyleModifiedUtc = new(2021, 3, 4, 5, 6, 7, 890, DateTimeKind.Utc);

    /// <summary>Builds the layout.</summary>
    public StandardSites(SiteSandbox sandbox)
    {
        Sandbox = sandbox;
        Secret = "SECRET-" + Guid.NewGuid().ToString("N");
        sandbox.WriteFile("secret.txt", Secret);
        sandbox.WriteFile("outside/page.html", Secret);

        ExampleRoot = sandbox.CreateDirectory("example");
        sandbox.WriteFile("example/index.html", "EXAMPLE-INDEX");
        sandbox.WriteFile("example/style.css", "body { color: #123456; }", StyleModifiedUtc);
        sandbox.WriteFile("example/file.txt", FileText);
        sandbox.WriteFile("example/data.unknownext", "DATA");
        sandbox.WriteFile("example/sub/index.html", "SUB-INDEX");
        sandbox.WriteFile("example/sub/.env", "ENV");
        sandbox.WriteFile("example/noindex/readme.txt", "README");
        sandbox.WriteFile("example/.hidden", "HIDDEN");
        sandbox.WriteFile("example/.git/config", "GITCONFIG");
        sandbox.CreateSymlink("example/link-out.txt", "../secret.txt");
        sandbox.CreateSymlink("example/link-abs.txt", sandbox["secret.txt"]);
        sandbox.CreateSymlink("example/linkdir", "../outside");
        sandbox.CreateSymlink("example/link-in.txt", "file.txt");

        DocsRoot = sandbox.CreateDirectory("docs");
        sandbox.WriteFile("docs/index.html", "DOCS-INDEX");
    }

    /// <summary>The content of example/file.txt.</summary>
    public const string FileText = "0123456789abcdefghij";

    /// <summary>The sandbox the sites live in.</summary>
    public SiteSandbox Sandbox { get; }

    /// <summary>A unique token in secret.txt (outside the roots); it must never appear in a response.</summary>
    public string Secret { get; }

    /// <summary>The absolute root of example.test.</summary>
    public string ExampleRoot { get; }

    /// <summary>The absolute root of docs.test.</summary>
    public string DocsRoot { get; }

    /// <summary>Settings for both sites: example by absolute root, docs by a root relative to the content root.</summary>
    public Settings Settings() => new Settings()
        .Site(ExampleRoot, "example.test", "www.example.test", "bücher.test")
        .Site("docs", "docs.test");
}
