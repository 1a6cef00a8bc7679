using System.Collections.Concurrent;

namespace StrategicAgent.Prediction.Domain;

/// <summary>
/// Recent per-model latencies (a fixed-size ring per model) for the health report's percentiles.
/// Cheap enough for the request path: one interlocked increment and one array store.
/// </summary>
public sealed class LatencyTracker(int capacity = 4096)
{
    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.Ordinal);

    public void Record(string model, double milliseconds) =>
        _rings.GetOrAdd(model, static (_, c) => new Ring(c), capacity).Add(milliseconds); // static: no closure per request

    public LatencySummary Summarize(string model) =>
        _rings.TryGetValue(model, out var ring) ? ring.Summarize() : new LatencySummary(0, 0, 0, 0);

    private sealed class Ring(int capacity)
    {
        private readonly double[] _values = new double[capacity];
        private long _count;

        public void Add(double v)
        {
            var i = Interlocked.Increment(ref _count) - 1;
            Volatile.Write(ref _values[i % _values.Length], v);
        }

        public LatencySummary Summarize()
        {
            var n = (int)Math.Min(Interlocked.Read(ref _count), _values.Length);
            if (n == 0)
            {
                return new LatencySummary(0, 0, 0, 0);
            }
            var copy = new double[n];
            Array.Copy(_values, copy, n);
            Array.Sort(copy);
            return new LatencySummary(n, Percentile(copy, 0.50), Percentile(copy, 0.95), Percentile(copy, 0.99));
        }
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(p * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}

public readonly record struct LatencySummary(int Samples, double P50, double P95, double P99);
