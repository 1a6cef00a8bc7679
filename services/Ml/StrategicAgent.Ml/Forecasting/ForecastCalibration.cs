namespace StrategicAgent.Ml.Forecasting;

/// <summary>
/// Quantile recalibration of a forecast distribution (Kuleshov, Fenner &amp; Ermon, 2018): on past cases, where did the
/// actual completion fall in the forecast's own distribution (its PIT value F(actual))? For a calibrated forecast
/// those values are uniform; here they are not (the blend is too wide: its P80 covered ~90 %). <see cref="Levels"/>
/// holds the PIT values' quantiles at 0, 1/(n−1), …, 1 — the map G⁻¹ from a level asked for to the level of the raw
/// distribution that had that coverage on the cases it was fitted on. So the calibrated P80 is the raw distribution's
/// G⁻¹(0.8)-quantile and the calibrated probability of finishing within x days is G(F(x)). Monotone by construction
/// (sorted quantiles), so dates stay ordered and the odds agree with them; it moves the median too (a biased P50
/// moves toward the actual median). The identity (levels 0 … 1) leaves a distribution as it is.
/// </summary>
public sealed record ForecastCalibration
{
    /// <summary>Knots fitted by <see cref="Fit"/> (21: every 5 %).</summary>
    public const int DefaultKnots = 21;

    /// <summary>G⁻¹ at evenly spaced levels 0 … 1: non-decreasing values in [0, 1], at least two.</summary>
    public IReadOnlyList<double> Levels { get; }

    public ForecastCalibration(IReadOnlyList<double> levels)
    {
        if (levels.Count < 2 || levels.Any(l => !(l is >= 0 and <= 1)) || levels.Zip(levels.Skip(1)).Any(p => p.Second < p.First))
        {
            throw new ArgumentException("calibration levels: at least two non-decreasing values in [0, 1].", nameof(levels));
        }
        Levels = levels.ToArray();
    }

    public static ForecastCalibration Identity { get; } = new([0.0, 1.0]);

    public bool IsIdentity => Levels.Count == 2 && Levels[0] == 0 && Levels[1] == 1;

    /// <summary>The raw distribution's level that serves the calibrated level <paramref name="p"/> (G⁻¹(p), linear between knots).</summary>
    public double Level(double p)
    {
        var h = (Levels.Count - 1) * Math.Clamp(p, 0, 1);
        var k = Math.Min((int)Math.Floor(h), Levels.Count - 2);
        return Levels[k] + (h - k) * (Levels[k + 1] - Levels[k]);
    }

    /// <summary>The calibrated probability of a raw cumulative probability <paramref name="raw"/> (G(raw): the inverse of <see cref="Level"/>; on a flat stretch the largest level).</summary>
    public double Probability(double raw)
    {
        if (double.IsNaN(raw))
        {
            return raw;
        }
        var n = Levels.Count - 1;
        if (raw < Levels[0])
        {
            return 0;
        }
        if (raw >= Levels[n])
        {
            return 1;
        }
        // The last knot at or below raw; raw < Levels[k + 1] there.
        var k = 0;
        while (k + 1 < n && Levels[k + 1] <= raw)
        {
            k++;
        }
        var span = Levels[k + 1] - Levels[k];
        return (k + (span > 0 ? (raw - Levels[k]) / span : 1)) / n;
    }

    /// <summary>The calibration whose levels are the quantiles of <paramref name="pits"/> (the PIT values F(actual) of past cases).</summary>
    public static ForecastCalibration Fit(IEnumerable<double> pits, int knots = DefaultKnots)
    {
        var d = new DaysDistribution(pits.Where(double.IsFinite).Select(p => Math.Clamp(p, 0, 1)));
        if (d.Count < knots)
        {
            throw new ArgumentException($"calibration: {d.Count} cases, need at least {knots}.", nameof(pits));
        }
        return new ForecastCalibration(Enumerable.Range(0, knots).Select(k => Math.Round(d.Quantile(k / (double)(knots - 1)), 4)).ToArray());
    }
}
