using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StrategicAgent.Agent.Extensions;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Extensions;

namespace StrategicAgent.Gateway.Tests;

/// <summary>A real downstream service host on a free loopback port (HTTP/2 only, as deployed).</summary>
public sealed class RealService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RealService(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The validation service's own app (ValidationApp.BuildValidationApp) against the replica.</summary>
    public static Task<RealService> StartValidationAsync(string replicaConnectionString, CancellationToken ct) =>
        StartAsync("Validation", new Dictionary<string, string?> { ["ConnectionStrings:replica"] = replicaConnectionString },
            b => b.BuildValidationApp(), ct);

    /// <summary>
    /// The agent's own app (BuildAgentApp) with the offline planner, learning memory on the primary,
    /// generated SQL on the replica, and the given validation service.
    /// </summary>
    public static Task<RealService> StartAgentAsync(string primary, string replica, Uri validation, CancellationToken ct) =>
        StartAsync("Agent", new Dictionary<string, string?>
        {
            ["ConnectionStrings:primary"] = primary,
            ["ConnectionStrings:replica"] = replica,
            ["services:validation:grpc:0"] = validation.ToString(),
        }, b => b.BuildAgentApp(), ct);

    private static async Task<RealService> StartAsync(
        string service, Dictionary<string, string?> settings, Func<WebApplicationBuilder, WebApplication> build, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = $"StrategicAgent.{service}",
            // Its own appsettings.json (the test output holds the gateway's).
            ContentRootPath = RunningGateway.ServiceDirectory(service),
            EnvironmentName = "Production",
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestTokens.ServiceSettings.Concat(settings))
        {
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = build(builder);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RealService(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
