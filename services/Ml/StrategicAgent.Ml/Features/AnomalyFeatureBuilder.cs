using System.Text.Json.Serialization;
using Npgsql;

namespace StrategicAgent.Ml.Features;

/// <summary>One prediction-log entry as the anomaly model sees it (a row of ml.anomaly_features).</summary>
public sealed record PredictionLogEntry
{
    public long Id { get; init; }
    public long ClientId { get; init; }
    public required string ModelName { get; init; }
    /// <summary>What was predicted (e.g. an issue key); the previous prediction is the last one with the same key.</summary>
    public string? PredictionKey { get; init; }
    public DateTime CreatedAt { get; init; }
    public double PredictionValue { get; init; }
    /// <summary>The previous prediction for the same key, if any.</summary>
    public double? PreviousValue { get; init; }
    public int InputFeatureCount { get; init; }
    public double? Confidence { get; init; }
    public double? ResponseTimeMs { get; init; }
    public bool IsAnomaly { get; init; }

    public static async Task<List<PredictionLogEntry>> ReadAllAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        var list = new List<PredictionLogEntry>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new PredictionLogEntry
            {
                Id = r.GetInt64(r.GetOrdinal("entity_id")),
                ClientId = r.GetInt64(r.GetOrdinal("client_id")),
                ModelName = r.GetString(r.GetOrdinal("model_name")),
                PredictionKey = r.IsDBNull(r.GetOrdinal("prediction_key")) ? null : r.GetString(r.GetOrdinal("prediction_key")),
                CreatedAt = r.GetFieldValue<DateTime>(r.GetOrdinal("label_known_at")),
                PredictionValue = r.IsDBNull(r.GetOrdinal("prediction_value")) ? double.NaN : r.GetDouble(r.GetOrdinal("prediction_value")),
                PreviousValue = r.IsDBNull(r.GetOrdinal("previous_value")) ? null : r.GetDouble(r.GetOrdinal("previous_value")),
                InputFeatureCount = r.GetInt32(r.GetOrdinal("input_feature_count")),
                Confidence = r.IsDBNull(r.GetOrdinal("prediction_confidence")) ? null : r.GetDouble(r.GetOrdinal("prediction_confidence")),
                ResponseTimeMs = r.IsDBNull(r.GetOrdinal("response_time_ms")) ? null : r.GetDouble(r.GetOrdinal("response_time_ms")),
                IsAnomaly = r.GetBoolean(r.GetOrdinal("is_anomaly")),
            });
        }
        return list;
    }
}

/// <summary>Mean and standard deviation of one monitored quantity for one model.</summary>
public sealed record MeanStd(double Mean, double Std)
{
    public float Z(double x) => double.IsFinite(x) ? (float)((x - Mean) / (Std > 1e-9 ? Std : 1.0)) : 0f;

    public static MeanStd Of(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0)
        {
            return new MeanStd(0, 1);
        }
        var mean = v.Average();
        var std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Length - 1));
        return new MeanStd(mean, std);
    }
}

/// <summary>Per-model standardisation statistics the anomaly model was trained with.</summary>
public sealed record AnomalyModelStats
{
    [JsonPropertyName("value")] public required MeanStd Value { get; init; }
    [JsonPropertyName("feature_count")] public required MeanStd FeatureCount { get; init; }
    [JsonPropertyName("confidence")] public required MeanStd Confidence { get; init; }
    [JsonPropertyName("log_latency")] public required MeanStd LogLatency { get; init; }
    /// <summary>Lead-time predictions span orders of magnitude: their values are compared on a log scale.</summary>
    [JsonPropertyName("log_value")] public bool LogValue { get; init; }
}

/// <summary>
/// Turns prediction-log entries into <see cref="AnomalyFeatures"/>. Values, feature counts,
/// confidences and latencies are standardised per model name (their scales differ by model), so
/// the principal-component model sees the structure that matters: a prediction close to the
/// previous one for the same key, latency that follows feature count, a daily rhythm.
/// The prediction service builds features with the stats stored in the deployed version's calibration.
/// </summary>
public static class AnomalyFeatureBuilder
{
    public static IReadOnlyDictionary<string, AnomalyModelStats> FitStats(IEnumerable<PredictionLogEntry> entries) =>
        entries.GroupBy(e => e.ModelName, StringComparer.Ordinal).ToDictionary(g => g.Key, g =>
        {
            var log = g.Key == ModelNames.Trajectory || g.Any(e => e.PredictionValue > 1000);
            return new AnomalyModelStats
            {
                Value = MeanStd.Of(g.Select(e => Scale(e.PredictionValue, log))),
                FeatureCount = MeanStd.Of(g.Select(e => (double)e.InputFeatureCount)),
                Confidence = MeanStd.Of(g.Select(e => e.Confidence ?? double.NaN)),
                LogLatency = MeanStd.Of(g.Select(e => Math.Log(Math.Max(0.001, e.ResponseTimeMs ?? double.NaN)))),
                LogValue = log,
            };
        }, StringComparer.Ordinal);

    public static AnomalyFeatures Build(PredictionLogEntry e, IReadOnlyDictionary<string, AnomalyModelStats> stats)
    {
        // An unseen model name is itself unusual; it is scored against neutral statistics.
        var s = stats.TryGetValue(e.ModelName, out var found)
            ? found
            : new AnomalyModelStats { Value = new(0, 1), FeatureCount = new(0, 1), Confidence = new(0, 1), LogLatency = new(0, 1) };
        var value = s.Value.Z(Scale(e.PredictionValue, s.LogValue));
        var hour = e.CreatedAt.Hour + e.CreatedAt.Minute / 60.0;
        var dow = (int)e.CreatedAt.DayOfWeek;
        return new AnomalyFeatures
        {
            EntityId = e.Id,
            ClientId = e.ClientId,
            LabelKnownAt = e.CreatedAt,
            Label = e.IsAnomaly ? 1f : 0f,
            ValueZ = value,
            PreviousValueZ = e.PreviousValue is { } p ? s.Value.Z(Scale(p, s.LogValue)) : value,
            FeatureCountZ = s.FeatureCount.Z(e.InputFeatureCount),
            ConfidenceZ = e.Confidence is { } c ? s.Confidence.Z(c) : 0f,
            LatencyZ = e.ResponseTimeMs is { } ms ? s.LogLatency.Z(Math.Log(Math.Max(0.001, ms))) : 0f,
            HourSin = (float)Math.Sin(2 * Math.PI * hour / 24),
            HourCos = (float)Math.Cos(2 * Math.PI * hour / 24),
            DowSin = (float)Math.Sin(2 * Math.PI * dow / 7),
            DowCos = (float)Math.Cos(2 * Math.PI * dow / 7),
        };
    }

    /// <summary>
    /// The out-of-range part of the anomaly score: the largest |z| of the monitored quantities and of
    /// the jump from the previous prediction. PCA reconstruction error alone misses points that are
    /// extreme along a principal direction; this catches them.
    /// </summary>
    public static double MaxAbsZ(AnomalyFeatures f) =>
        new[] { f.ValueZ, f.FeatureCountZ, f.ConfidenceZ, f.LatencyZ, f.ValueZ - f.PreviousValueZ }.Max(v => Math.Abs((double)v));

    private static double Scale(double v, bool log) => log ? Math.Log(Math.Max(1e-6, Math.Abs(v)) + 1) : v;
}
