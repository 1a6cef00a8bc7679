namespace StrategicAgent.Contracts;

/// <summary>Command: train one model. Idempotent on <see cref="RequestId"/>.</summary>
public sealed record TrainModel
{
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    /// <summary>best_score (default), most_recent or none.</summary>
    public string DeployStrategy { get; init; } = "best_score";
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    public string RequestedBy { get; init; } = "api";
}

/// <summary>Event: a training run finished (succeeded or failed).</summary>
public sealed record ModelTrained
{
    public required string RequestId { get; init; }
    public required string ModelName { get; init; }
    public required bool Succeeded { get; init; }
    public long? VersionId { get; init; }
    public int? Version { get; init; }
    public string? FailureReason { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}

/// <summary>Event: a model version became the deployed one. The prediction service swaps to it.</summary>
public sealed record ModelDeployed
{
    public required string ModelName { get; init; }
    public required long VersionId { get; init; }
    public required int Version { get; init; }
    public long? PreviousVersionId { get; init; }
    public required string Strategy { get; init; }
    public required DateTimeOffset DeployedAt { get; init; }
}

/// <summary>Event: the prediction service raised an anomaly alert.</summary>
public sealed record AnomalyDetected
{
    public required long AlertId { get; init; }
    public required long ClientId { get; init; }
    public required string ModelName { get; init; }
    public required string Severity { get; init; }
    public required double Score { get; init; }
    public required DateTimeOffset DetectedAt { get; init; }
}
