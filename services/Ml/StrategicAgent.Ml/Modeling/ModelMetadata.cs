using System.Text.Json;
using System.Text.Json.Serialization;
using StrategicAgent.Ml.Confidence;
using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Modeling;

/// <summary>
/// What a prediction needs besides the artefact, stored as <c>ml.model_versions.calibration</c>:
/// the label transform, the conformal interval (regression), the probability calibration
/// (classification), per-target scaling and intervals (unified), and the anomaly threshold and
/// per-model statistics (anomaly).
/// </summary>
public sealed record ModelCalibration
{
    [JsonPropertyName("task")] public ModelTask Task { get; init; }
    [JsonPropertyName("label_transform")] public LabelTransform LabelTransform { get; init; }
    [JsonPropertyName("interval")] public ConformalInterval? Interval { get; init; }
    [JsonPropertyName("probability")] public ProbabilityCalibration? Probability { get; init; }
    /// <summary>Calibrated probability at or above which a binary prediction counts as positive (F1-optimal on the calibration slice).</summary>
    [JsonPropertyName("decision_threshold")] public double DecisionThreshold { get; init; } = 0.5;
    [JsonPropertyName("targets")] public Dictionary<string, TargetCalibration>? Targets { get; init; }
    [JsonPropertyName("anomaly")] public AnomalyCalibration? Anomaly { get; init; }
}

/// <summary>One target of the unified model: how it was scaled and its interval (natural units via the transform).</summary>
public sealed record TargetCalibration
{
    [JsonPropertyName("transform")] public LabelTransform Transform { get; init; }
    [JsonPropertyName("mean")] public double Mean { get; init; }
    [JsonPropertyName("std")] public double Std { get; init; }
    [JsonPropertyName("interval")] public ConformalInterval? Interval { get; init; }
    [JsonPropertyName("probability")] public ProbabilityCalibration? Probability { get; init; }
}

/// <summary>Anomaly scoring: per-model feature statistics and score thresholds from held-out normal rows.</summary>
public sealed record AnomalyCalibration
{
    [JsonPropertyName("stats")] public required Dictionary<string, AnomalyModelStats> Stats { get; init; }
    /// <summary>99th percentile of the PCA reconstruction score on held-out normal rows (its unit).</summary>
    [JsonPropertyName("pca_scale")] public double PcaScale { get; init; } = 1;
    /// <summary>99th percentile of the largest |z| on held-out normal rows (its unit).</summary>
    [JsonPropertyName("z_scale")] public double ZScale { get; init; } = 1;

    /// <summary>The anomaly score: the larger of the PCA score and the largest |z|, each in units of its own 99th percentile.</summary>
    public double Combine(double pcaScore, double maxAbsZ) =>
        Math.Max(pcaScore / (PcaScale > 0 ? PcaScale : 1), maxAbsZ / (ZScale > 0 ? ZScale : 1));

    /// <summary>Score above which a prediction is an anomaly (the calibration slice's 99th percentile).</summary>
    [JsonPropertyName("threshold")] public double Threshold { get; init; }
    /// <summary>Scores at the calibration slice's 99.5th and 99.9th percentiles (high, critical).</summary>
    [JsonPropertyName("high")] public double High { get; init; }
    [JsonPropertyName("critical")] public double Critical { get; init; }

    /// <summary>low / medium / high / critical, or null when not anomalous.</summary>
    public string? Severity(double score) =>
        score >= Critical ? "critical" : score >= High ? "high" : score >= Threshold ? "medium" : null;
}

/// <summary>Training-set statistics kept with a version (<c>ml.model_versions.training_stats</c>) for drift checks.</summary>
public sealed record TrainingStatistics
{
    [JsonPropertyName("train_rows")] public int TrainRows { get; init; }
    [JsonPropertyName("calibration_rows")] public int CalibrationRows { get; init; }
    [JsonPropertyName("test_rows")] public int TestRows { get; init; }
    [JsonPropertyName("data_from")] public DateTime DataFrom { get; init; }
    [JsonPropertyName("data_to")] public DateTime DataTo { get; init; }
    [JsonPropertyName("test_from")] public DateTime TestFrom { get; init; }
    [JsonPropertyName("label")] public FeatureDistribution? Label { get; init; }
    /// <summary>Numeric features: decile edges and proportions (PSI-ready).</summary>
    [JsonPropertyName("features")] public Dictionary<string, FeatureDistribution> Features { get; init; } = [];
    /// <summary>Categorical features: share of each of the 20 most frequent values.</summary>
    [JsonPropertyName("categories")] public Dictionary<string, Dictionary<string, double>> Categories { get; init; } = [];
}

/// <summary>JSON settings for the registry's jsonb columns.</summary>
public static class MlJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);
}
