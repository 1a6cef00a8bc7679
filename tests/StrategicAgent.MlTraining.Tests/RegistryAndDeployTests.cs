using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.Contracts;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>Registry contents, deploy strategies, idempotency and failures, against the real replica.</summary>
public sealed class RegistryAndDeployTests(DemoDataFixture db)
{
    [Fact]
    public async Task Deploy_strategies_record_every_deploy_keep_a_better_model_and_roll_back()
    {
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        var deployed = await Helpers.ListenAsync<ModelDeployed>(app);

        // v1 by most_recent: deployed, registered with everything the prediction service needs.
        var first = await Helpers.RunAsync(app, ModelNames.Rework, DeployStrategy.MostRecent);
        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.True(first.Deploy!.Deployed);
        var v1 = first.Version!;
        Assert.Equal(v1.Id, await Helpers.DeployedIdAsync(db, ModelNames.Rework));
        var registry = app.Services.GetRequiredService<ModelRegistryReader>();
        var stored = (await registry.GetDeployedAsync(ModelNames.Rework, TestContext.Current.CancellationToken))!;
        Assert.NotNull(stored.Artifact);
        Assert.True(stored.Metrics["auc"] > 0.6);
        Assert.True(stored.BaselineMetrics.ContainsKey("log_loss"));
        Assert.NotNull(stored.Calibration!.Probability);
        Assert.True(stored.TrainingStats!.Features["changed_files"].Edges.Length >= 5);
        Assert.Contains("author_prior_opened", stored.FeatureSchemaJson);
        Assert.True(stored.TrainingRows > 1000 && stored.DataFrom < stored.DataTo);

        // A deliberately weak model under best_score: evaluated with v1 on the same newest rows, not deployed.
        var weak = await Helpers.RunAsync(app, ModelNames.Rework, DeployStrategy.BestScore,
            new() { ["iterations"] = "1", ["leaves"] = "2", ["learning_rate"] = "0.01", ["min_leaf"] = "2000" });
        Assert.Equal(RunStatus.Succeeded, weak.Status);
        Assert.False(weak.Deploy!.Deployed);
        Assert.Contains("not better", weak.Deploy.Reason);
        Assert.Equal(v1.Id, await Helpers.DeployedIdAsync(db, ModelNames.Rework));

        // specific: deploy the weak one on purpose; rollback restores v1.
        var deployer = app.Scope().ServiceProvider.GetRequiredService<DeployService>();
        var specific = await deployer.DeployAsync(ModelNames.Rework, DeployStrategy.Specific, weak.Version!.Id, TestContext.Current.CancellationToken);
        Assert.True(specific.Deployed);
        Assert.Equal(v1.Id, specific.PreviousVersionId);
        Assert.Equal(weak.Version.Id, await Helpers.DeployedIdAsync(db, ModelNames.Rework));
        var rollback = await deployer.DeployAsync(ModelNames.Rework, DeployStrategy.Rollback, null, TestContext.Current.CancellationToken);
        Assert.True(rollback.Deployed);
        Assert.Equal(v1.Id, await Helpers.DeployedIdAsync(db, ModelNames.Rework));
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.model_versions WHERE model_name = 'rework' AND status = 'deployed'"));

        // Every deploy recorded, and published for the prediction service.
        Assert.Equal(3L, await Helpers.ScalarAsync<long>(db,
            "SELECT count(*) FROM ml.model_deployments WHERE model_name = 'rework' AND version_id IN ($1, $2)", v1.Id, weak.Version.Id));
        await Helpers.WaitUntilAsync(() => Task.FromResult(deployed.Count(d => d.ModelName == ModelNames.Rework) >= 3), TimeSpan.FromSeconds(10), "3 ModelDeployed events");
        Assert.Equal(["most_recent", "specific", "rollback"], deployed.Where(d => d.ModelName == ModelNames.Rework).Select(d => d.Strategy).ToArray());

        // best_score as an explicit deploy of the newest trained version (the weak one) is refused too.
        var retry = await deployer.DeployAsync(ModelNames.Rework, DeployStrategy.BestScore, null, TestContext.Current.CancellationToken);
        Assert.False(retry.Deployed);
        Assert.Equal(v1.Id, await Helpers.DeployedIdAsync(db, ModelNames.Rework));

        // The library loads the deployed artefact and predicts open PRs with calibrated probabilities.
        var predictor = ModelPredictor.Load((await registry.GetDeployedAsync(ModelNames.Rework, TestContext.Current.CancellationToken))!);
        var dataSource = app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        var openIds = new List<long>();
        await using (var cmd = dataSource.CreateCommand("SELECT entity_id FROM ml.rework_features WHERE client_id = 1 AND label IS NULL ORDER BY entity_id LIMIT 20"))
        await using (var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await r.ReadAsync(TestContext.Current.CancellationToken)) openIds.Add(r.GetInt64(0));
        }
        Assert.NotEmpty(openIds);
        var rows = await FeatureReader.ReadPredictionRowsAsync<ReworkFeatures>(dataSource, FeatureSet.Rework, 1, openIds, TestContext.Current.CancellationToken);
        var predictions = predictor.PredictProbability(rows);
        Assert.Equal(openIds.Count, predictions.Count);
        Assert.All(predictions, p => Assert.InRange(p.Probability, 0.0005, 0.9995));
        Assert.True(predictions.Select(p => p.Probability).Distinct().Count() > 3);
    }

    [Fact]
    public async Task A_duplicate_request_id_trains_once()
    {
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        var id = "dup-" + Guid.NewGuid().ToString("N");
        var first = await Helpers.RunAsync(app, ModelNames.Trajectory, DeployStrategy.None, requestId: id);
        var second = await Helpers.RunAsync(app, ModelNames.Trajectory, DeployStrategy.None, requestId: id);
        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.True(second.Duplicate);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.model_versions WHERE request_id = $1", id));
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.training_runs WHERE request_id = $1", id));
    }

    [Fact]
    public async Task A_run_whose_trainer_died_is_taken_again_by_a_redelivery_while_a_live_trainers_run_is_a_duplicate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        await using var scope = app.Scope();
        var store = scope.ServiceProvider.GetRequiredService<ITrainingStore>();
        var request = new TrainingRequest { RequestId = "lease-" + Guid.NewGuid().ToString("N"), ModelName = ModelNames.Trajectory, DeployStrategy = DeployStrategy.None };
        var h = scope.ServiceProvider.GetRequiredService<TrainingRunner>().Validate(request);

        var first = await store.ClaimRunAsync(request, h, ct);
        Assert.True(first.Claimed);
        Assert.NotNull(first.Lease);
        // A second delivery of the same request while its trainer lives: a duplicate, nothing taken.
        var second = await store.ClaimRunAsync(request, h, ct);
        Assert.False(second.Claimed);
        Assert.Equal(RunStatus.Running, second.ExistingStatus);

        // The trainer dies (SIGKILL): its connection ends without unlocking anything and the row stays 'running'.
        Assert.True(await Helpers.ScalarAsync<bool>(db, """
            SELECT bool_and(pg_terminate_backend(pid)) FROM pg_locks
            WHERE locktype = 'advisory' AND objsubid = 2 AND classid::int = hashtext('ml.training_runs') AND objid::int = $1
            HAVING count(*) = 1
            """, (int)first.RunId));
        await Helpers.WaitUntilAsync(async () => await Helpers.ScalarAsync<long>(db,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND objid::int = $1", (int)first.RunId) == 0,
            TimeSpan.FromSeconds(10), "the dead trainer's lease to go");
        Assert.Equal("running", await Helpers.ScalarAsync<string>(db, "SELECT status FROM ml.training_runs WHERE id = $1", first.RunId));

        // The broker's redelivery takes the same run again and says so in its stages.
        var third = await store.ClaimRunAsync(request, h, ct);
        await using (third.Lease)
        {
            Assert.True(third.Claimed);
            Assert.Equal(first.RunId, third.RunId);
            Assert.Equal("[\"queued\", \"waiting\", \"interrupted\", \"waiting\"]", await Helpers.ScalarAsync<string>(db,
                "SELECT jsonb_path_query_array(stages, '$[*].stage')::text FROM ml.training_runs WHERE id = $1", first.RunId));
            await store.FailRunAsync(third.RunId, null, "test over", ct);
        }
        await first.Lease!.DisposeAsync(); // its connection is gone: disposing a dead lease does not throw
    }

    [Fact]
    public async Task A_failed_training_is_recorded_with_its_reason_and_the_deployed_model_stays()
    {
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        var ok = await Helpers.RunAsync(app, ModelNames.Complexity, DeployStrategy.MostRecent);
        Assert.True(ok.Deploy!.Deployed);
        var trained = await Helpers.ListenAsync<ModelTrained>(app);

        var id = "fail-" + Guid.NewGuid().ToString("N");
        var failed = await Helpers.RunAsync(app, ModelNames.Complexity, DeployStrategy.MostRecent, new() { ["min_rows"] = "1000000" }, id);
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Contains("Too few training rows for 'complexity'", failed.FailureReason);
        Assert.Contains("at least 1000000", failed.FailureReason);
        Assert.Equal("failed", await Helpers.ScalarAsync<string>(db, "SELECT status FROM ml.training_runs WHERE request_id = $1", id));
        Assert.Equal(failed.FailureReason, await Helpers.ScalarAsync<string>(db, "SELECT failure_reason FROM ml.training_runs WHERE request_id = $1", id));
        Assert.Equal("failed", await Helpers.ScalarAsync<string>(db, "SELECT status FROM ml.model_versions WHERE request_id = $1", id));
        Assert.Equal(ok.Version!.Id, await Helpers.DeployedIdAsync(db, ModelNames.Complexity));
        await Helpers.WaitUntilAsync(() => Task.FromResult(trained.Any(t => t.RequestId == id && !t.Succeeded)), TimeSpan.FromSeconds(10), "ModelTrained(failed)");
    }
}
