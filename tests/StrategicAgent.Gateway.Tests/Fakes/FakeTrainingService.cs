using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using StrategicAgent.Protos.Training.V1;

namespace StrategicAgent.Gateway.Tests.Fakes;

/// <summary>
/// Model "missing" does not exist. Train streams queued → training → done; the hyperparameter
/// <c>step_ms</c> spaces the events out. Every Train call is counted per request id.
/// </summary>
public sealed class FakeTrainingService : TrainingService.TrainingServiceBase
{
    public ConcurrentDictionary<string, int> TrainCalls { get; } = new();
    /// <summary>Deploy calls per model name.</summary>
    public ConcurrentDictionary<string, int> DeployCalls { get; } = new();

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse
        {
            Models =
            {
                new ModelSummary { Name = "complexity", Deployed = Version("complexity", 2), Latest = Version("complexity", 3), VersionCount = 3 },
                new ModelSummary { Name = "rework", Latest = Version("rework", 1), VersionCount = 1 },
            },
        });

    public override Task<ListVersionsResponse> ListVersions(ListVersionsRequest request, ServerCallContext context)
    {
        ThrowIfMissing(request.ModelName);
        return Task.FromResult(new ListVersionsResponse { Versions = { Version(request.ModelName, 1), Version(request.ModelName, 2) } });
    }

    public override async Task Train(TrainRequest request, IServerStreamWriter<TrainProgress> responseStream, ServerCallContext context)
    {
        ThrowIfMissing(request.ModelName);
        TrainCalls.AddOrUpdate(request.RequestId, 1, (_, n) => n + 1);
        var stepMs = request.Hyperparameters.TryGetValue("step_ms", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        await responseStream.WriteAsync(new TrainProgress { Stage = "queued", Percent = 0, Message = "strategy=" + request.DeployStrategy });
        foreach (var percent in new[] { 20.0, 60.0 })
        {
            await Task.Delay(stepMs, context.CancellationToken);
            await responseStream.WriteAsync(new TrainProgress { Stage = "training", Percent = percent, Message = "fitting" });
        }
        await Task.Delay(stepMs, context.CancellationToken);
        await responseStream.WriteAsync(new TrainProgress { Stage = "done", Percent = 100, Message = "trained", Version = Version(request.ModelName, 4) });
    }

    public override Task<DeployResponse> Deploy(DeployRequest request, ServerCallContext context)
    {
        DeployCalls.AddOrUpdate(request.ModelName, 1, (_, n) => n + 1);
        ThrowIfMissing(request.ModelName);
        if (request.Strategy == "rollback")
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "No previous version to roll back to."));
        }
        return Task.FromResult(new DeployResponse
        {
            Deployed = true,
            Version = Version(request.ModelName, request.VersionId == 0 ? 3 : (int)request.VersionId),
            Reason = $"strategy={request.Strategy};version_id={request.VersionId}",
        });
    }

    private static void ThrowIfMissing(string model)
    {
        if (model == "missing")
        {
            throw new RpcException(new Status(StatusCode.NotFound, "Unknown model 'missing'. Known: trajectory, complexity, rework, unified, anomaly."));
        }
    }

    private static ModelVersion Version(string model, int version) => new()
    {
        Id = 100 + version,
        ModelName = model,
        Version = version,
        Algorithm = "LightGbm",
        Status = version == 2 ? "deployed" : "trained",
        Hyperparameters = { ["leaves"] = "31" },
        Metrics = { ["mae"] = 1.25 },
        BaselineMetrics = { ["mae"] = 2.5 },
        TrainingRows = 5000,
        DurationSeconds = 3.5,
        CreatedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)),
    };
}
