using StrategicAgent.Gateway.Extensions;

namespace StrategicAgent.Gateway;

/// <summary>
/// Builds the gateway. Program.cs calls it with the command line; tests call it with their own
/// configuration and run it on a free port (real sockets).
/// </summary>
public static class GatewayApp
{
    public static WebApplication Create(WebApplicationOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(options);
        configure?.Invoke(builder);
        builder.AddServiceDefaults();
        builder.UseServiceEndpoints();
        // Header bytes past ASCII (an API key pasted with an accent) are read as Latin-1: the key is then
        // unknown (401 ProblemDetails) instead of a request Kestrel drops with a bare 400 and no body.
        builder.WebHost.ConfigureKestrel(k => k.RequestHeaderEncodingSelector = _ => System.Text.Encoding.Latin1);
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapGateway();
        return app;
    }
}
