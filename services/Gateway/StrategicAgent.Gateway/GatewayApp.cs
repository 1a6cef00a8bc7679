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
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapGateway();
        return app;
    }
}
