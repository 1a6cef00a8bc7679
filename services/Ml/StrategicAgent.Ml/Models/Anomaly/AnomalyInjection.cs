using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Models.Anomaly;

/// <summary>
/// Evaluating an unsupervised model needs anomalies whose truth is known: the test slice's
/// normal rows plus copies of some of them broken in the ways that matter to monitoring
/// (deterministic for a seed). Two kinds: out-of-range values (latency ×e^6σ, feature count
/// collapsed, confidence collapsed) and in-range values that break the structure (a prediction
/// jumping to the other end of its model's range while the previous one for the key stays).
/// </summary>
public static class AnomalyInjection
{
    public static List<PredictionLogEntry> WithInjectedAnomalies(IReadOnlyList<PredictionLogEntry> test, IReadOnlyDictionary<string, AnomalyModelStats> stats, int seed, double share = 0.05)
    {
        var rnd = new Random(seed);
        var result = test.ToList();
        var count = Math.Max(10, (int)(test.Count * share));
        var byModel = test.GroupBy(e => e.ModelName).ToDictionary(g => g.Key, g => g.Select(e => e.PredictionValue).Where(double.IsFinite).OrderBy(v => v).ToArray());
        for (var k = 0; k < count && test.Count > 0; k++)
        {
            var e = test[rnd.Next(test.Count)];
            if (!stats.TryGetValue(e.ModelName, out var s)) continue;
            var values = byModel[e.ModelName];
            var kind = k % 4;
            var anomaly = kind switch
            {
                0 => e with { ResponseTimeMs = (e.ResponseTimeMs ?? Math.Exp(s.LogLatency.Mean)) * Math.Exp(6 * Math.Max(s.LogLatency.Std, 0.3)) },
                1 => e with { InputFeatureCount = Math.Max(0, (int)(s.FeatureCount.Mean - 6 * Math.Max(s.FeatureCount.Std, s.FeatureCount.Mean / 6))) },
                2 => e with { Confidence = Math.Max(0, (e.Confidence ?? s.Confidence.Mean) - 6 * Math.Max(s.Confidence.Std, 0.05)) },
                _ => e with
                {
                    // The other end of the model's own range, while the previous prediction for the key stays put.
                    PredictionValue = e.PredictionValue >= values[values.Length / 2] ? values[(int)(values.Length * 0.02)] : values[(int)(values.Length * 0.98)],
                    PreviousValue = e.PreviousValue ?? e.PredictionValue,
                },
            };
            result.Add(anomaly with { Id = -(k + 1), IsAnomaly = true });
        }
        return result;
    }
}
