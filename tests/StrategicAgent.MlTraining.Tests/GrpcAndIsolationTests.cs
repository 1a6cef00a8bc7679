using Grpc.Core;
using Npgsql;
using StrategicAgent.Protos.Training.V1;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>The gRPC admin API over a real socket, and training's zero load on the primary.</summary>
public sealed class GrpcAndIsolationTests(DemoDataFixture db)
{
    [Fact]
    public async Task Train_streams_progress_and_puts_no_query_on_the_primary()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await using var setup = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();", primary);
            await setup.ExecuteNonQueryAsync(ct);
        }
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        var stages = new List<TrainProgress>();
        using (var call = app.Client.Train(new TrainRequest { ModelName = "trajectory", DeployStrategy = "best_score", Hyperparameters = { ["iterations"] = "80" } }, cancellationToken: ct))
        {
            await foreach (var p in call.ResponseStream.ReadAllAsync(ct)) stages.Add(p);
        }
        Assert.Contains(stages, s => s.Stage == "loading");
        Assert.Contains(stages, s => s.Stage == "training");
        var last = stages[^1];
        Assert.Equal("done", last.Stage);
        Assert.Equal("trajectory", last.Version.ModelName);
        Assert.True(last.Version.Metrics["r2"] > 0.2);
        Assert.False(string.IsNullOrEmpty(last.DeployReason));

        // Nothing that touches the platform's tables or the ml schema ran on the primary.
        await using var check = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT coalesce(string_agg(query, ' | '), '') FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND (query ILIKE '%issues%' OR query ILIKE '%pull_requests%' OR query ILIKE '%ml.%' OR query ILIKE '%_features%')
              AND query NOT ILIKE '%pg_stat_statements%'
            """, check);
        Assert.Equal("", (string)(await cmd.ExecuteScalarAsync(ct))!);
        await using var sessions = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ml-training'", check);
        Assert.Equal(0L, (long)(await sessions.ExecuteScalarAsync(ct))!);
    }

    [Fact]
    public async Task Admin_calls_list_models_and_refuse_bad_input_with_actionable_status_codes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        var models = await app.Client.ListModelsAsync(new ListModelsRequest(), cancellationToken: ct);
        Assert.Equal(["trajectory", "complexity", "rework", "unified", "anomaly"], models.Models.Select(m => m.Name).ToArray());

        var unknown = await Assert.ThrowsAsync<RpcException>(() => app.Client.ListVersionsAsync(new ListVersionsRequest { ModelName = "velocity" }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("Known models: trajectory", unknown.Status.Detail);

        var badStrategy = await Assert.ThrowsAsync<RpcException>(() => app.Client.DeployAsync(new DeployRequest { ModelName = "unified", Strategy = "newest" }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badStrategy.StatusCode);

        var noVersion = await Assert.ThrowsAsync<RpcException>(() => app.Client.DeployAsync(new DeployRequest { ModelName = "unified", Strategy = "specific", VersionId = 987654 }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, noVersion.StatusCode);

        var nothingToRollBack = await Assert.ThrowsAsync<RpcException>(() => app.Client.DeployAsync(new DeployRequest { ModelName = "unified", Strategy = "rollback" }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, nothingToRollBack.StatusCode);

        var badHyper = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = app.Client.Train(new TrainRequest { ModelName = "rework", Hyperparameters = { ["depth"] = "4" } }, cancellationToken: ct);
            await foreach (var _ in call.ResponseStream.ReadAllAsync(ct)) { }
        });
        Assert.Equal(StatusCode.InvalidArgument, badHyper.StatusCode);
        Assert.Contains("Unknown hyperparameter 'depth'", badHyper.Status.Detail);

        var history = await app.Client.HistoryAsync(new HistoryRequest { Limit = 20 }, cancellationToken: ct);
        Assert.NotNull(history);
    }
}
