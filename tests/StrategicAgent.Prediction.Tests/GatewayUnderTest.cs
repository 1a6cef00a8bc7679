using StrategicAgent.Gateway.Auth;
using StrategicAgent.Testing;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The gateway's real Program (<see cref="ServiceUnderTest{TEntryPoint}"/>: WebApplicationFactory on Kestrel, a free
/// loopback port) in front of this suite's prediction service, as the AppHost wires it: API keys read as
/// <c>sa_gateway</c> on the primary, caller tokens minted with the test key the services verify. A service the test
/// does not start gets an address nothing listens on (a call to it is Unavailable).
/// </summary>
internal static class GatewayUnderTest
{
    private const string Nowhere = "http://127.0.0.1:1";

    public static async Task<ServiceUnderTest<CallerTokenIssuer>> StartAsync(PostgresReplicaFixture db, int predictionGrpcPort,
        Uri? agent = null, Uri? validation = null, CancellationToken ct = default)
    {
        var gateway = new ServiceUnderTest<CallerTokenIssuer>(new Dictionary<string, string?>(TestTokens.GatewaySettings)
        {
            ["ConnectionStrings:primary"] = db.PrimaryGatewayConnectionString,
            ["GrpcClients:prediction:Address"] = $"http://127.0.0.1:{predictionGrpcPort}",
            ["GrpcClients:agent:Address"] = agent?.ToString() ?? Nowhere,
            ["GrpcClients:validation:Address"] = validation?.ToString() ?? Nowhere,
            ["GrpcClients:ml-training:Address"] = Nowhere,
        }, environment: "Testing");
        try
        {
            // Starting runs the hosted services' StartAsync synchronously: off the test's thread.
            await Task.Run(gateway.Start, ct);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }
}
