using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Models.Anomaly;

/// <summary>A test stream with known anomalies: entries in time order, and for each its kind (null = normal).</summary>
/// <param name="Kinds">Null for a normal entry; <see cref="AnomalyInjection.Ignored"/> for an entry that is neither (the
/// early part of a drift, before it is large enough to call); otherwise the anomaly kind.</param>
public sealed record InjectedLog(IReadOnlyList<PredictionLogEntry> Entries, IReadOnlyList<string?> Kinds);

/// <summary>
/// Evaluating an unsupervised model needs anomalies whose truth is known: the test slice's normal stream with
/// anomalies of several kinds put into it (deterministic for a seed).
/// <list type="bullet">
/// <item><b>point</b> — single entries out of range: latency ×e^6σ, feature count or confidence collapsed, a value
/// jumping to the other end of its model's range while the previous prediction for the key stays (copies of
/// normal entries, kinds latency / features / confidence / value);</item>
/// <item><b>step</b> — one model's outputs for one tenant shift by 2.5σ from some moment on, for a run of entries
/// (each alone still within the model's range);</item>
/// <item><b>drift</b> — one tenant's confidence (or latency) for one model drifts linearly to 3σ over a run; the
/// entries past 1.5σ are the anomalies, the earlier ones are ignored;</item>
/// <item><b>burst</b> — one tenant calls 150 times within half a minute (repeats of its recent predictions, each
/// ordinary by itself).</item>
/// </list>
/// Normal entries inside an anomaly's wake are not judged (neither normal traffic nor the anomaly): the
/// <see cref="Aftermath"/> entries of a tenant's model after its step or drift ends, and the tenant's own calls within
/// a rate window of its burst.
/// </summary>
public static class AnomalyInjection
{
    public const string Ignored = "ignored";
    public static readonly IReadOnlyList<string> PointKinds = ["latency", "features", "confidence", "value"];
    public static readonly IReadOnlyList<string> ContextKinds = ["step", "drift", "burst"];

