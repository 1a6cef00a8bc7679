using System.Text.Json.Serialization;
using StrategicAgent.Ml.Modeling;

namespace StrategicAgent.Ml.Confidence;

/// <summary>
/// Split-conformal interval: quantiles of held-out residuals (calibration slice, never trained on)
/// give an interval with the stated coverage. With a log label the residuals are log-residuals and
/// the interval is multiplicative: [ŷ·e^lo, ŷ·e^hi].
/// </summary>
public sealed record ConformalInterval
{
    [JsonPropertyName("coverage")] public double Coverage { get; init; }
    /// <summary>Lower residual quantile (actual − predicted, in training-label space).</summary>
    [JsonPropertyName("lower_residual")] public double LowerResidual { get; init; }
    [JsonPropertyName("upper_residual")] public double UpperResidual { get; init; }
    [JsonPropertyName("calibration_rows")] public int CalibrationRows { get; init; }

    /// <summary>Fits an interval of the given coverage from residuals actual − predicted.</summary>
    public static ConformalInterval Fit(IReadOnlyList<double> residuals, double coverage = 0.8)
    {
        if (residuals.Count == 0) throw new ArgumentException("No residuals to fit an interval on.");
        var alpha = (1 - coverage) / 2;
        // Finite-sample correction: quantile levels widened by 1/(n+1).
        var n = residuals.Count;
        var lo = Math.Max(0, alpha - 1.0 / (n + 1));
        var hi = Math.Min(1, 1 - alpha + 1.0 / (n + 1));
        return new ConformalInterval
        {
            Coverage = coverage,
            LowerResidual = Metrics.Quantile(residuals, lo),
            UpperResidual = Metrics.Quantile(residuals, hi),
            CalibrationRows = n,
        };
    }

    /// <summary>The interval around a prediction in training-label space.</summary>
    public (double Lower, double Upper) Around(double predicted) => (predicted + LowerResidual, predicted + UpperResidual);
}

/// <summary>Platt scaling: p = 1 / (1 + exp(a·s + b)) fitted by Newton's method on (score, label) pairs.</summary>
public sealed record PlattScaling
{
    [JsonPropertyName("a")] public double A { get; init; }
    [JsonPropertyName("b")] public double B { get; init; }

    public double Apply(double score) => 1.0 / (1.0 + Math.Exp(A * score + B));

    /// <summary>Platt's 1999 fit with his label smoothing (targets (n₊+1)/(n₊+2) and 1/(n₋+2)).</summary>
    public static PlattScaling Fit(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var nPos = labels.Count(l => l);
        var nNeg = labels.Count - nPos;
        var hi = (nPos + 1.0) / (nPos + 2.0);
        var lo = 1.0 / (nNeg + 2.0);
        double a = 0, b = Math.Log((nNeg + 1.0) / (nPos + 1.0));
        for (var iter = 0; iter < 100; iter++)
        {
            double g1 = 0, g2 = 0, h11 = 1e-12, h22 = 1e-12, h21 = 0;
            for (var i = 0; i < scores.Count; i++)
            {
                var t = labels[i] ? hi : lo;
                var f = scores[i] * a + b;
                var p = f >= 0 ? Math.Exp(-f) / (1 + Math.Exp(-f)) : 1 / (1 + Math.Exp(f));
                var d1 = t - p;
                var d2 = p * (1 - p);
                g1 += scores[i] * d1;
                g2 += d1;
                h11 += scores[i] * scores[i] * d2;
                h22 += d2;
                h21 += scores[i] * d2;
            }
            var det = h11 * h22 - h21 * h21;
            if (Math.Abs(det) < 1e-18) break;
            var da = -(h22 * g1 - h21 * g2) / det;
            var db = -(-h21 * g1 + h11 * g2) / det;
            a += da;
            b += db;
            if (Math.Abs(da) < 1e-9 && Math.Abs(db) < 1e-9) break;
        }
        return new PlattScaling { A = a, B = b };
    }
}

