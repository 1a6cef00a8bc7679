using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Gateway.Tests.Fakes;
using StrategicAgent.Testing;

namespace StrategicAgent.Gateway.Tests;

/// <summary>
/// The real primary and replica with the Small demo data (api_keys on the primary), fake downstream
/// gRPC servers, and one running gateway wired to them. Tenants 101 and 102 (no data) each have a
/// key; tenant 103 is inactive; one key of tenant 101 is revoked; tenant 101 also has an admin key
/// (query + admin) and an admin-only key; demo tenants 1 and 2 have a key each for the tests through
/// real services.
/// </summary>
public sealed class GatewayFixture : DemoDataFixture
{
    public const long TenantA = 101;
    public const long TenantB = 102;
    public const long InactiveTenant = 103;
    /// <summary>The bad-input sweep's own tenant (its pins and runs stay out of the other tests' way).</summary>
    public const long SweepTenant = 104;

    private FakeGrpcServer? _validation;
    private FakeGrpcServer? _agent;
    private FakeGrpcServer? _training;
    private FakeGrpcServer? _prediction;
    private RunningGateway? _gateway;

    public string KeyA { get; private set; } = "";
    public string KeyB { get; private set; } = "";
    public string RevokedKey { get; private set; } = "";
    public string InactiveTenantKey { get; private set; } = "";
    public string DemoKey1 { get; private set; } = "";
    public string DemoKey2 { get; private set; } = "";
    /// <summary>Tenant A's operator key: scopes query and admin (train, deploy).</summary>
    public string AdminKey { get; private set; } = "";
    /// <summary>Tenant A's key with the admin scope only (no query).</summary>
    public string AdminOnlyKey { get; private set; } = "";
    /// <summary>The sweep tenant's key: scopes query and admin.</summary>
    public string SweepKey { get; private set; } = "";

    public RunningGateway Gateway => _gateway ?? throw new InvalidOperationException("The gateway has not started.");
    public FakeAgentService Agent => _agent!.Service<FakeAgentService>();
    public FakeTrainingService Training => _training!.Service<FakeTrainingService>();

    protected override async Task OnStartedAsync(CancellationToken ct)
    {
        await base.OnStartedAsync(ct);
        await using (var primary = await OpenPrimaryAsync(ct))
        {
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO clients (id, name, active) VALUES (101, 'Tenant A', true), (102, 'Tenant B', true), (103, 'Gone', false), (104, 'Sweep', true)", primary))
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            KeyA = await ApiKeys.CreateAsync(primary, TenantA, "gateway tests A", ct);
            KeyB = await ApiKeys.CreateAsync(primary, TenantB, "gateway tests B", ct);
            RevokedKey = await ApiKeys.CreateAsync(primary, TenantA, "revoked", ct);
            InactiveTenantKey = await ApiKeys.CreateAsync(primary, InactiveTenant, "inactive tenant", ct);
            DemoKey1 = await ApiKeys.CreateAsync(primary, 1, "gateway tests demo 1", ct);
            DemoKey2 = await ApiKeys.CreateAsync(primary, 2, "gateway tests demo 2", ct);
            AdminKey = await ApiKeys.CreateAsync(primary, TenantA, "gateway tests admin", [ApiKeyScopes.Query, ApiKeyScopes.Admin], ct);
            AdminOnlyKey = await ApiKeys.CreateAsync(primary, TenantA, "gateway tests admin only", [ApiKeyScopes.Admin], ct);
            SweepKey = await ApiKeys.CreateAsync(primary, SweepTenant, "bad-input sweep", [ApiKeyScopes.Query, ApiKeyScopes.Admin], ct);
            await using var revoke = new NpgsqlCommand("UPDATE api_keys SET active = false WHERE key_hash = $1", primary)
            {
                Parameters = { new() { Value = ApiKeys.Hash(RevokedKey) } },
            };
            await revoke.ExecuteNonQueryAsync(ct);
        }

        var servers = await Task.WhenAll(
            FakeGrpcServer.StartAsync<FakeValidationService>(ct),
            FakeGrpcServer.StartAsync<FakeAgentService>(ct),
            FakeGrpcServer.StartAsync<FakeTrainingService>(ct),
            FakeGrpcServer.StartAsync<FakePredictionService>(ct));
        (_validation, _agent, _training, _prediction) = (servers[0], servers[1], servers[2], servers[3]);
        _gateway = await StartGatewayAsync(new Dictionary<string, string?>(), ct);
    }

    /// <summary>
    /// The configuration the shared gateway runs with; <paramref name="overrides"/> start another
    /// one (e.g. a dead downstream or a short deadline). Dispose what this returns.
    /// </summary>
    public Task<RunningGateway> StartGatewayAsync(IReadOnlyDictionary<string, string?> overrides, CancellationToken ct)
    {
        var settings = new Dictionary<string, string?>
        {
            // As under the AppHost: the gateway looks keys up as sa_gateway.
            ["ConnectionStrings:primary"] = PrimaryGatewayConnectionString,
            ["services:validation:grpc:0"] = _validation!.Address.ToString(),
            ["services:agent:grpc:0"] = _agent!.Address.ToString(),
            ["services:ml-training:grpc:0"] = _training!.Address.ToString(),
            ["services:prediction:grpc:0"] = _prediction!.Address.ToString(),
            // ?wait=true follows a run by polling it.
            ["Downstream:TrainingPollInterval"] = "00:00:00.050",
        };
        foreach (var (k, v) in overrides)
        {
            settings[k] = v;
        }
        return RunningGateway.StartAsync(settings, ct);
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var d in new IAsyncDisposable?[] { _gateway, _validation, _agent, _training, _prediction })
        {
            if (d is not null)
            {
                await d.DisposeAsync();
            }
        }
        await base.DisposeAsync();
    }
}
