using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.Agent.Grpc;
using StrategicAgent.Protos.Agent.V1;
using StrategicAgent.Testing;

namespace StrategicAgent.Agent.Tests;

/// <summary>The agent's real Program on a free HTTP/2 port, with the fixture's databases.</summary>
public sealed class AgentHost : IAsyncDisposable
{
    private readonly ServiceUnderTest<AgentGrpcService> _service;

    private AgentHost(ServiceUnderTest<AgentGrpcService> service)
    {
        _service = service;
        Client = ClientFor(TestTenant);
    }

    /// <summary>The tenant <see cref="Client"/> calls as.</summary>
    public const long TestTenant = 1;

    /// <summary>A client calling as <see cref="TestTenant"/> (caller token with the query scope).</summary>
    public AgentService.AgentServiceClient Client { get; }

    public GrpcChannel Channel => _service.Channel;

    /// <summary>A client calling as <paramref name="clientId"/>.</summary>
    public AgentService.AgentServiceClient ClientFor(long clientId) => new(Channel.As(clientId));

    public IServiceProvider Services => _service.ServiceProvider;

    /// <summary>The agent's real Program (<see cref="ServiceUnderTest{TEntryPoint}"/>) with the fixture's databases and clock.</summary>
    public static Task<AgentHost> StartAsync(AgentFixture db, string validationAddress, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:replica"] = db.ReplicaReaderConnectionString,
            ["ConnectionStrings:primary"] = db.PrimaryAgentConnectionString,
            ["GrpcClients:validation:Address"] = validationAddress,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }
        var service = new ServiceUnderTest<AgentGrpcService>(settings, "Development", s => s.AddSingleton<TimeProvider>(AgentFixture.Clock()));
        return Task.FromResult(new AgentHost(service.Start()));
    }

    public ValueTask DisposeAsync() => _service.DisposeAsync();
}
