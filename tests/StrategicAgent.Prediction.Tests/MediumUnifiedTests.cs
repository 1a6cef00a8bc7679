using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Data.DemoData;
using StrategicAgent.LocalServers;
using StrategicAgent.Ml;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The <c>medium</c> demo data (5 active tenants, ≈ 200k issues) on its own primary + replica, the unified,
/// rework, complexity and trajectory models trained on it, the prediction service, the validation service and
/// the agent (their real Programs) and the real gateway on sockets, an API key per tenant. Loaded once for the
/// classes of the <see cref="MediumCollection"/> (a few minutes: the heaviest fixture of the suite).
/// </summary>
public sealed class MediumServingFixture : PostgresReplicaFixture
{
    public static readonly long[] Tenants = [1, 2, 3, 4, 5];

    /// <summary>The models the agent's routes use (the forecast uses trajectory and complexity).</summary>
    public static readonly string[] RouteModels = [ModelNames.Rework, ModelNames.Complexity, ModelNames.Trajectory];

    private Training? _training;
    private PredictionHost? _host;
    private ServiceUnderTest<StrategicAgent.Gateway.Auth.CallerTokenIssuer>? _gateway;
    private ServiceUnderTest<StrategicAgent.Validation.Grpc.ValidationGrpcService>? _validation;
    private ServiceUnderTest<StrategicAgent.Agent.Grpc.AgentGrpcService>? _agent;

    public PredictionHost Host => _host ?? throw new InvalidOperationException("not started");
    public string GatewayUrl { get; private set; } = "";
    public Dictionary<long, string> ApiKeys { get; } = [];
    public string SetupReport { get; private set; } = "";

    protected override async Task OnStartedAsync(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var summary = await DemoDataGenerator.LoadAsync(PrimaryConnectionString,
            new DemoDataOptions { Size = DemoDataSize.Medium, Seed = DemoDataFixture.Seed, ReferenceDate = DemoDataFixture.ReferenceDate }, progress: null, ct);
        await LogicalReplication.WaitForCatchUpAsync(PrimaryConnectionString, TimeSpan.FromMinutes(15), ct);
        await DemoDataGenerator.AnalyzeAsync(ReplicaConnectionString, ct);
        var loaded = sw.Elapsed;

        _training = new Training(ReplicaMlConnectionString);
        var trainedIn = new List<string>();
        foreach (var model in RouteModels.Prepend(ModelNames.Unified))
        {
            var one = Stopwatch.StartNew();
            await _training.TrainAsync(model, ct: ct);
            trainedIn.Add($"{model} {one.Elapsed.TotalSeconds:0} s");
        }
        var trained = sw.Elapsed - loaded;

        _host = await PredictionHost.StartAsync(this, ct: ct);
        await _host.WaitForModelsAsync(RouteModels.Prepend(ModelNames.Unified), TimeSpan.FromSeconds(60));

        // The agent as the AppHost wires it: offline planner, validation and prediction over gRPC with the caller's token.
        _validation = new ServiceUnderTest<StrategicAgent.Validation.Grpc.ValidationGrpcService>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:replica"] = ReplicaReaderConnectionString,
        }).Start();
        _agent = new ServiceUnderTest<StrategicAgent.Agent.Grpc.AgentGrpcService>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:replica"] = ReplicaReaderConnectionString,
            ["ConnectionStrings:primary"] = PrimaryAgentConnectionString,
            ["GrpcClients:validation:Address"] = _validation.GrpcAddress.ToString(),
            ["GrpcClients:prediction:Address"] = $"http://127.0.0.1:{_host.GrpcPort}",
        }).Start();

        _gateway = await GatewayUnderTest.StartAsync(this, _host.GrpcPort, _agent.GrpcAddress, _validation.GrpcAddress, ct);
        GatewayUrl = _gateway.HttpAddress.ToString().TrimEnd('/');

        await using var primary = await OpenPrimaryAsync(ct);
        foreach (var tenant in Tenants)
        {
            ApiKeys[tenant] = await StrategicAgent.Data.ApiKeys.CreateAsync(primary, tenant, "medium-test", ct);
        }
        SetupReport = $"medium: {summary.Rows["issues"]:N0} issues loaded and replicated in {loaded.TotalSeconds:0} s, models trained in {trained.TotalSeconds:0} s ({string.Join(", ", trainedIn)})";
    }

    public Task<List<string>> UnifiedKeysAsync(long tenant, int limit, CancellationToken ct) => KeysAsync(PredictionFixture.UnifiedKeysSql, tenant, limit, ct);

    /// <summary>Rows of a query on the replica (as the superuser) for the tenant: <c>$1</c> = tenant, <c>$2</c> = limit.</summary>
    public async Task<List<string>> KeysAsync(string sql, long tenant, int limit, CancellationToken ct)
    {
        await using var conn = await OpenReplicaAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn) { Parameters = { new() { Value = tenant }, new() { Value = limit } } };
        var keys = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            keys.Add(r.GetString(0));
        }
        return keys;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var service in new IAsyncDisposable?[] { _gateway, _agent, _validation })
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        if (_training is not null)
        {
            await _training.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}

