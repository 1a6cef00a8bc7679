using Grpc.Net.Client;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Grpc;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>Tests that need the real PostgreSQL primary + replica (with small demo data) share one.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<DemoDataFixture>
{
    public const string Name = "replica";
}

/// <summary>
/// The validation service's real Program (<see cref="ServiceUnderTest{TEntryPoint}"/>: WebApplicationFactory on
/// Kestrel at free loopback ports, its own appsettings.json, the test tokens' public key) and a real GrpcChannel to
/// its gRPC port.
/// </summary>
public sealed class ValidationHost : IAsyncDisposable
{
    private readonly ServiceUnderTest<ValidationGrpcService> _service;

    private ValidationHost(ServiceUnderTest<ValidationGrpcService> service)
    {
        _service = service;
        Client = ClientFor(TestTenant);
    }

    /// <summary>The tenant <see cref="Client"/> calls as (a demo-data tenant: active on the replica).</summary>
    public const long TestTenant = 1;

    public GrpcChannel Channel => _service.Channel;

    /// <summary>A client calling as <see cref="TestTenant"/> (a caller token with the query scope).</summary>
    public ValidationService.ValidationServiceClient Client { get; }

    /// <summary>A client calling as <paramref name="clientId"/>.</summary>
    public ValidationService.ValidationServiceClient ClientFor(long clientId) => new(Channel.As(clientId));

    /// <param name="replicaConnectionString">The replica the service reads (its catalog too); null: no database, the catalog from the schema.</param>
    /// <param name="settings">Configuration on top of the service's own.</param>
    public static Task<ValidationHost> StartAsync(string? replicaConnectionString, IDictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Validation:Catalog:Source"] = replicaConnectionString is null ? "Schema" : "Replica",
        };
        if (replicaConnectionString is not null)
        {
            config["ConnectionStrings:replica"] = replicaConnectionString;
        }
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }
        var service = new ServiceUnderTest<ValidationGrpcService>(config, environment: "Development");
        try
        {
            service.Start();
        }
        catch
        {
            service.Dispose();
            throw;
        }
        return Task.FromResult(new ValidationHost(service));
    }

    public ValueTask DisposeAsync() => _service.DisposeAsync();
}
