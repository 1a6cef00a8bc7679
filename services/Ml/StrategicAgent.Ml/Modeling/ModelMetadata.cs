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

/// <summary>
/// Anomaly scoring: a profile per tenant (its own statistics, component scales and cut points — see
/// <see cref="AnomalyStream"/>) and a pooled one for tenants with too little history of their own.
/// </summary>
public sealed record AnomalyCalibration
{
    /// <summary>Per-model statistics over all tenants (drift checks and the pooled profile's).</summary>
    [JsonPropertyName("stats")] public required Dictionary<string, AnomalyModelStats> Stats { get; init; }
    /// <summary>Profiles by client id (as text): every tenant with enough normal rows.</summary>
    [JsonPropertyName("tenants")] public Dictionary<string, AnomalyTenantProfile>? Tenants { get; init; }
    /// <summary>The profile of tenants without one of their own.</summary>
    [JsonPropertyName("pooled")] public AnomalyTenantProfile? Pooled { get; init; }

    /// <summary>Versions trained before per-tenant profiles: the 99th percentile of the largest |z| (their point unit).</summary>
    [JsonPropertyName("z_scale")] public double ZScale { get; init; } = 1;
    /// <summary>Versions trained before per-tenant profiles: their cut points.</summary>
    [JsonPropertyName("threshold")] public double Threshold { get; init; }
    [JsonPropertyName("high")] public double High { get; init; }
    [JsonPropertyName("critical")] public double Critical { get; init; }

    /// <summary>The profile a tenant's entries are scored with: its own, else the pooled one.</summary>
    public AnomalyTenantProfile ProfileFor(long clientId) =>
        Tenants is not null && Tenants.TryGetValue(clientId.ToString(System.Globalization.CultureInfo.InvariantCulture), out var own)
            ? own
            : Pooled ?? new AnomalyTenantProfile
            {
                Stats = Stats, Scales = new AnomalyScales { Point = ZScale, Shift = double.PositiveInfinity, Rate = double.PositiveInfinity },
                Threshold = Threshold, High = High, Critical = Critical,
            };

    /// <summary>Whether the tenant is scored with a profile of its own.</summary>
    public bool HasOwnProfile(long clientId) =>
        Tenants?.ContainsKey(clientId.ToString(System.Globalization.CultureInfo.InvariantCulture)) == true;
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
