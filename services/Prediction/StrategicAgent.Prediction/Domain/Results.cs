namespace StrategicAgent.Prediction.Domain;

/// <summary>A rework probability's band (the proto's <c>RiskLevel</c> has the same values).</summary>
public enum RiskLevel
{
    Low = 1,
    Medium = 2,
    High = 3,
}

/// <summary>Predictions of one model version for the keys of one request, in request order.</summary>
public sealed record PredictionBatch<T>(ModelStamp Model, IReadOnlyList<T> Items, ServingTimings Timings);

/// <summary>Where a request's time went (milliseconds).</summary>
public sealed record ServingTimings(double FeatureMs, double ModelMs, double TotalMs)
{
    /// <summary>Time waiting for a compute slot (epic forecasts; <see cref="ForecastGate"/>).</summary>
    public double QueueMs { get; init; }

    /// <summary>Items computed by this request (epic forecasts: the others were served as computed earlier); null when not counted.</summary>
    public int? Computed { get; init; }
}

public sealed record TrajectoryResult
{
    public required string Key { get; init; }
    public bool Found { get; init; }
    public string? Message { get; init; }
    public string? Summary { get; init; }
    public double CurrentLeadTimeDays { get; init; }
    public double PredictedLeadTimeDays { get; init; }
    public double LowDays { get; init; }
    public double HighDays { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? PredictedCompletion { get; init; }
    public DateTimeOffset? CompletionLow { get; init; }
    public DateTimeOffset? CompletionHigh { get; init; }
    public double IntervalLevel { get; init; }
    public double Confidence { get; init; }
    public bool Done { get; init; }
    public bool Overdue { get; init; }

    public static TrajectoryResult NotFound(string key, string message) => new() { Key = key, Message = message };
}

public sealed record ComplexityResult
{
    public required string Key { get; init; }
    public bool Found { get; init; }
    public string? Message { get; init; }
    public double StoryPoints { get; init; }
    public double Low { get; init; }
    public double High { get; init; }
    public double IntervalLevel { get; init; }
    public double Fibonacci { get; init; }
    public double Confidence { get; init; }
    public double? ActualStoryPoints { get; init; }

    public static ComplexityResult NotFound(string key, string message) => new() { Key = key, Message = message };
}

public sealed record Contribution(string Feature, double Value, double Delta);

public sealed record ReworkResult
{
    public required string Key { get; init; }
    public bool Found { get; init; }
    public string? Message { get; init; }
    public double Probability { get; init; }
    public RiskLevel RiskLevel { get; init; }
    public IReadOnlyList<Contribution> TopFeatures { get; init; } = [];
    public string? Repository { get; init; }
    public int Number { get; init; }
    public string? Title { get; init; }
    public string? Status { get; init; }

    public static ReworkResult NotFound(string key, string message) => new() { Key = key, Message = message };
}

public sealed record UnifiedResult
{
    public required string Key { get; init; }
    public bool Found { get; init; }
    public string? Message { get; init; }
    public double LeadTimeDays { get; init; }
    public double LeadTimeLowDays { get; init; }
    public double LeadTimeHighDays { get; init; }
    public double StoryPoints { get; init; }
    public double StoryPointsLow { get; init; }
    public double StoryPointsHigh { get; init; }
    public double IntervalLevel { get; init; }
    public double ReworkProbability { get; init; }
    public RiskLevel ReworkRiskLevel { get; init; }

    public static UnifiedResult NotFound(string key, string message) => new() { Key = key, Message = message };
}
