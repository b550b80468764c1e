using StaticHostApp.Hosting;
using StaticHostApp.Sites;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = ContentRootLocator.DefaultFor(args),
});

builder.UseConfiguredTransport();
builder.UseSocketActivation();
builder.Services.BindKestrelLimits();
builder.Services.AddStaticHost(builder.Configuration);

var app = builder.Build();
app.UseStaticHost();
app.Run();

/// <summary>The application's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
