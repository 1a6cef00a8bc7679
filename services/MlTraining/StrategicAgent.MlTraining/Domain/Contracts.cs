using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Registry;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>A training request, from the TrainModel command or the gRPC Train call.</summary>
public sealed record TrainingRequest
{
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    /// <summary>best_score | most_recent | none</summary>
    public string DeployStrategy { get; init; } = DeployStrategies.BestScore;
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    public string RequestedBy { get; init; } = "api";
}

public static class DeployStrategies
{
    public const string BestScore = "best_score";
    public const string MostRecent = "most_recent";
    public const string Rollback = "rollback";
    public const string Specific = "specific";
    public const string None = "none";

    public static readonly string[] AfterTraining = [BestScore, MostRecent, None];
    public static readonly string[] ForDeploy = [BestScore, MostRecent, Rollback, Specific];
}

/// <summary>How a training request ended.</summary>
public sealed record TrainingOutcome
{
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    /// <summary>succeeded | failed | duplicate</summary>
    public required string Status { get; init; }
    public RegisteredModel? Version { get; init; }
    public string? FailureReason { get; init; }
    public DeployDecision? Deploy { get; init; }
    public bool Duplicate => Status == "duplicate";
}

/// <summary>What a deploy step decided and why.</summary>
public sealed record DeployDecision(bool Deployed, string Strategy, string Reason, long? VersionId, int? Version, long? PreviousVersionId, DateTimeOffset? DeployedAt);

/// <summary>The result of claiming a request id.</summary>
public sealed record RunClaim(bool Claimed, long RunId, string ExistingStatus, long? ExistingVersionId, string? ExistingFailure);

/// <summary>The registry's writes, runs and deployments (the replica's ml schema).</summary>
public interface ITrainingStore
{
    Task<RunClaim> ClaimRunAsync(TrainingRequest request, Hyperparameters resolved, CancellationToken ct);
    Task SetStageAsync(long runId, string stage, CancellationToken ct);
    /// <summary>Holds the model's training lock until disposed (one training per model at a time, across processes).</summary>
    Task<IAsyncDisposable> AcquireTrainingLockAsync(string modelName, CancellationToken ct);
    Task<RegisteredModel> RegisterVersionAsync(TrainedModel model, string requestId, CancellationToken ct);
    Task<RegisteredModel> RegisterFailedVersionAsync(string modelName, Hyperparameters h, string reason, string requestId, CancellationToken ct);
    Task CompleteRunAsync(long runId, long versionId, DeployDecision deploy, CancellationToken ct);
    Task FailRunAsync(long runId, long? versionId, string reason, CancellationToken ct);
    /// <summary>Puts a run back to queued after an unexpected error so a redelivery can take it again.</summary>
    Task ReleaseRunAsync(long runId, string reason, CancellationToken ct);
    Task RefreshSummaryAsync(CancellationToken ct);
    Task<DeployDecision> DeployAsync(string modelName, long versionId, string strategy, string reason, CancellationToken ct);
    Task<(long VersionId, long? PreviousVersionId)?> LatestDeploymentAsync(string modelName, CancellationToken ct);
}

/// <summary>Publishes what happened (MassTransit in the service).</summary>
public interface ITrainingEvents
{
    Task TrainedAsync(TrainingOutcome outcome, CancellationToken ct);
    Task DeployedAsync(string modelName, DeployDecision decision, CancellationToken ct);
}
