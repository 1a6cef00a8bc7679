using System.Text.Json.Serialization;

namespace StrategicAgent.Ml.Confidence;

/// <summary>
/// A numeric feature's training distribution: decile bin edges and the share of training rows in
/// each bin (plus the share missing). Enough to compute the population stability index of live
/// inputs later without keeping the training data.
/// </summary>
public sealed record FeatureDistribution
{
    /// <summary>Inner edges (up to 9), ascending and distinct; bin k is (edge[k-1], edge[k]].</summary>
    [JsonPropertyName("edges")] public required double[] Edges { get; init; }
    [JsonPropertyName("proportions")] public required double[] Proportions { get; init; }
    [JsonPropertyName("missing")] public double Missing { get; init; }
    [JsonPropertyName("mean")] public double Mean { get; init; }
    [JsonPropertyName("min")] public double Min { get; init; }
    [JsonPropertyName("max")] public double Max { get; init; }

    public static FeatureDistribution Fit(IReadOnlyList<double> values, int bins = 10)
    {
        var finite = values.Where(double.IsFinite).OrderBy(v => v).ToArray();
        if (finite.Length == 0)
        {
            return new FeatureDistribution { Edges = [], Proportions = [1.0], Missing = 1.0 };
        }
        var edges = Enumerable.Range(1, bins - 1)
            .Select(k => Modeling.Metrics.Quantile(finite, k / (double)bins))
            .Distinct()
            .ToArray();
        var counts = Count(finite, edges);
        return new FeatureDistribution
        {
            Edges = edges,
            Proportions = counts.Select(c => c / (double)finite.Length).ToArray(),
            Missing = 1 - finite.Length / (double)values.Count,
            Mean = finite.Average(),
            Min = finite[0],
            Max = finite[^1],
        };
    }

    /// <summary>
    /// Population stability index of <paramref name="live"/> against this distribution
    /// (ε = 1e-4 for empty bins). Rule of thumb: &lt; 0.1 stable, 0.1–0.25 shifting, &gt; 0.25 drifted.
    /// </summary>
    public double Psi(IReadOnlyList<double> live)
    {
        var finite = live.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return 0;
        var counts = Count(finite, Edges);
        double psi = 0;
        for (var k = 0; k < Proportions.Length; k++)
        {
            var e = Math.Max(Proportions[k], 1e-4);
            var a = Math.Max(counts[k] / (double)finite.Length, 1e-4);
            psi += (a - e) * Math.Log(a / e);
        }
        return psi;
    }

    private static int[] Count(IEnumerable<double> values, double[] edges)
    {
        var counts = new int[edges.Length + 1];
        foreach (var v in values)
        {
            var i = Array.BinarySearch(edges, v);
            counts[i < 0 ? ~i : i]++;
        }
        return counts;
    }
}
