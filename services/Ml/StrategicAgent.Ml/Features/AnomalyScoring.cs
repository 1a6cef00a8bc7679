using System.Text.Json.Serialization;

namespace StrategicAgent.Ml.Features;

/// <summary>
/// What the anomaly scorer learned about one tenant's serving, from that tenant's rows only: per-model statistics,
/// its normal request rate, the scale of each score component on its held-out normal traffic, and its own cut
/// points. Another tenant's traffic (its volume or its content) changes none of it.
/// </summary>
public sealed record AnomalyTenantProfile
{
    /// <summary>Normal training rows the profile was fitted on.</summary>
    [JsonPropertyName("rows")] public int Rows { get; init; }
    [JsonPropertyName("stats")] public required Dictionary<string, AnomalyModelStats> Stats { get; init; }
    /// <summary>ln(1 + predictions of this tenant in the last minute), over its normal training rows.</summary>
    [JsonPropertyName("log_rate")] public MeanStd LogRate { get; init; } = new(0, 1);
    /// <summary>Each component's 99th percentile on this tenant's held-out normal rows (its unit in the combined score).</summary>
    [JsonPropertyName("scales")] public AnomalyScales Scales { get; init; } = new();
    /// <summary>Combined score from which a prediction is an anomaly (medium), and the high and critical cuts.</summary>
    [JsonPropertyName("threshold")] public double Threshold { get; init; } = 1;
    [JsonPropertyName("high")] public double High { get; init; } = 2;
    [JsonPropertyName("critical")] public double Critical { get; init; } = 4;

    /// <summary>medium / high / critical, or null when not anomalous.</summary>
    public string? Severity(double score) =>
        score >= Critical ? "critical" : score >= High ? "high" : score >= Threshold ? "medium" : null;
}

/// <summary>The unit of each score component (its 99th percentile on held-out normal rows).</summary>
public sealed record AnomalyScales
{
    [JsonPropertyName("point")] public double Point { get; init; } = 1;
    [JsonPropertyName("shift")] public double Shift { get; init; } = 1;
    [JsonPropertyName("rate")] public double Rate { get; init; } = 1;
}

/// <summary>The score of one prediction-log entry and its parts (each in its own unit).</summary>
public sealed record AnomalyObservation(AnomalyFeatures Features, double? PreviousValue, double Point, double Shift, double Rate, double Score)
{
    /// <summary>Which component decided the score: point (one prediction out of range), shift (a model's recent outputs moved), rate (a burst of calls).</summary>
    public string Driver => Score <= 0 ? "point" : Point >= Shift && Point >= Rate ? "point" : Shift >= Rate ? "shift" : "rate";
}

/// <summary>
/// The anomaly score over a time-ordered stream of prediction-log entries, per tenant. Three components, each
/// divided by its 99th percentile on the tenant's normal traffic, combined by their maximum:
/// <list type="bullet">
/// <item><b>point</b> — the largest |z| of the prediction, its jump from the previous prediction for the same key,
/// its input feature count, confidence and latency (one entry out of range);</item>
/// <item><b>shift</b> — the largest |exponentially weighted mean| of those z-scores per tenant and model
/// (winsorised at ±<see cref="ShiftClip"/>, so one outlier barely moves it): a model whose outputs step or drift,
/// a feature that drifts, while each single entry still looks ordinary;</item>
/// <item><b>rate</b> — how far the tenant's predictions in the last minute exceed its normal rate (a burst from
/// one caller; only more is anomalous).</item>
/// </list>
/// Keeps state (previous value per key, the moving means, the last minute's times), so one instance scores one
/// stream in time order. Not thread-safe: the prediction log writer scores on one thread.
/// </summary>
public sealed class AnomalyStream(int previousMemory = 200_000)
{
    /// <summary>Weight of the newest entry in a moving mean (≈ the last 20 entries of a tenant's model).</summary>
    public const double ShiftAlpha = 0.1;
    /// <summary>z-scores enter the moving means clipped to ±3.</summary>
    public const double ShiftClip = 3;
    /// <summary>The window the request rate is counted over.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);

