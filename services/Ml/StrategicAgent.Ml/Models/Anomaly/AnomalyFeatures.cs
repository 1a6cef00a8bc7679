namespace StrategicAgent.Ml.Features;

/// <summary>
/// Prediction-log monitoring features for the anomaly model, standardised per model name with
/// the statistics stored in the anomaly model's calibration (see <c>AnomalyFeatureBuilder</c>).
/// </summary>
public sealed class AnomalyFeatures : IFeatureRow
{
    public long EntityId { get; set; }
    public long ClientId { get; set; }
    public DateTime LabelKnownAt { get; set; }
    /// <summary>1 for a known anomaly (evaluation only), 0 otherwise; the model never trains on it.</summary>
    public float Label { get; set; }

    [Feature("value_z", FeatureKind.Numeric, "Prediction value standardised per model (log scale for lead time).")]
    public float ValueZ { get; set; }
    [Feature("previous_value_z", FeatureKind.Numeric, "The previous prediction for the same key, standardised the same way (= value_z when none).")]
    public float PreviousValueZ { get; set; }
    [Feature("feature_count_z", FeatureKind.Numeric, "Input feature count standardised per model.")]
    public float FeatureCountZ { get; set; }
    [Feature("confidence_z", FeatureKind.Numeric, "Prediction confidence standardised per model.")]
    public float ConfidenceZ { get; set; }
    [Feature("latency_z", FeatureKind.Numeric, "ln(response time ms) standardised per model.")]
    public float LatencyZ { get; set; }
    [Feature("hour_sin", FeatureKind.Numeric, "sin(2π·hour/24) of the prediction time (UTC).")]
    public float HourSin { get; set; }
    [Feature("hour_cos", FeatureKind.Numeric, "cos(2π·hour/24).")]
    public float HourCos { get; set; }
    [Feature("dow_sin", FeatureKind.Numeric, "sin(2π·day/7), day 0 = Sunday.")]
    public float DowSin { get; set; }
    [Feature("dow_cos", FeatureKind.Numeric, "cos(2π·day/7).")]
    public float DowCos { get; set; }
}
