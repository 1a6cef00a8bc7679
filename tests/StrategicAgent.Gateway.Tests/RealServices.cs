using StrategicAgent.Agent.Grpc;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Grpc;

namespace StrategicAgent.Gateway.Tests;

/// <summary>
/// A real downstream service: its Program, exactly as <c>dotnet StrategicAgent.X.dll</c> runs it
/// (<see cref="ServiceUnderTest{TEntryPoint}"/>), on a free loopback port (gRPC over HTTP/2 only, as deployed).
/// </summary>
public sealed class RealService : IAsyncDisposable
{
    private readonly IAsyncDisposable _service;

    private RealService(IAsyncDisposable service, Uri address)
    {
        _service = service;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The validation service against the replica.</summary>
    public static RealService StartValidation(string replicaConnectionString) =>
        Start(new ServiceUnderTest<ValidationGrpcService>(new Dictionary<string, string?> { ["ConnectionStrings:replica"] = replicaConnectionString }));

    /// <summary>
    /// The agent with the offline planner, learning memory on the primary, generated SQL on the replica, and the
    /// given validation service.
    /// </summary>
    public static RealService StartAgent(string primary, string replica, Uri validation) =>
        Start(new ServiceUnderTest<AgentGrpcService>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:primary"] = primary,
            ["ConnectionStrings:replica"] = replica,
            ["services:validation:grpc:0"] = validation.ToString(),
        }));

    private static RealService Start<T>(ServiceUnderTest<T> service) where T : class => new(service.Start(), service.GrpcAddress);

    public ValueTask DisposeAsync() => _service.DisposeAsync();
}
