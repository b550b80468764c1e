// The benchmark's plaintext workload: "Hello, World!" (13 bytes) for every request, as in the TechEmpower plaintext
// test, on the transport named by --transport (epoll, the default, or sockets). Epoll options come from the
// EpollTransport configuration section (for example --EpollTransport:ApplicationSchedulingMode=Inline), Kestrel's
// endpoint from --urls.
using System.Text;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();

string transport = builder.Configuration["transport"] ?? "epoll";
if (transport.Equals("epoll", StringComparison.OrdinalIgnoreCase))
{
    builder.WebHost.UseEpollTransport();
}
else if (!transport.Equals("sockets", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"--transport '{transport}' is not supported: use 'epoll' (the default) or 'sockets'.");
    return 2;
}

var app = builder.Build();
byte[] body = Encoding.ASCII.GetBytes("Hello, World!");
app.Run(context =>
{
    var response = context.Response;
    response.StatusCode = 200;
    response.ContentType = "text/plain";
    response.ContentLength = body.Length;
    return response.Body.WriteAsync(body, 0, body.Length);
});

app.Run();
return 0;
