using System.Diagnostics;
using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Registry;
using StrategicAgent.Protos.Prediction.V1;
using StrategicAgent.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(StrategicAgent.Prediction.Tests.PredictionFixture))]

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The Small demo data on a real primary + replica, the four predictive models trained on it by
/// the training service's code (fast hyperparameters) and deployed, the prediction service
/// running on a real socket, some real traffic served, and the anomaly model trained on that
/// prediction log. Shared by every test in the assembly.
/// </summary>
public sealed class PredictionFixture : DemoDataFixture
{
    public const long Acme = 1;
    public const long Globex = 2;

    public static readonly string[] Predictive = [ModelNames.Trajectory, ModelNames.Complexity, ModelNames.Rework, ModelNames.Unified];

    private PredictionHost? _host;
    private Training? _training;

    public PredictionHost Host => _host ?? throw new InvalidOperationException("not started");
    public Training Training => _training ?? throw new InvalidOperationException("not started");
    public Dictionary<string, RegisteredModel> Deployed { get; } = [];
    public TimeSpan SetupTime { get; private set; }

    protected override async Task OnStartedAsync(CancellationToken ct)
    {
        await base.OnStartedAsync(ct);
        var sw = Stopwatch.StartNew();
        _training = new Training(ReplicaMlConnectionString);
        foreach (var model in Predictive)
        {
            await _training.TrainAsync(model, ct: ct);
        }

        _host = await PredictionHost.StartAsync(this, ct: ct);
        await _host.WaitForModelsAsync(Predictive, TimeSpan.FromSeconds(60));

        // Real traffic for the anomaly model to learn what normal serving looks like.
        await ServeTrafficAsync(ct);
        await _host.FlushLogAsync(TimeSpan.FromSeconds(30));
        await SpreadLogOverTimeAsync(ct);
        await _training.TrainAsync(ModelNames.Anomaly, ct: ct);
        await _host.PublishAsync(DeployedEvent(ModelNames.Anomaly));
        await _host.WaitForModelsAsync([ModelNames.Anomaly], TimeSpan.FromSeconds(60));

        var registry = new ModelRegistryReader(NpgsqlDataSource.Create(ReplicaMlConnectionString));
        foreach (var model in ModelNames.All)
        {
            Deployed[model] = (await registry.GetDeployedAsync(model, ct))!;
        }
        SetupTime = sw.Elapsed;
    }

    public Contracts.ModelDeployed DeployedEvent(string model)
    {
        var (_, d) = Training.Events.Deployed.Last(e => e.Model == model);
        return new Contracts.ModelDeployed
        {
            ModelName = model,
            VersionId = d.VersionId ?? 0,
            Version = d.Version ?? 0,
            PreviousVersionId = d.PreviousVersionId,
            Strategy = d.Strategy.ToText(),
            DeployedAt = d.DeployedAt ?? DateTimeOffset.UtcNow,
        };
    }

    /// <summary>Keys of one tenant by model, read from the replica.</summary>
    public async Task<List<string>> KeysAsync(string sql, long clientId, int limit, CancellationToken ct = default)
    {
        await using var conn = await OpenReplicaAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn) { Parameters = { new() { Value = clientId }, new() { Value = limit } } };
        var keys = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            keys.Add(r.GetString(0));
        }
        return keys;
    }

    public const string EpicKeysSql =
        """
        SELECT i.key FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name = 'Epic'
        WHERE i.client_id = $1 AND i.active ORDER BY i.id LIMIT $2
        """;

    public const string OpenEpicKeysSql =
        """
        SELECT i.key FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name = 'Epic'
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = $1 AND i.active AND sm.status_to <> 'Done' ORDER BY i.id LIMIT $2
        """;

    public const string StoryKeysSql =
        """
        SELECT i.key FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name IN ('Story', 'Task', 'Bug')
        WHERE i.client_id = $1 AND i.active ORDER BY i.id LIMIT $2
        """;

    public const string UnifiedKeysSql =
        "SELECT issue_key FROM ml.unified_features WHERE client_id = $1 ORDER BY entity_id LIMIT $2";

    public const string PullRequestKeysSql =
        """
        SELECT r.name || '#' || p.number FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
        WHERE p.client_id = $1 AND p.active ORDER BY p.id LIMIT $2
        """;

    private async Task ServeTrafficAsync(CancellationToken ct)
    {
        foreach (var tenant in new[] { Acme, Globex, 3L })
        {
            var epics = await KeysAsync(EpicKeysSql, tenant, 100, ct);
            var stories = await KeysAsync(StoryKeysSql, tenant, 200, ct);
            var prs = await KeysAsync(PullRequestKeysSql, tenant, 100, ct);
            var unified = await KeysAsync(UnifiedKeysSql, tenant, 60, ct);
            for (var round = 0; round < 2; round++)
            {
                foreach (var chunk in epics.Chunk(25))
                {
                    await Host.ClientFor(tenant).PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { chunk } }, cancellationToken: ct);
                }
                foreach (var chunk in stories.Chunk(50))
                {
                    await Host.ClientFor(tenant).EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { chunk } }, cancellationToken: ct);
                }
                foreach (var chunk in prs.Chunk(25))
                {
                    await Host.ClientFor(tenant).AssessReworkRiskAsync(new ReworkRequest { PullRequests = { chunk } }, cancellationToken: ct);
                }
                foreach (var chunk in unified.Chunk(25))
                {
                    await Host.ClientFor(tenant).PredictUnifiedAsync(new UnifiedRequest { IssueKeys = { chunk } }, cancellationToken: ct);
                }
            }
        }
    }

    /// <summary>
    /// All that traffic was served within seconds; a real log spans days and hours. Copies of the
    /// served rows are spread over the past four weeks (same values, latencies and features), so
    /// the anomaly model learns normal behaviour at every hour rather than only this minute's. Each
    /// minute of the served traffic moves as a whole, so the copies keep its request rate.
    /// </summary>
    private async Task SpreadLogOverTimeAsync(CancellationToken ct)
    {
        await using var conn = await OpenReplicaAsync(ct);
        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO ml.ml_prediction_log (model_name, model_version, prediction_key, prediction_value, input_features,
                input_feature_count, prediction_confidence, response_time_ms, created_at, client_id)
            SELECT l.model_name, l.model_version, l.prediction_key, l.prediction_value, l.input_features,
                   l.input_feature_count, l.prediction_confidence, l.response_time_ms,
                   l.created_at - make_interval(days => g, hours => ((m.minute * 7 + g * 5) % 24)::int, mins => ((m.minute * 13) % 60)::int), l.client_id
            FROM ml.ml_prediction_log l
            CROSS JOIN LATERAL (SELECT (extract(epoch FROM l.created_at)::bigint / 60) AS minute) m
            CROSS JOIN generate_series(1, 3) g
            """, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public override async ValueTask DisposeAsync()
    {
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
