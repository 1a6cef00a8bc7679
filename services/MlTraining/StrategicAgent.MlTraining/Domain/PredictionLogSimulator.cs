using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>
/// A realistic prediction log for bootstrapping and testing the anomaly model before the
/// prediction service has served traffic: each model predicts the same keys repeatedly with
/// small changes, latency follows input size, confidence depends on the model, traffic follows a
/// working-day rhythm. Deterministic for a seed.
/// </summary>
public static class PredictionLogSimulator
{
    /// <summary>
    /// Several tenants' logs merged in time order (ids unique): each tenant its own volume and its own typical
    /// values and latencies (scaled by a per-tenant factor), as real tenants differ.
    /// </summary>
    public static List<PredictionLogEntry> GenerateTenants(IReadOnlyList<(long ClientId, int Count)> tenants, DateTime end, int seed, TimeSpan? span = null)
    {
        var all = new List<PredictionLogEntry>();
        foreach (var (clientId, count) in tenants)
        {
            var factor = 0.7 + 0.15 * (clientId % 5);
            all.AddRange(Generate(count, end, seed + (int)clientId * 7919, clientId, span, factor));
        }
        var ordered = all.OrderBy(e => e.CreatedAt).ThenBy(e => e.ClientId).ToList();
        return ordered.Select((e, i) => e with { Id = i + 1 }).ToList();
    }

    public static List<PredictionLogEntry> Generate(int count, DateTime end, int seed, long clientId = 1, TimeSpan? span = null, double scale = 1)
    {
        var rnd = new Random(seed);
        var models = new (string Name, double Value, double Spread, int Features, double Confidence, double Ms)[]
        {
            (ModelNames.Trajectory, 45, 0.6, 14, 0.8, 4),
            (ModelNames.Complexity, 4, 0.5, 12, 0.8, 6),
            (ModelNames.Rework, 0.25, 0.6, 13, 0.7, 3),
        };
        var last = new Dictionary<string, double>();
        var list = new List<PredictionLogEntry>(count);
        var start = end - (span ?? TimeSpan.FromDays(60));
        var times = new List<DateTime>(count);
        for (var i = 0; i < count; i++)
        {
            // Working hours and weekdays are busier.
            DateTime t;
            do
            {
                t = start.AddSeconds(rnd.NextDouble() * (end - start).TotalSeconds);
            }
            while ((t.Hour < 7 || t.Hour > 19 || t.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) && rnd.NextDouble() < 0.8);
            times.Add(t);
        }
        times.Sort();
        for (var i = 0; i < count; i++)
        {
            var t = times[i];
            var m = models[rnd.Next(models.Length)];
            var key = $"{m.Name}:{rnd.Next(200)}";
            double value;
            if (last.TryGetValue(key, out var prev))
            {
                value = prev * Math.Exp(Normal(rnd) * 0.05);
            }
            else
            {
                value = m.Value * scale * Math.Exp(Normal(rnd) * m.Spread);
            }
            if (m.Name == ModelNames.Rework) value = Math.Clamp(value, 0.01, 0.99);
            var features = m.Features - (rnd.NextDouble() < 0.1 ? 1 : 0);
            list.Add(new PredictionLogEntry
            {
                Id = i + 1,
                ClientId = clientId,
                ModelName = m.Name,
                PredictionKey = key,
                CreatedAt = t,
                PredictionValue = value,
                PreviousValue = last.TryGetValue(key, out var p) ? p : null,
                InputFeatureCount = features,
                Confidence = Math.Clamp(m.Confidence + Normal(rnd) * 0.04, 0.5, 0.99),
                ResponseTimeMs = m.Ms * scale * (0.6 + 0.05 * features) * Math.Exp(Normal(rnd) * 0.2),
            });
            last[key] = value;
        }
        return list;
    }

    private static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}
