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

/// <summary>
/// A training run as its row in ml.training_runs holds it: whoever asks (any gateway, after any
/// restart) reads the same state. <see cref="Status"/>: queued | running | succeeded | failed.
/// </summary>
public sealed record TrainingRunState
{
    public required long Id { get; init; }
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    public required string Status { get; init; }
    public string? Stage { get; init; }
    public double Percent { get; init; }
    public string? Message { get; init; }
    public long? VersionId { get; init; }
    public string? FailureReason { get; init; }
    public string? RequestedBy { get; init; }
    public string? DeployStrategy { get; init; }
    public bool Deployed { get; init; }
    public string? DeployReason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public IReadOnlyList<TrainingRunStage> Stages { get; init; } = [];

    /// <summary>Succeeded or failed: nothing about it changes any more.</summary>
    public bool Completed => Status is TrainingRunStatuses.Succeeded or TrainingRunStatuses.Failed;
}

/// <summary>One stage a run reached: the latest percent and message within it, and when it began.</summary>
public sealed record TrainingRunStage(string Stage, double Percent, string Message, DateTimeOffset StartedAt);

public static class TrainingRunStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>The result of claiming a request id.</summary>
public sealed record RunClaim(bool Claimed, long RunId, string ExistingStatus, long? ExistingVersionId, string? ExistingFailure);

/// <summary>The registry's writes, runs and deployments (the replica's ml schema).</summary>
public interface ITrainingStore
{
    /// <summary>
    /// Records a run as queued before its TrainModel message is sent; when the request id is already
    /// known, nothing changes. Returns whether this call inserted it, and the run as it now stands.
    /// </summary>
    Task<(bool Inserted, TrainingRunState Run)> QueueRunAsync(TrainingRequest request, Hyperparameters resolved, CancellationToken ct);
    /// <summary>Removes a run this process queued whose message could not be sent (it would stay queued forever).</summary>
    Task DeleteQueuedRunAsync(string requestId, CancellationToken ct);
    Task<RunClaim> ClaimRunAsync(TrainingRequest request, Hyperparameters resolved, CancellationToken ct);
    /// <summary>Where a running run is: its stage, percent and message (a new stage adds an entry to its stages).</summary>
    Task SetProgressAsync(long runId, TrainingProgress progress, CancellationToken ct);
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

/// <summary>Sends the TrainModel command (MassTransit in the service): the only way a training starts.</summary>
public interface ITrainingCommands
{
    Task QueueAsync(TrainingRequest request, CancellationToken ct);
}

/// <summary>Publishes what happened (MassTransit in the service).</summary>
public interface ITrainingEvents
{
    Task TrainedAsync(TrainingOutcome outcome, CancellationToken ct);
    Task DeployedAsync(string modelName, DeployDecision decision, CancellationToken ct);
}
