using Grpc.Core;
using Npgsql;
using StrategicAgent.Protos.Training.V1;
using ModelName = StrategicAgent.Protos.Ml.V1.ModelName;
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
        using (var call = app.Client.Train(new TrainRequest { ModelName = ModelName.Trajectory, DeployStrategy = DeployStrategy.BestScore, Hyperparameters = { ["iterations"] = "80" } }, cancellationToken: ct))
        {
            await foreach (var p in call.ResponseStream.ReadAllAsync(ct)) stages.Add(p);
        }
        Assert.Contains(stages, s => s.Stage == TrainStage.Loading);
        Assert.Contains(stages, s => s.Stage == TrainStage.Training);
        var last = stages[^1];
        Assert.Equal(TrainStage.Done, last.Stage);
        Assert.Equal(ModelName.Trajectory, last.Version.ModelName);
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
        Assert.Equal([ModelName.Trajectory, ModelName.Complexity, ModelName.Rework, ModelName.Unified, ModelName.Anomaly], models.Models.Select(m => m.Name).ToArray());

        // Closed sets are enums: a value the contract does not define (a newer client), unspecified where a model is
        // required, a model nothing trains, and a strategy that does not fit the call are InvalidArgument naming what is allowed.
        foreach (var (model, expected) in new[]
        {
            ((ModelName)42, "model_name = 42 is not a model this service knows: use one of trajectory, complexity, rework, unified, anomaly."),
            (ModelName.Unspecified, "model_name is required: one of trajectory, complexity, rework, unified, anomaly."),
            (ModelName.Forecast, "'forecast' is not a trained model"),
        })
        {
            var unknown = await Assert.ThrowsAsync<RpcException>(() => app.Client.ListVersionsAsync(new ListVersionsRequest { ModelName = model }, cancellationToken: ct).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
            Assert.Contains(expected, unknown.Status.Detail);
        }
        var unknownFilter = await Assert.ThrowsAsync<RpcException>(() => app.Client.HistoryAsync(new HistoryRequest { ModelName = (ModelName)42 }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, unknownFilter.StatusCode);

        foreach (var (strategy, expected) in new[] { ((DeployStrategy)42, "strategy = 42 is not allowed here"), (DeployStrategy.None, "strategy = none is not allowed here") })
        {
            var badStrategy = await Assert.ThrowsAsync<RpcException>(() => app.Client.DeployAsync(new DeployRequest { ModelName = ModelName.Unified, Strategy = strategy }, cancellationToken: ct).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, badStrategy.StatusCode);
            Assert.Contains(expected, badStrategy.Status.Detail);
            Assert.Contains("use one of best_score, most_recent, rollback, specific", badStrategy.Status.Detail);
        }
        var afterTraining = await Assert.ThrowsAsync<RpcException>(() => app.Client.StartTrainingAsync(
            new TrainRequest { ModelName = ModelName.Rework, DeployStrategy = DeployStrategy.Rollback }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, afterTraining.StatusCode);
        Assert.Contains("deploy_strategy = rollback is not allowed here: use one of best_score, most_recent, none", afterTraining.Status.Detail);

        var noVersion = await Assert.ThrowsAsync<RpcException>(() => app.Client.DeployAsync(new DeployRequest { ModelName = ModelName.Unified, Strategy = DeployStrategy.Specific, VersionId = 987654 }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, noVersion.StatusCode);

        var nothingToRollBack = await Assert.ThrowsAsync<RpcException>(() => app.Client.DeployAsync(new DeployRequest { ModelName = ModelName.Unified, Strategy = DeployStrategy.Rollback }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, nothingToRollBack.StatusCode);

        var badHyper = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = app.Client.Train(new TrainRequest { ModelName = ModelName.Rework, Hyperparameters = { ["depth"] = "4" } }, cancellationToken: ct);
            await foreach (var _ in call.ResponseStream.ReadAllAsync(ct)) { }
        });
        Assert.Equal(StatusCode.InvalidArgument, badHyper.StatusCode);
        Assert.Contains("Unknown hyperparameter 'depth'", badHyper.Status.Detail);

        var history = await app.Client.HistoryAsync(new HistoryRequest { Limit = 20 }, cancellationToken: ct);
        Assert.NotNull(history);
    }
}