/// <summary>The classes that share the one medium fixture (loaded once).</summary>
[CollectionDefinition(Name)]
public sealed class MediumCollection : ICollectionFixture<MediumServingFixture>
{
    public const string Name = "medium";
}

/// <summary>
/// <c>POST /api/v1/predictions/unified</c> through the real gateway on the medium data, every tenant: 200 with
/// intervals. While a tenant's features load, the only other answer allowed is 503 with Retry-After (never 502 or
/// 504); the test follows the hint as a client would.
/// </summary>
[Collection(MediumCollection.Name)]
public sealed class MediumUnifiedTests(MediumServingFixture f, ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unified_through_the_gateway_answers_every_tenant_with_intervals()
    {
        var report = new List<string> { f.SetupReport };
        foreach (var tenant in MediumServingFixture.Tenants)
        {
            var keys = await f.UnifiedKeysAsync(tenant, 20, Ct);
            Assert.Equal(20, keys.Count);
            using var http = new HttpClient { BaseAddress = new Uri(f.GatewayUrl), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Add("X-Api-Key", f.ApiKeys[tenant]);

            var sw = Stopwatch.StartNew();
            var (body, retries) = await PostUntilServedAsync(http, keys);
            var first = sw.Elapsed;
            AssertPredictions(body, keys);

            sw.Restart();
            var (again, againRetries) = await PostUntilServedAsync(http, keys);
            AssertPredictions(again, keys);
            Assert.Equal(0, againRetries); // served from the tenant's snapshot now
            report.Add($"tenant {tenant}: first call {first.TotalMilliseconds:0} ms ({retries} × 503 with Retry-After before it), next {sw.Elapsed.TotalMilliseconds:0} ms");
        }
        report.Add($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        TestContext.Current.SendDiagnosticMessage(string.Join("\n", report));
        output.WriteLine(string.Join("\n", report));
    }

    private static async Task<(JsonElement Body, int Retries)> PostUntilServedAsync(HttpClient http, List<string> keys)
    {
        for (var retries = 0; ; retries++)
        {
            using var response = await http.PostAsJsonAsync("api/v1/predictions/unified", new { issue_keys = keys }, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return (JsonDocument.Parse(text).RootElement.Clone(), retries);
            }
            // The one other answer allowed: still loading, with a hint when to come back.
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {text}");
            var retryAfter = response.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("503 without Retry-After: " + text);
            Assert.Contains("being loaded", text);
            Assert.True(retries < 10, "still loading after 10 retries: " + text);
            await Task.Delay(retryAfter, Ct);
        }
    }

    private static void AssertPredictions(JsonElement body, List<string> keys)
    {
        Assert.Equal("unified", body.GetProperty("model").GetProperty("name").GetString());
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(keys, predictions.Select(p => p.GetProperty("key").GetString()));
        foreach (var p in predictions)
        {
            Assert.True(p.GetProperty("found").GetBoolean(), p.GetProperty("message").ToString());
            Assert.InRange(p.GetProperty("lead_time_days").GetDouble(), p.GetProperty("lead_time_low_days").GetDouble(), p.GetProperty("lead_time_high_days").GetDouble());
            Assert.InRange(p.GetProperty("story_points").GetDouble(), p.GetProperty("story_points_low").GetDouble(), p.GetProperty("story_points_high").GetDouble());
            Assert.True(p.GetProperty("lead_time_high_days").GetDouble() > p.GetProperty("lead_time_low_days").GetDouble());
            Assert.InRange(p.GetProperty("rework_probability").GetDouble(), 0, 1);
            Assert.Equal(0.8, p.GetProperty("interval_level").GetDouble(), 3);
        }
    }
}
