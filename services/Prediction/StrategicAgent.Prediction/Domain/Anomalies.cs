using System.ComponentModel.DataAnnotations;

namespace StrategicAgent.Prediction.Domain;

/// <summary>An anomaly's severity, least to most (the proto's <c>Severity</c> has the same values; stored and shown as
/// the lower-case names, <c>WireNames</c>).</summary>
public enum AlertSeverity
{
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// <summary>An anomaly raised over a logged prediction, before it is stored.</summary>
public sealed record AnomalyAlert
{
    public required long ClientId { get; init; }
    public required string ModelName { get; init; }
    public required AlertSeverity Severity { get; init; }
    public required double Score { get; init; }
    public required string RecommendedAction { get; init; }
    /// <summary>The prediction and monitoring features behind the alert (stored as alert_data).</summary>
    public required IReadOnlyDictionary<string, object?> Data { get; init; }
    public required DateTimeOffset DetectedAt { get; init; }
}

/// <summary>A stored alert.</summary>
public sealed record StoredAlert(
    long Id, long ClientId, string ModelName, AlertSeverity Severity, double Score, string AlertDataJson, string? RecommendedAction,
    bool Acknowledged, string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt, DateTimeOffset CreatedAt);

/// <summary>Scores logged predictions with the deployed anomaly model (in the log writer, off the request path).</summary>
public interface IPredictionScorer
{
    /// <summary>Sets score, flag and severity on each entry it can score; returns the alerts to raise.</summary>
    IReadOnlyList<AnomalyAlert> Score(IReadOnlyList<PredictionLogEntry> batch);
}

/// <summary>Tells the world about stored alerts (the AnomalyDetected event).</summary>
public interface IAlertPublisher
{
    Task PublishAsync(long alertId, AnomalyAlert alert, CancellationToken ct);
}

/// <summary>
/// Severity thresholds of anomaly alerts (section <c>Anomaly</c>). The deployed anomaly model
/// carries three calibrated cut points (its held-out 99th, 99.5th and 99.9th score
/// percentiles); each is scaled by a factor here, so operators can make alerts stricter or
/// looser without retraining.
/// </summary>
public sealed class AnomalyOptions : IValidatableObject
{
    public const string Section = "Anomaly";

    /// <summary>score ≥ MediumFactor × threshold → medium (and flagged as an anomaly).</summary>
    [Range(0.01, 1000.0)] public double MediumFactor { get; set; } = 1.0;
    /// <summary>score ≥ HighFactor × the model's high cut point → high.</summary>
    [Range(0.01, 1000.0)] public double HighFactor { get; set; } = 1.0;
    /// <summary>score ≥ CriticalFactor × the model's critical cut point → critical.</summary>
    [Range(0.01, 1000.0)] public double CriticalFactor { get; set; } = 1.0;
    /// <summary>When &gt; 0: score ≥ LowFactor × threshold (but below medium) → low (logged, not flagged).</summary>
    [Range(0.0, 1000.0)] public double LowFactor { get; set; }

    /// <summary>The least severity that raises an alert (stored and published).</summary>
    [EnumDataType(typeof(AlertSeverity))]
    public AlertSeverity MinimumAlertSeverity { get; set; } = AlertSeverity.Medium;

    /// <summary>Predictions whose previous value per key is remembered (for "change from the previous prediction").</summary>
    [Range(0, 10_000_000)] public int PreviousValueMemory { get; set; } = 200_000;

    public AlertSeverity? Classify(double score, double threshold, double high, double critical) =>
        score >= CriticalFactor * critical ? AlertSeverity.Critical
        : score >= HighFactor * high ? AlertSeverity.High
        : score >= MediumFactor * threshold ? AlertSeverity.Medium
        : LowFactor > 0 && score >= LowFactor * threshold ? AlertSeverity.Low
        : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LowFactor > 0 && LowFactor >= MediumFactor)
        {
            yield return new ValidationResult($"Anomaly:LowFactor ({LowFactor}) must be below Anomaly:MediumFactor ({MediumFactor}).");
        }
    }
}
