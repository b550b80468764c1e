using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace StaticHostApp.Files;

/// <summary>A content coding a precompressed sibling file can have.</summary>
internal enum ContentCoding
{
    /// <summary>No coding: the file itself.</summary>
    None,

    /// <summary><c>br</c>, a sibling named <c>file.br</c>.</summary>
    Brotli,

    /// <summary><c>gzip</c>, a sibling named <c>file.gz</c>.</summary>
    Gzip,
}

/// <summary>
/// Which precompressed siblings a request's <c>Accept-Encoding</c> allows, best first (RFC 9110 §12.5.3): a coding
/// is acceptable when it, or <c>*</c> if it is not named, has a q-value above zero; higher q-values come first, and
/// on a tie <c>br</c> (smaller) comes before <c>gzip</c>. Parsed without allocating.
/// </summary>
internal readonly record struct ContentCodings(ContentCoding First, ContentCoding Second)
{
    /// <summary>No acceptable coding: serve the file itself.</summary>
    public static readonly ContentCodings None = new(ContentCoding.None, ContentCoding.None);

    /// <summary>The header value the coding is sent as.</summary>
    public static string HeaderValue(ContentCoding coding) => coding == ContentCoding.Brotli ? "br" : "gzip";

    /// <summary>The suffix of the sibling file with the coding.</summary>
    public static string FileSuffix(ContentCoding coding) => coding == ContentCoding.Brotli ? ".br" : ".gz";

    /// <summary>Reads an <c>Accept-Encoding</c> header (all its values).</summary>
    public static ContentCodings Parse(StringValues acceptEncoding)
    {
        double? brotli = null, gzip = null, any = null;
        foreach (var value in acceptEncoding)
        {
            var rest = (value ?? string.Empty).AsSpan();
            while (!rest.IsEmpty)
            {
                int comma = rest.IndexOf(',');
                var element = comma < 0 ? rest : rest[..comma];
                rest = comma < 0 ? [] : rest[(comma + 1)..];

                int semicolon = element.IndexOf(';');
                var name = (semicolon < 0 ? element : element[..semicolon]).Trim();
                double quality = semicolon < 0 ? 1 : ParseQuality(element[(semicolon + 1)..]);
                if (name.Equals("br", StringComparison.OrdinalIgnoreCase))
                {
                    brotli = quality;
                }
                else if (name.Equals("gzip", StringComparison.OrdinalIgnoreCase) || name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                {
                    gzip = quality;
                }
                else if (name.SequenceEqual("*"))
                {
                    any = quality;
                }
            }
        }

        double br = brotli ?? any ?? 0;
        double gz = gzip ?? any ?? 0;
        var first = br > 0 && br >= gz ? ContentCoding.Brotli : gz > 0 ? ContentCoding.Gzip : ContentCoding.None;
        var second = first switch
        {
            ContentCoding.Brotli when gz > 0 => ContentCoding.Gzip,
            ContentCoding.Gzip when br > 0 => ContentCoding.Brotli,
            _ => ContentCoding.None,
        };
        return new ContentCodings(first, second);
    }

    /// <summary>The q parameter of an element's parameters ("q=0.5"); 1 when absent, 0 when malformed.</summary>
    private static double ParseQuality(ReadOnlySpan<char> parameters)
    {
        while (!parameters.IsEmpty)
        {
            int semicolon = parameters.IndexOf(';');
            var parameter = (semicolon < 0 ? parameters : parameters[..semicolon]).Trim();
            parameters = semicolon < 0 ? [] : parameters[(semicolon + 1)..];
            if (parameter.Length >= 2 && (parameter[0] is 'q' or 'Q') && parameter[1] == '=')
            {
                return double.TryParse(parameter[2..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q) && q is >= 0 and <= 1 ? q : 0;
            }
        }

        return 1;
    }
}
