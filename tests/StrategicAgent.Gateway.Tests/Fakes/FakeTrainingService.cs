using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Training.V1;
using ModelName = StrategicAgent.Protos.Ml.V1.ModelName;

namespace StrategicAgent.Gateway.Tests.Fakes;

/// <summary>
/// Every model of the contract exists (the gateway answers 404 for a name that is none; it never sends unspecified,
/// which this fake refuses as the real service does). StartTraining queues a run that goes queued → training (20, 60) →
/// done with version 4, one step every <c>step_ms</c> (a hyperparameter; 0 = done at once); GetRun
/// reads it. The runs are kept here as the real service keeps them in its table: any gateway reads
/// the same run. TrainCalls counts the runs StartTraining created per request id (a known id
/// returns its run and creates none).
/// </summary>
public sealed class FakeTrainingService : TrainingService.TrainingServiceBase
{
    private readonly ConcurrentDictionary<string, FakeRun> _runs = new();

    public ConcurrentDictionary<string, int> TrainCalls { get; } = new();
    /// <summary>Deploy calls per model.</summary>
    public ConcurrentDictionary<ModelName, int> DeployCalls { get; } = new();

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse
        {
            Models =
            {
                new ModelSummary { Name = ModelName.Complexity, Deployed = Version(ModelName.Complexity, 2), Latest = Version(ModelName.Complexity, 3), VersionCount = 3 },
                new ModelSummary { Name = ModelName.Rework, Latest = Version(ModelName.Rework, 1), VersionCount = 1 },
            },
        });

    public override Task<ListVersionsResponse> ListVersions(ListVersionsRequest request, ServerCallContext context)
    {
        ThrowIfMissing(request.ModelName);
        return Task.FromResult(new ListVersionsResponse { Versions = { Version(request.ModelName, 1), Version(request.ModelName, 2) } });
    }

    public override Task<TrainingRun> StartTraining(TrainRequest request, ServerCallContext context)
    {
        ThrowIfMissing(request.ModelName);
        var stepMs = request.Hyperparameters.TryGetValue("step_ms", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        var run = _runs.GetOrAdd(request.RequestId, id =>
        {
            TrainCalls.AddOrUpdate(id, 1, (_, n) => n + 1);
            return new FakeRun(id, request.ModelName, request.DeployStrategy, DateTimeOffset.UtcNow, stepMs);
        });
        return Task.FromResult(run.State());
    }

    public override Task<TrainingRun> GetRun(GetRunRequest request, ServerCallContext context)
    {
        ThrowIfMissing(request.ModelName);
        return _runs.TryGetValue(request.RequestId, out var run) && run.Model == request.ModelName
            ? Task.FromResult(run.State())
            : throw new RpcException(new Status(StatusCode.NotFound, $"Model '{request.ModelName.ToWire()}' has no training run '{request.RequestId}'."));
    }

    private sealed record FakeRun(string RequestId, ModelName Model, DeployStrategy Strategy, DateTimeOffset Queued, int StepMs)
    {
        public TrainingRun State()
        {
            var steps = StepMs == 0 ? 3 : (int)Math.Min(3, (DateTimeOffset.UtcNow - Queued).TotalMilliseconds / StepMs);
            var run = new TrainingRun
            {
                RequestId = RequestId,
                ModelName = Model,
                DeployStrategy = Strategy,
                RequestedBy = "grpc",
                CreatedAt = Timestamp.FromDateTimeOffset(Queued),
                UpdatedAt = Timestamp.FromDateTimeOffset(Queued.AddMilliseconds(steps * StepMs)),
            };
            run.Stages.Add(Stage(TrainStage.Queued, 0, "strategy=" + Strategy.ToWire(), 0));
            if (steps >= 1)
            {
                run.StartedAt = Timestamp.FromDateTimeOffset(Queued.AddMilliseconds(StepMs));
                run.Stages.Add(Stage(TrainStage.Training, steps >= 2 ? 60 : 20, "fitting", 1));
            }
            if (steps >= 3)
            {
                run.Stages.Add(Stage(TrainStage.Done, 100, "trained", 3));
                run.FinishedAt = run.UpdatedAt;
                run.Version = Version(Model, 4);
                run.VersionId = run.Version.Id;
                run.Deployed = true;
                run.DeployReason = "trained";
            }
            var last = run.Stages[^1];
            run.Status = steps switch { 0 => TrainingRunStatus.Queued, < 3 => TrainingRunStatus.Running, _ => TrainingRunStatus.Succeeded };
            run.Stage = last.Stage;
            run.Percent = last.Percent;
            run.Message = last.Message;
            return run;
        }

        private TrainingStage Stage(TrainStage stage, double percent, string message, int step) => new()
        {
            Stage = stage, Percent = percent, Message = message, StartedAt = Timestamp.FromDateTimeOffset(Queued.AddMilliseconds(step * StepMs)),
        };
    }

    public override Task<DeployResponse> Deploy(DeployRequest request, ServerCallContext context)
    {
        DeployCalls.AddOrUpdate(request.ModelName, 1, (_, n) => n + 1);
        ThrowIfMissing(request.ModelName);
        if (request.Strategy == DeployStrategy.Rollback)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "No previous version to roll back to."));
        }
        return Task.FromResult(new DeployResponse
        {
            Deployed = true,
            Version = Version(request.ModelName, request.VersionId == 0 ? 3 : (int)request.VersionId),
            Reason = $"strategy={request.Strategy.ToWire()};version_id={request.VersionId}",
        });
    }

    /// <summary>One deployment of version 2.</summary>
    public override Task<HistoryResponse> History(HistoryRequest request, ServerCallContext context)
    {
        ThrowIfMissing(request.ModelName);
        return Task.FromResult(new HistoryResponse
        {
            Deployments =
            {
                new DeploymentRecord
                {
                    Id = 1, ModelName = request.ModelName, VersionId = 102, Strategy = DeployStrategy.BestScore, Reason = "trained",
                    DeployedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)),
                },
            },
        });
    }

    private static void ThrowIfMissing(ModelName model)
    {
        if (model is ModelName.Unspecified or ModelName.Forecast)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"model_name {model}: not a trained model."));
        }
    }

    private static ModelVersion Version(ModelName model, int version) => new()
    {
        Id = 100 + version,
        ModelName = model,
        Version = version,
        Algorithm = "LightGbm",
        Status = version == 2 ? ModelVersionStatus.Deployed : ModelVersionStatus.Trained,
        Hyperparameters = { ["leaves"] = "31" },
        Metrics = { ["mae"] = 1.25 },
        BaselineMetrics = { ["mae"] = 2.5 },
        TrainingRows = 5000,
        DurationSeconds = 3.5,
        CreatedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)),
    };
}
