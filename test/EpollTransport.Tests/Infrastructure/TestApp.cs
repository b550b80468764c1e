using System.Buffers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EpollTransport.Tests.Infrastructure;

/// <summary>The HTTP endpoints the transport tests drive.</summary>
internal static class TestApp
{
    public static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/hello", () => "hello");

        // Echoes the route value, so pipelined answers can be matched to their requests.
        app.MapGet("/echo/{value}", (string value) => value);

        // Hashes the request body while reading it in small pieces (a slow consumer, to exercise back-pressure).
        app.MapPost("/sha256", async (HttpRequest request) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1024];
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }

            return $"{total} {Convert.ToHexString(hash.GetHashAndReset())}";
        });

        // Streams a deterministic pseudo-random body of the requested length with Content-Length.
        app.MapGet("/bytes/{length:long}", async (long length, HttpResponse response) =>
        {
            response.ContentLength = length;
            var generator = new PatternStream(length);
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int count;
                while ((count = generator.Read(buffer, 0, buffer.Length)) > 0)
                {
                    await response.Body.WriteAsync(buffer.AsMemory(0, count), response.HttpContext.RequestAborted);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
    }
}