    private readonly Dictionary<(long, string, string), double> _previous = [];
    private readonly Dictionary<(long, string), double[]> _means = [];
    private readonly Dictionary<long, Queue<DateTime>> _recent = [];

    /// <summary>Scores one entry (its previous value is this stream's, when it has one) and advances the state.</summary>
    public AnomalyObservation Observe(PredictionLogEntry e, AnomalyTenantProfile profile)
    {
        var entry = WithPrevious(e);
        var f = AnomalyFeatureBuilder.Build(entry, profile.Stats);
        var point = AnomalyFeatureBuilder.MaxAbsZ(f);

        var key = (e.ClientId, e.ModelName);
        if (!_means.TryGetValue(key, out var means))
        {
            _means[key] = means = new double[4];
        }
        ReadOnlySpan<double> z = [f.ValueZ, f.FeatureCountZ, f.ConfidenceZ, f.LatencyZ];
        var shift = 0.0;
        for (var i = 0; i < means.Length; i++)
        {
            means[i] += ShiftAlpha * (Math.Clamp(z[i], -ShiftClip, ShiftClip) - means[i]);
            shift = Math.Max(shift, Math.Abs(means[i]));
        }

        var rate = Math.Max(0, profile.LogRate.Z(Math.Log(1 + CountLastMinute(e.ClientId, e.CreatedAt))));

        var s = profile.Scales;
        var score = Math.Max(point / Unit(s.Point), Math.Max(shift / Unit(s.Shift), rate / Unit(s.Rate)));
        return new AnomalyObservation(f, entry.PreviousValue, point, shift, rate, score);
    }

    /// <summary>The entry with this stream's previous value for its key (and the key's value remembered).</summary>
    private PredictionLogEntry WithPrevious(PredictionLogEntry e)
    {
        if (e.PredictionKey is null || previousMemory <= 0)
        {
            return e;
        }
        var key = (e.ClientId, e.ModelName, e.PredictionKey);
        // The stream's memory first; an entry that brings its own previous value keeps it when the stream has none.
        var previous = _previous.TryGetValue(key, out var p) ? p : e.PreviousValue;
        if (_previous.Count >= previousMemory)
        {
            _previous.Clear(); // bounded memory; "previous" restarts from here
        }
        _previous[key] = e.PredictionValue;
        return e with { PreviousValue = previous };
    }

    /// <summary>This tenant's entries in the last minute, this one included.</summary>
    internal int CountLastMinute(long clientId, DateTime at)
    {
        if (!_recent.TryGetValue(clientId, out var times))
        {
            _recent[clientId] = times = new Queue<DateTime>();
        }
        times.Enqueue(at);
        while (times.Count > 0 && times.Peek() <= at - RateWindow)
        {
            times.Dequeue();
        }
        return times.Count;
    }

    private static double Unit(double scale) => scale > 1e-9 ? scale : 1;
}

/// <summary>
/// Fits the per-tenant profiles from a time-ordered prediction log: statistics and normal rate from the training
/// rows, component scales and cut points from the calibration rows (scored by a stream warmed up on the training
/// rows). Tenants with fewer than <c>minTenantRows</c> normal training rows share the pooled profile (all tenants'
/// rows) until they have their own.
/// </summary>
public static class AnomalyProfiles
{
    /// <summary>Normal training rows a tenant needs for a profile of its own.</summary>
    public const int DefaultMinTenantRows = 200;

    /// <summary>The medium cut: this margin above the 99.9th percentile of the combined score on normal held-out rows.</summary>
    public const double ThresholdMargin = 1.25;
    /// <summary>High and critical cuts as multiples of the medium one.</summary>
    public const double HighFactor = 2;
    public const double CriticalFactor = 4;

