using Grpc.Core;
using Npgsql;
using StrategicAgent.Agent.Grpc;
using StrategicAgent.Data;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.MlTraining.Grpc;
using StrategicAgent.Prediction.Grpc;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Grpc;
using Xunit;

[assembly: AssemblyFixture(typeof(StrategicAgent.Security.Tests.SystemFixture))]

namespace StrategicAgent.Security.Tests;

/// <summary>
/// The whole system minus the AppHost: the real primary + logical replica with the small demo data,
/// and each service's real Program on free loopback ports — validation, prediction and ml-training
/// (no model trained: their auth and input checks do not need one), the agent (calling that
/// validation and prediction with the caller's forwarded token) and the gateway (minting tokens
/// with <see cref="TestTokens"/>' key, so its tokens and the test's are verified alike). Every
/// service logs in as the AppHost makes it, and checks tenants with a 1 s cache so a deactivation
/// shows within the test.
/// </summary>
public sealed class SystemFixture : DemoDataFixture
{
    /// <summary>Demo tenants with data.</summary>
    public const long TenantA = 1;
    public const long TenantB = 2;
    /// <summary>The demo data's inactive tenant (its keys and tokens are refused).</summary>
    public const long InactiveTenant = 9;
    /// <summary>An active tenant without data, deactivated by a test (and reactivated after it).</summary>
    public const long RevocableTenant = 902;

    public const int TenantCacheSeconds = 1;

    public ServiceUnderTest<ValidationGrpcService> Validation { get; private set; } = null!;
    public ServiceUnderTest<PredictionGrpcService> Prediction { get; private set; } = null!;
    public ServiceUnderTest<TrainingGrpcService> Training { get; private set; } = null!;
    public ServiceUnderTest<AgentGrpcService> Agent { get; private set; } = null!;
    public ServiceUnderTest<CallerTokenIssuer> Gateway { get; private set; } = null!;

    /// <summary>Query-scope API keys of tenants A and B, and A's operator key (query + admin).</summary>
    public string KeyA { get; private set; } = "";
    public string KeyB { get; private set; } = "";
    public string AdminKeyA { get; private set; } = "";

    /// <summary>The id of an anomaly alert that belongs to tenant A.</summary>
    public long AlertOfA { get; private set; }

    /// <summary>The four gRPC services, by name, with their channel (no credential).</summary>
    public IReadOnlyList<(string Name, ChannelBase Channel)> GrpcServices =>
    [
        ("validation", Validation.Channel),
        ("prediction", Prediction.Channel),
        ("ml-training", Training.Channel),
        ("agent", Agent.Channel),
    ];

    protected override async Task OnStartedAsync(CancellationToken ct)
    {
        await base.OnStartedAsync(ct);
        await using (var primary = await OpenPrimaryAsync(ct))
        {
            await using (var insert = new NpgsqlCommand($"INSERT INTO clients (id, name, active) VALUES ({RevocableTenant}, 'Revocable', true)", primary))
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            KeyA = await ApiKeys.CreateAsync(primary, TenantA, "security tests A", ct);
            KeyB = await ApiKeys.CreateAsync(primary, TenantB, "security tests B", ct);
            AdminKeyA = await ApiKeys.CreateAsync(primary, TenantA, "security tests operator", [ApiKeyScopes.Query, ApiKeyScopes.Admin], ct);
        }
        await WaitForReplicaAsync(ct);
        await using (var replica = await OpenReplicaAsync(ct))
        {
            await using var alert = new NpgsqlCommand(
                "INSERT INTO ml.ml_anomaly_alerts (model_name, severity, alert_data, recommended_action, client_id) " +
                "VALUES ('complexity', 'high', '{\"secret\": \"tenant A only\"}', 'look at tenant A', $1) RETURNING id", replica)
            {
                Parameters = { new() { Value = TenantA } },
            };
            AlertOfA = (long)(await alert.ExecuteScalarAsync(ct))!;
        }

        var auth = new Dictionary<string, string?> { ["Auth:TenantCacheSeconds"] = TenantCacheSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        Validation = new ServiceUnderTest<ValidationGrpcService>(With(auth, new()
        {
            ["ConnectionStrings:replica"] = ReplicaReaderConnectionString,
        })).Start();
        Prediction = new ServiceUnderTest<PredictionGrpcService>(With(auth, new()
        {
            ["ConnectionStrings:replica"] = ReplicaMlConnectionString,
            ["ConnectionStrings:replica-reader"] = ReplicaReaderConnectionString,
            ["Messaging:Transport"] = "InMemory",
        })).Start();
        Training = new ServiceUnderTest<TrainingGrpcService>(With(auth, new()
        {
            ["ConnectionStrings:replica"] = ReplicaMlConnectionString,
            ["Messaging:Transport"] = "InMemory",
            ["Training:SchedulerEnabled"] = "false",
        })).Start();
        Agent = new ServiceUnderTest<AgentGrpcService>(With(auth, new()
        {
            ["ConnectionStrings:replica"] = ReplicaReaderConnectionString,
            ["ConnectionStrings:primary"] = PrimaryAgentConnectionString,
            ["GrpcClients:validation:Address"] = Validation.GrpcAddress.ToString(),
            ["GrpcClients:prediction:Address"] = Prediction.GrpcAddress.ToString(),
        })).Start();
        Gateway = new ServiceUnderTest<CallerTokenIssuer>(new Dictionary<string, string?>(TestTokens.GatewaySettings)
        {
            ["ConnectionStrings:primary"] = PrimaryGatewayConnectionString,
            ["services:validation:grpc:0"] = Validation.GrpcAddress.ToString(),
            ["services:agent:grpc:0"] = Agent.GrpcAddress.ToString(),
            ["services:ml-training:grpc:0"] = Training.GrpcAddress.ToString(),
            ["services:prediction:grpc:0"] = Prediction.GrpcAddress.ToString(),
        }).Start();
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> a, Dictionary<string, string?> b) =>
        a.Concat(b).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>A client of the gateway with an API key.</summary>
    public HttpClient GatewayClient(string? apiKey = null)
    {
        var http = new HttpClient { BaseAddress = Gateway.HttpAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
        return http;
    }

    /// <summary>Sets <c>clients.active</c> on the primary and waits until the replica has it.</summary>
    public async Task SetActiveAsync(long clientId, bool active, CancellationToken ct)
    {
        await using (var primary = await OpenPrimaryAsync(ct))
        {
            await using var update = new NpgsqlCommand("UPDATE clients SET active = $1 WHERE id = $2", primary)
            {
                Parameters = { new() { Value = active }, new() { Value = clientId } },
            };
            await update.ExecuteNonQueryAsync(ct);
        }
        await WaitForReplicaAsync(ct);
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var service in new IAsyncDisposable?[] { Gateway, Agent, Training, Prediction, Validation })
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }
        await base.DisposeAsync();
    }
}
