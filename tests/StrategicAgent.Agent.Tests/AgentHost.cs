using System.Globalization;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StrategicAgent.Agent.Extensions;
using StrategicAgent.LocalServers;
using StrategicAgent.Protos.Agent.V1;
using StrategicAgent.Testing;

namespace StrategicAgent.Agent.Tests;

/// <summary>The agent's real host (BuildAgentApp) on a free HTTP/2 port, with the fixture's databases.</summary>
public sealed class AgentHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private AgentHost(WebApplication app, GrpcChannel channel)
    {
        _app = app;
        _channel = channel;
        Client = ClientFor(TestTenant);
    }

    /// <summary>The tenant <see cref="Client"/> calls as.</summary>
    public const long TestTenant = 1;

    /// <summary>A client calling as <see cref="TestTenant"/> (caller token with the query scope).</summary>
    public AgentService.AgentServiceClient Client { get; }

    public GrpcChannel Channel => _channel;

    /// <summary>A client calling as <paramref name="clientId"/>.</summary>
    public AgentService.AgentServiceClient ClientFor(long clientId) => new(_channel.As(clientId));

    public IServiceProvider Services => _app.Services;

    public static async Task<AgentHost> StartAsync(AgentFixture db, string validationAddress, IDictionary<string, string?>? extra = null)
    {
        var port = NativeProcess.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = "StrategicAgent.Agent" });
        var settings = new Dictionary<string, string?>(TestTokens.ServiceSettings)
        {
            ["Endpoints:GrpcPort"] = port.ToString(CultureInfo.InvariantCulture),
            ["ConnectionStrings:replica"] = db.ReplicaReaderConnectionString,
            ["ConnectionStrings:primary"] = db.PrimaryAgentConnectionString,
            ["GrpcClients:validation:Address"] = validationAddress,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(AgentFixture.Clock());
        var app = builder.BuildAgentApp();
        await app.StartAsync();
        return new AgentHost(app, GrpcChannel.ForAddress($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