    public static (Dictionary<string, AnomalyTenantProfile> Tenants, AnomalyTenantProfile Pooled) Fit(
        IReadOnlyList<PredictionLogEntry> train, IReadOnlyList<PredictionLogEntry> calibration, int minTenantRows)
    {
        var normalTrain = train.Where(e => !e.IsAnomaly).ToList();
        var pooled = Basic(normalTrain);
        var tenants = normalTrain.GroupBy(e => e.ClientId)
            .Where(g => g.Count() >= minTenantRows)
            .ToDictionary(g => g.Key, g => Basic(g.ToList()));

        // Component values on held-out normal rows, from a stream that has seen the training rows first.
        var stream = new AnomalyStream();
        foreach (var e in train)
        {
            stream.Observe(e, tenants.GetValueOrDefault(e.ClientId) ?? pooled);
        }
        var observed = new List<(long ClientId, AnomalyObservation O)>();
        foreach (var e in calibration)
        {
            var o = stream.Observe(e, tenants.GetValueOrDefault(e.ClientId) ?? pooled);
            if (!e.IsAnomaly)
            {
                observed.Add((e.ClientId, o));
            }
        }
        var pooledFinal = WithCuts(pooled, observed.Select(x => x.O).ToList());
        var result = new Dictionary<string, AnomalyTenantProfile>(StringComparer.Ordinal);
        foreach (var (clientId, profile) in tenants)
        {
            var mine = observed.Where(x => x.ClientId == clientId).Select(x => x.O).ToList();
            result[clientId.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                mine.Count >= 20 ? WithCuts(profile, mine) : profile with { Scales = pooledFinal.Scales, Threshold = pooledFinal.Threshold, High = pooledFinal.High, Critical = pooledFinal.Critical };
        }
        return (result, pooledFinal);
    }

    /// <summary>Per-model statistics and the normal rate of a set of normal rows (time-ordered).</summary>
    private static AnomalyTenantProfile Basic(IReadOnlyList<PredictionLogEntry> normal)
    {
        var stream = new AnomalyStream(previousMemory: 0);
        var rates = normal.Select(e => Math.Log(1 + stream.CountLastMinute(e.ClientId, e.CreatedAt))).ToList();
        return new AnomalyTenantProfile
        {
            Rows = normal.Count,
            Stats = AnomalyFeatureBuilder.FitStats(normal).ToDictionary(),
            LogRate = MeanStd.Of(rates),
        };
    }

    /// <summary>Scales (each component's 99th percentile) and cut points from normal held-out observations.</summary>
    private static AnomalyTenantProfile WithCuts(AnomalyTenantProfile profile, IReadOnlyList<AnomalyObservation> normal)
    {
        if (normal.Count == 0)
        {
            return profile;
        }
        var scales = new AnomalyScales
        {
            Point = Floor(Modeling.Metrics.Quantile(normal.Select(o => o.Point).ToList(), 0.99), 1),
            Shift = Floor(Modeling.Metrics.Quantile(normal.Select(o => o.Shift).ToList(), 0.99), 0.25),
            Rate = Floor(Modeling.Metrics.Quantile(normal.Select(o => o.Rate).ToList(), 0.99), 1),
        };
        var combined = normal.Select(o => Math.Max(o.Point / scales.Point, Math.Max(o.Shift / scales.Shift, o.Rate / scales.Rate))).ToList();
        var threshold = ThresholdMargin * Math.Max(1, Modeling.Metrics.Quantile(combined, 0.999));
        return profile with { Scales = scales, Threshold = threshold, High = HighFactor * threshold, Critical = CriticalFactor * threshold };
    }

    /// <summary>A unit never below a sensible minimum (a component that never moved on normal rows must not make noise look huge).</summary>
    private static double Floor(double q, double min) => double.IsFinite(q) ? Math.Max(q, min) : min;
}
