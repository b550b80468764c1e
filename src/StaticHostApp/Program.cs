var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseEpollTransport();

var app = builder.Build();
app.MapGet("/", () => "StaticHostApp on the epoll transport\n");
app.Run();

/// <summary>The application's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
