namespace StrategicAgent.Ml.Registry;

// The registry's closed sets. The numbers are the training contract's (protos/training/v1/training.proto: DeployStrategy,
// TrainStage, TrainingRunStatus, ModelVersionStatus), so the gRPC edge maps them by value; the text the ml schema
// stores is RegistryText's, the only place either side is spelled.

/// <summary>Where a registered version is (<c>ml.model_versions.status</c>).</summary>
public enum VersionStatus
{
    /// <summary>Trained in memory and not registered (a backtest's or benchmark's model): never stored.</summary>
    Candidate = 0,
    Trained = 1,
    Deployed = 2,
    Retired = 3,
    /// <summary>Training failed: the version holds the reason, no model.</summary>
    Failed = 4,
}

/// <summary>Where a training run is (<c>ml.training_runs.stage</c> and its <c>stages</c> entries).</summary>
public enum RunStage
{
    /// <summary>Not recorded (a run row without a stage).</summary>
    Unspecified = 0,
    Queued = 1,
    /// <summary>Taken by a trainer, waiting for the model's training lock.</summary>
    Waiting = 2,
    Loading = 3,
    Training = 4,
    Evaluating = 5,
    Registering = 6,
    Deploying = 7,
    Done = 8,
    Failed = 9,
    /// <summary>Back in the queue for another delivery.</summary>
    Interrupted = 10,
    /// <summary>The request id was already known (reported to the caller; never stored).</summary>
    Duplicate = 11,
}

/// <summary>A training run as a whole (<c>ml.training_runs.status</c>).</summary>
public enum RunStatus
{
    Queued = 1,
    Running = 2,
    Succeeded = 3,
    Failed = 4,
}

/// <summary>How a version is deployed: after a training (best score, most recent, none) or on request (all but none).</summary>
public enum DeployStrategy
{
    /// <summary>Only when its key metric beats the deployed version's on the newest test slice.</summary>
    BestScore = 1,
    MostRecent = 2,
    /// <summary>After a training only: register, do not deploy.</summary>
    None = 3,
    /// <summary>On request only: the version deployed before the current one.</summary>
    Rollback = 4,
    /// <summary>On request only: a version id.</summary>
    Specific = 5,
}

/// <summary>
/// The registry's closed sets as the ml schema stores them (text columns with CHECK constraints, the <c>stages</c>
/// jsonb, the bus messages' strategy): lower snake case, the same names the HTTP API shows. Reading text that is not
/// one of them is a corrupt row (<see cref="InvalidDataException"/>), except a stage or strategy a run has not recorded.
/// </summary>
public static class RegistryText
{
    public static string ToText(this VersionStatus s) => s switch
    {
        VersionStatus.Trained => "trained",
        VersionStatus.Deployed => "deployed",
        VersionStatus.Retired => "retired",
        VersionStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "only registered versions have a stored status"),
    };

    public static string ToText(this RunStatus s) => s switch
    {
        RunStatus.Queued => "queued",
        RunStatus.Running => "running",
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    public static string ToText(this RunStage s) => s switch
    {
        RunStage.Queued => "queued",
        RunStage.Waiting => "waiting",
        RunStage.Loading => "loading",
        RunStage.Training => "training",
        RunStage.Evaluating => "evaluating",
        RunStage.Registering => "registering",
        RunStage.Deploying => "deploying",
        RunStage.Done => "done",
        RunStage.Failed => "failed",
        RunStage.Interrupted => "interrupted",
        RunStage.Duplicate => "duplicate",
        _ => "",
    };

    public static string ToText(this DeployStrategy s) => s switch
    {
        DeployStrategy.BestScore => "best_score",
        DeployStrategy.MostRecent => "most_recent",
        DeployStrategy.None => "none",
        DeployStrategy.Rollback => "rollback",
        DeployStrategy.Specific => "specific",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    public static VersionStatus VersionStatusOf(string text) =>
        Parse<VersionStatus>(text, [VersionStatus.Trained, VersionStatus.Deployed, VersionStatus.Retired, VersionStatus.Failed], ToText, "ml.model_versions.status");

    public static RunStatus RunStatusOf(string text) => Parse(text, Enum.GetValues<RunStatus>(), ToText, "ml.training_runs.status");

    /// <summary>A stored stage; <see cref="RunStage.Unspecified"/> for none (null or empty).</summary>
    public static RunStage RunStageOf(string? text) =>
        string.IsNullOrEmpty(text) ? RunStage.Unspecified : Parse(text, Enum.GetValues<RunStage>(), ToText, "ml.training_runs.stage");

    /// <summary>A stored strategy; null for none (a run row without one).</summary>
    public static DeployStrategy? DeployStrategyOf(string? text) =>
        string.IsNullOrEmpty(text) ? null : Parse(text, Enum.GetValues<DeployStrategy>(), ToText, "deploy strategy");

    /// <summary>The strategy named <paramref name="text"/> (case-insensitive, trimmed); false for anything else.</summary>
    public static bool TryParse(string? text, out DeployStrategy strategy)
    {
        foreach (var s in Enum.GetValues<DeployStrategy>())
        {
            if (string.Equals(s.ToText(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                strategy = s;
                return true;
            }
        }
        strategy = default;
        return false;
    }

    private static T Parse<T>(string text, IEnumerable<T> values, Func<T, string> toText, string what) where T : struct, Enum
    {
        foreach (var v in values)
        {
            if (toText(v) == text)
            {
                return v;
            }
        }
        throw new InvalidDataException($"{what} '{text}' is not one of {string.Join(", ", values.Select(toText))}.");
    }
}
