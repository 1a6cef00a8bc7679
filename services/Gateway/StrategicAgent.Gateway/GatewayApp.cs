using StrategicAgent.Gateway.Extensions;

namespace StrategicAgent.Gateway;

/// <summary>
/// Builds the gateway. Program.cs runs <see cref="BuildGatewayApp"/> on the command line's builder; tests
/// and the benchmark call <see cref="Create"/> with their own configuration and run it on a free port
/// (real sockets).
/// </summary>
public static class GatewayApp
{
    public static WebApplication Create(WebApplicationOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(options);
        configure?.Invoke(builder);
        return builder.BuildGatewayApp();
    }

    /// <summary>
    /// The whole host, in the order every service's follows (defaults → data and auth: the API keys'
    /// database, API keys, caller tokens → the gateway's own → endpoints).
    /// </summary>
    public static WebApplication BuildGatewayApp(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.UseServiceEndpoints();
        // Header bytes past ASCII (an API key pasted with an accent) are read as Latin-1: the key is then
        // unknown (401 ProblemDetails) instead of a request Kestrel drops with a bare 400 and no body.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.RequestHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
            // No "Server: Kestrel" on any answer, Kestrel's own bare 400s included (a NUL in the path).
            k.AddServerHeader = false;
        });
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapGateway();
        return app;
    }
}
