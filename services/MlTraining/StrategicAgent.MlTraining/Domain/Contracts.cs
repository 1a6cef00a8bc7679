using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Registry;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>A training request, from the TrainModel command or the gRPC Train call.</summary>
public sealed record TrainingRequest
{
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    /// <summary>Best score, most recent or none (<see cref="DeployStrategies.AfterTraining"/>).</summary>
    public DeployStrategy DeployStrategy { get; init; } = DeployStrategy.BestScore;
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    public string RequestedBy { get; init; } = "api";
}

/// <summary>Which strategies apply when.</summary>
public static class DeployStrategies
{
    public static readonly DeployStrategy[] AfterTraining = [DeployStrategy.BestScore, DeployStrategy.MostRecent, DeployStrategy.None];
    public static readonly DeployStrategy[] ForDeploy = [DeployStrategy.BestScore, DeployStrategy.MostRecent, DeployStrategy.Rollback, DeployStrategy.Specific];

    /// <summary>The strategies' stored names, for messages ("best_score, most_recent, none").</summary>
    public static string Names(IEnumerable<DeployStrategy> strategies) => string.Join(", ", strategies.Select(s => s.ToText()));
}

/// <summary>How a training request ended.</summary>
public sealed record TrainingOutcome
{
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    /// <summary>Succeeded or failed; for a duplicate, the status the run already had.</summary>
    public required RunStatus Status { get; init; }
    /// <summary>The request id was already known: this request trained nothing (<see cref="Status"/> is that run's).</summary>
    public bool Duplicate { get; init; }
    public RegisteredModel? Version { get; init; }
    public string? FailureReason { get; init; }
    public DeployDecision? Deploy { get; init; }
}

/// <summary>What a deploy step decided and why.</summary>
public sealed record DeployDecision(bool Deployed, DeployStrategy Strategy, string Reason, long? VersionId, int? Version, long? PreviousVersionId, DateTimeOffset? DeployedAt);

/// <summary>
/// A training run as its row in ml.training_runs holds it: whoever asks (any gateway, after any
/// restart) reads the same state.
/// </summary>
public sealed record TrainingRunState
{
    public required long Id { get; init; }
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    public required RunStatus Status { get; init; }
    public RunStage Stage { get; init; }
    public double Percent { get; init; }
    public string? Message { get; init; }
    public long? VersionId { get; init; }
    public string? FailureReason { get; init; }
    public string? RequestedBy { get; init; }
    public DeployStrategy? DeployStrategy { get; init; }
    public bool Deployed { get; init; }
    public string? DeployReason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public IReadOnlyList<TrainingRunStage> Stages { get; init; } = [];

    /// <summary>Succeeded or failed: nothing about it changes any more.</summary>
    public bool Completed => Status is RunStatus.Succeeded or RunStatus.Failed;
}

/// <summary>One stage a run reached: the latest percent and message within it, and when it began.</summary>
public sealed record TrainingRunStage(RunStage Stage, double Percent, string Message, DateTimeOffset StartedAt);

/// <summary>The result of claiming a request id.</summary>
public sealed record RunClaim(bool Claimed, long RunId, RunStatus ExistingStatus, long? ExistingVersionId, string? ExistingFailure)
{
    /// <summary>
    /// Held by the trainer until the run ends (claimed runs only): while it is held no other delivery takes the run;
    /// once its trainer is gone (killed), a redelivery takes the run again instead of dropping it as a duplicate.
    /// </summary>
    public IAsyncDisposable? Lease { get; init; }
}

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
    Task<DeployDecision> DeployAsync(string modelName, long versionId, DeployStrategy strategy, string reason, CancellationToken ct);
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