/// <summary>Isotonic calibration (pool-adjacent-violators): a monotone step function score → probability.</summary>
public sealed record IsotonicCalibration
{
    /// <summary>Upper score bound of each step, ascending.</summary>
    [JsonPropertyName("thresholds")] public required double[] Thresholds { get; init; }
    [JsonPropertyName("values")] public required double[] Values { get; init; }

    public double Apply(double score)
    {
        if (Thresholds.Length == 0) return 0.5;
        var i = Array.BinarySearch(Thresholds, score);
        if (i < 0) i = ~i;
        return Values[Math.Min(i, Values.Length - 1)];
    }

    public static IsotonicCalibration Fit(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        var sums = new List<double>();
        var counts = new List<double>();
        var maxes = new List<double>();
        foreach (var i in order)
        {
            sums.Add(labels[i] ? 1 : 0);
            counts.Add(1);
            maxes.Add(scores[i]);
            while (sums.Count > 1 && sums[^2] / counts[^2] >= sums[^1] / counts[^1])
            {
                sums[^2] += sums[^1];
                counts[^2] += counts[^1];
                maxes[^2] = maxes[^1];
                sums.RemoveAt(sums.Count - 1);
                counts.RemoveAt(counts.Count - 1);
                maxes.RemoveAt(maxes.Count - 1);
            }
        }
        // Keep probabilities away from 0 and 1: a calibration slice never proves certainty.
        var values = sums.Select((s, k) => Math.Clamp((s + 0.5) / (counts[k] + 1), 0.001, 0.999)).ToArray();
        return new IsotonicCalibration { Thresholds = maxes.ToArray(), Values = values };
    }
}

/// <summary>Probability calibration chosen on the calibration slice (lower log-loss wins).</summary>
public sealed record ProbabilityCalibration
{
    /// <summary>platt | isotonic | none</summary>
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("platt")] public PlattScaling? Platt { get; init; }
    [JsonPropertyName("isotonic")] public IsotonicCalibration? Isotonic { get; init; }
    [JsonPropertyName("calibration_rows")] public int CalibrationRows { get; init; }

    public double Apply(double rawScore) => Method switch
    {
        "platt" when Platt is not null => Platt.Apply(rawScore),
        "isotonic" when Isotonic is not null => Isotonic.Apply(rawScore),
        _ => 1.0 / (1.0 + Math.Exp(-rawScore)),
    };

    /// <summary>
    /// Fits both on the first half of the calibration slice, picks the one with the lower
    /// log-loss on the second half, then refits the winner on the whole slice.
    /// </summary>
    public static ProbabilityCalibration Fit(IReadOnlyList<double> rawScores, IReadOnlyList<bool> labels)
    {
        if (rawScores.Count < 20 || labels.All(l => l) || labels.All(l => !l))
        {
            return new ProbabilityCalibration { Method = "platt", Platt = PlattScaling.Fit(rawScores, labels), CalibrationRows = rawScores.Count };
        }
        var half = rawScores.Count / 2;
        var s1 = rawScores.Take(half).ToList();
        var l1 = labels.Take(half).ToList();
        var s2 = rawScores.Skip(half).ToList();
        var l2 = labels.Skip(half).ToList();
        var platt = PlattScaling.Fit(s1, l1);
        var iso = IsotonicCalibration.Fit(s1, l1);
        var plattLoss = Metrics.Binary(l2, s2.Select(platt.Apply).ToList())["log_loss"];
        var isoLoss = Metrics.Binary(l2, s2.Select(iso.Apply).ToList())["log_loss"];
        return isoLoss < plattLoss
            ? new ProbabilityCalibration { Method = "isotonic", Isotonic = IsotonicCalibration.Fit(rawScores, labels), CalibrationRows = rawScores.Count }
            : new ProbabilityCalibration { Method = "platt", Platt = PlattScaling.Fit(rawScores, labels), CalibrationRows = rawScores.Count };
    }
}