    public static InjectedLog WithInjectedAnomalies(IReadOnlyList<PredictionLogEntry> test, IReadOnlyDictionary<string, AnomalyModelStats> stats, int seed, double share = 0.05)
    {
        var rnd = new Random(seed);
        var items = test.Select(e => (Entry: e, Kind: (string?)null, Order: 0)).ToList();
        if (test.Count == 0)
        {
            return new InjectedLog([], []);
        }
        var nextId = -1L;

        // Context anomalies first, by modifying runs of the normal stream (so no copy competes with its original).
        var runs = test.Select((e, i) => (e, i)).GroupBy(x => (x.e.ClientId, x.e.ModelName))
            .Select(g => g.Select(x => x.i).ToList()).Where(ix => ix.Count >= 120).OrderByDescending(ix => ix.Count).ToList();
        for (var r = 0; r < runs.Count && r < 2; r++)
        {
            var ix = runs[r];
            var e0 = test[ix[0]];
            if (!stats.TryGetValue(e0.ModelName, out var s)) continue;
            var start = rnd.Next(ix.Count / 4, ix.Count / 2);
            if (r == 0)
            {
                // Step: this model's outputs for this tenant move 2.5σ (on its own scale) and stay there.
                var probability = test.Where(e => e.ModelName == e0.ModelName).All(e => e.PredictionValue is >= 0 and <= 1);
                foreach (var i in ix.Skip(start).Take(60))
                {
                    var e = items[i].Entry;
                    var v = Shifted(e.PredictionValue, 2.5 * Math.Max(s.Value.Std, 1e-3), s.LogValue);
                    items[i] = (e with { PredictionValue = probability ? Math.Min(v, 0.999) : v, IsAnomaly = true }, "step", 0);
                }
                IgnoreAfter(items, ix, start + 60);
            }
            else
            {
                // Drift: confidence slides down (or latency up when there is no confidence) over 100 entries.
                var run = ix.Skip(start).Take(100).ToList();
                for (var j = 0; j < run.Count; j++)
                {
                    var sigmas = 3.0 * (j + 1) / run.Count;
                    var e = items[run[j]].Entry;
                    var drifted = e.Confidence is { } c
                        ? e with { Confidence = Math.Max(0, c - sigmas * Math.Max(s.Confidence.Std, 0.02)) }
                        : e with { ResponseTimeMs = (e.ResponseTimeMs ?? Math.Exp(s.LogLatency.Mean)) * Math.Exp(sigmas * Math.Max(s.LogLatency.Std, 0.1)) };
                    items[run[j]] = sigmas >= 1.5 ? (drifted with { IsAnomaly = true }, "drift", 0) : (drifted, Ignored, 0);
                }
                IgnoreAfter(items, ix, start + run.Count);
            }
        }

        // Burst: one tenant calls 150 times within 30 s, repeating its recent predictions.
        var tenant = test.GroupBy(e => e.ClientId).OrderByDescending(g => g.Count()).First().ToList();
        var at = tenant[rnd.Next(tenant.Count / 2, tenant.Count)].CreatedAt;
        var recent = tenant.Where(e => e.CreatedAt <= at).TakeLast(50).ToList();
        // The tenant's own normal calls while its burst is within the rate window are neither normal traffic nor the
        // anomaly: not judged.
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].Kind is null && items[i].Entry.ClientId == tenant[0].ClientId && items[i].Entry.CreatedAt >= at
                && items[i].Entry.CreatedAt < at.AddSeconds(30) + AnomalyStream.RateWindow)
            {
                items[i] = (items[i].Entry, Ignored, 0);
            }
        }
        for (var k = 0; k < 150; k++)
        {
            var e = recent[k % recent.Count];
            items.Add((e with { Id = nextId--, CreatedAt = at.AddSeconds(30.0 * k / 150), IsAnomaly = true }, "burst", 1));
        }

        // Point anomalies: copies of normal entries broken in one respect, under a key of their own (the original
        // key's history is left alone), with the original as the previous prediction.
        var count = Math.Max(10, (int)(test.Count * share));
        var byModel = test.GroupBy(e => e.ModelName).ToDictionary(g => g.Key, g => g.Select(e => e.PredictionValue).Where(double.IsFinite).OrderBy(v => v).ToArray());
        for (var k = 0; k < count; k++)
        {
            var e = test[rnd.Next(test.Count)];
            if (!stats.TryGetValue(e.ModelName, out var s)) continue;
            var values = byModel[e.ModelName];
            var kind = PointKinds[k % 4];
            var anomaly = kind switch
            {
                "latency" => e with { ResponseTimeMs = (e.ResponseTimeMs ?? Math.Exp(s.LogLatency.Mean)) * Math.Exp(6 * Math.Max(s.LogLatency.Std, 0.3)) },
                "features" => e with { InputFeatureCount = Math.Max(0, (int)(s.FeatureCount.Mean - 6 * Math.Max(s.FeatureCount.Std, s.FeatureCount.Mean / 6))) },
                "confidence" => e with { Confidence = Math.Max(0, (e.Confidence ?? s.Confidence.Mean) - 6 * Math.Max(s.Confidence.Std, 0.05)) },
                _ => e with
                {
                    // The other end of the model's own range, while the previous prediction for the key stays put.
                    PredictionValue = e.PredictionValue >= values[values.Length / 2] ? values[(int)(values.Length * 0.02)] : values[(int)(values.Length * 0.98)],
                },
            };
            items.Add((anomaly with
            {
                Id = nextId--, IsAnomaly = true, PredictionKey = (e.PredictionKey ?? "key") + "~injected" + k,
                PreviousValue = e.PreviousValue ?? e.PredictionValue,
            }, kind, 1));
        }

        var ordered = items.OrderBy(x => x.Entry.CreatedAt).ThenBy(x => x.Order).ThenBy(x => x.Entry.Id).ToList();
        return new InjectedLog(ordered.Select(x => x.Entry).ToList(), ordered.Select(x => x.Kind).ToList());
    }

    /// <summary>
    /// The normal entries of a run just after a step or drift ends (the moving mean's memory, <see cref="Aftermath"/>
    /// entries of that tenant and model) are neither normal traffic nor the anomaly: not judged.
    /// </summary>
    private static void IgnoreAfter(List<(PredictionLogEntry Entry, string? Kind, int Order)> items, List<int> run, int end)
    {
        foreach (var i in run.Skip(end).Take(Aftermath))
        {
            if (items[i].Kind is null) items[i] = (items[i].Entry, Ignored, 0);
        }
    }

    /// <summary>Entries of a tenant's model after a step or drift that are not judged (≈ 3 / α of the moving mean).</summary>
    public const int Aftermath = 30;

    private static double Shifted(double value, double delta, bool log) =>
        log ? Math.Exp(Math.Log(Math.Max(1e-6, Math.Abs(value)) + 1) + delta) - 1 : value + delta;
}
