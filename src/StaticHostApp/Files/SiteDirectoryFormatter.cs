using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace StaticHostApp.Files;

/// <summary>
/// The HTML of a directory listing. Each link is the entry's name percent-encoded as one path segment (so
/// <c>a#b.txt</c>, <c>50%.txt</c> or <c>a b?.txt</c> link to themselves) and then HTML-escaped; the shown name is
/// HTML-escaped. Directories come first and end with '/'. What is listed is decided by
/// <see cref="SiteDirectoryContents"/>: only what a request for it would serve.
/// </summary>
internal sealed class SiteDirectoryFormatter : IDirectoryFormatter
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <inheritdoc />
    public Task GenerateContentAsync(HttpContext context, IEnumerable<IFileInfo> contents)
    {
        var path = context.Request.PathBase.Add(context.Request.Path).Value ?? "/";
        var page = new StringBuilder(1024);
        var title = Html.Encode("Index of " + path);
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>").Append(title)
            .Append("</title></head>\n<body>\n<h1>").Append(title).Append("</h1>\n<table>\n")
            .Append("<tr><th>Name</th><th>Size</th><th>Last modified</th></tr>\n");
        if (path != "/")
        {
            page.Append("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
        }

        foreach (var entry in contents.OrderBy(static e => e.IsDirectory ? 0 : 1).ThenBy(static e => e.Name, StringComparer.Ordinal))
        {
            var suffix = entry.IsDirectory ? "/" : string.Empty;
            page.Append("<tr><td><a href=\"").Append(Html.Encode(Uri.EscapeDataString(entry.Name) + suffix)).Append("\">")
                .Append(Html.Encode(entry.Name + suffix)).Append("</a></td><td>")
                .Append(entry.IsDirectory ? "-" : entry.Length.ToString(CultureInfo.InvariantCulture)).Append("</td><td>")
                .Append(entry.LastModified.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))
                .Append("</td></tr>\n");
        }

        page.Append("</table>\n</body>\n</html>\n");
        var body = Encoding.UTF8.GetBytes(page.ToString());
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body, 0, body.Length, context.RequestAborted);
    }
}
