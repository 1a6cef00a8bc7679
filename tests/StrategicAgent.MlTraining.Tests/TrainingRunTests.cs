using Grpc.Core;
using StrategicAgent.Protos.Training.V1;
using ModelName = StrategicAgent.Protos.Ml.V1.ModelName;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>StartTraining and GetRun over gRPC: the one way into training, and the run's row as the only record of it.</summary>
public sealed class TrainingRunTests(DemoDataFixture db)
{
    [Fact]
    public async Task StartTraining_queues_at_once_a_known_id_returns_its_run_and_GetRun_follows_it_to_the_end()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        var requestId = "run-" + Guid.NewGuid().ToString("N");
        var request = new TrainRequest { ModelName = ModelName.Trajectory, RequestId = requestId, DeployStrategy = DeployStrategy.None, Hyperparameters = { ["iterations"] = "60" } };

        var queued = await app.Client.StartTrainingAsync(request, cancellationToken: ct);
        Assert.Equal(requestId, queued.RequestId);
        Assert.Equal(TrainingRunStatus.Queued, queued.Status);
        Assert.Equal(TrainStage.Queued, queued.Stage);
        Assert.Equal(DeployStrategy.None, queued.DeployStrategy);
        Assert.Equal(TrainStage.Queued, Assert.Single(queued.Stages).Stage);
        Assert.Null(queued.StartedAt);

        // Asking again with the same id: the same run, no second one.
        var again = await app.Client.StartTrainingAsync(request, cancellationToken: ct);
        Assert.Equal(queued.Id, again.Id);

        var run = queued;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (run.Status is TrainingRunStatus.Queued or TrainingRunStatus.Running && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
            run = await app.Client.GetRunAsync(new GetRunRequest { ModelName = ModelName.Trajectory, RequestId = requestId }, cancellationToken: ct);
        }
        Assert.Equal(TrainingRunStatus.Succeeded, run.Status);
        Assert.Equal(TrainStage.Done, run.Stage);
        Assert.Equal(100, run.Percent);
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.FinishedAt);
        Assert.Equal(run.VersionId, run.Version.Id);
        Assert.Equal(requestId, run.Version.RequestId);
        Assert.Equal([TrainStage.Queued, TrainStage.Waiting, TrainStage.Loading, TrainStage.Training, TrainStage.Evaluating, TrainStage.Registering, TrainStage.Deploying, TrainStage.Done],
            run.Stages.Select(s => s.Stage).ToArray());
        Assert.True(run.Stages.Zip(run.Stages.Skip(1)).All(p => p.First.StartedAt.ToDateTimeOffset() <= p.Second.StartedAt.ToDateTimeOffset()));
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.model_versions WHERE request_id = $1", requestId));

        // History carries the same run with its progress.
        var history = await app.Client.HistoryAsync(new HistoryRequest { ModelName = ModelName.Trajectory, Limit = 50 }, cancellationToken: ct);
        Assert.Equal(100, history.Runs.Single(r => r.RequestId == requestId).Percent);

        // A finished run asked for again is returned as it stands.
        Assert.Equal(TrainingRunStatus.Succeeded, (await app.Client.StartTrainingAsync(request, cancellationToken: ct)).Status);
    }

    [Fact]
    public async Task Bad_requests_unknown_runs_and_a_dead_broker_get_actionable_statuses_and_leave_nothing_queued()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);

        var unknownModel = await Assert.ThrowsAsync<RpcException>(() => app.Client.StartTrainingAsync(new TrainRequest { ModelName = (ModelName)42 }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, unknownModel.StatusCode);

        var requestId = "run-" + Guid.NewGuid().ToString("N");
        await app.Client.StartTrainingAsync(new TrainRequest { ModelName = ModelName.Rework, RequestId = requestId, DeployStrategy = DeployStrategy.None, Hyperparameters = { ["iterations"] = "40" } }, cancellationToken: ct);
        var otherModel = await Assert.ThrowsAsync<RpcException>(() => app.Client.StartTrainingAsync(new TrainRequest { ModelName = ModelName.Trajectory, RequestId = requestId }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, otherModel.StatusCode);
        Assert.Contains("already a training run of model 'rework'", otherModel.Status.Detail);

        var notFound = await Assert.ThrowsAsync<RpcException>(() => app.Client.GetRunAsync(new GetRunRequest { ModelName = ModelName.Trajectory, RequestId = requestId }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        var noId = await Assert.ThrowsAsync<RpcException>(() => app.Client.GetRunAsync(new GetRunRequest { ModelName = ModelName.Trajectory }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noId.StatusCode);

        // A broker that does not answer: Unavailable, and no run is left queued that nothing would take.
        await using var deadBroker = await TrainingApp.StartAsync(db.ReplicaMlConnectionString, $"amqp://guest:guest@127.0.0.1:{StrategicAgent.LocalServers.NativeProcess.FreePort()}",
            new Dictionary<string, string?> { ["Training:QueueTimeout"] = "00:00:01" });
        var lostId = "run-" + Guid.NewGuid().ToString("N");
        var unavailable = await Assert.ThrowsAsync<RpcException>(() =>
            deadBroker.Client.StartTrainingAsync(new TrainRequest { ModelName = ModelName.Trajectory, RequestId = lostId }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, unavailable.StatusCode);
        Assert.Contains("RabbitMQ", unavailable.Status.Detail);
        Assert.Equal(0L, await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.training_runs WHERE request_id = $1", lostId));
    }
}
