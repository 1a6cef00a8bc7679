using StrategicAgent.Ml.Forecasting;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The forecast's quantile recalibration and seeding, plain C#: a calibration fitted on one set of cases makes a too
/// wide forecast's P80 cover about 80 % of other cases, its odds agree with its levels, and it is applied to blends only;
/// a seeded forecast repeats its dates exactly.
/// </summary>
public sealed class ForecastCalibrationTests
{
    /// <summary>A forecast of N(30, 8²) days (as 4,000 sorted samples) for outcomes that are really N(30, 4²): too wide.</summary>
    private static readonly DaysDistribution TooWide = new(Enumerable.Range(0, 4000).Select(i => 30 + 8 * Gaussian.Quantile((i + 0.5) / 4000)));

    private static double[] Outcomes(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => 30 + 4 * Gaussian.Quantile(rng.NextDouble())).ToArray();
    }

    [Fact]
    public void A_calibration_fitted_on_dev_cases_brings_a_too_wide_P80_to_80_percent_on_other_cases()
    {
        var test = Outcomes(2000, 2);
        var rawCoverage = test.Average(a => a <= TooWide.Quantile(0.8) ? 1.0 : 0);
        Assert.InRange(rawCoverage, 0.92, 0.98); // Φ(0.84 · 2) ≈ 0.95: the uncalibrated P80 is far too safe

        var calibration = ForecastCalibration.Fit(Outcomes(2000, 1).Select(TooWide.ProbabilityWithin));
        foreach (var p in new[] { 0.5, 0.8, 0.95 })
        {
            var coverage = test.Average(a => a <= TooWide.Quantile(calibration.Level(p)) ? 1.0 : 0);
            Assert.InRange(coverage, p - 0.03, p + 0.03);
        }
        // The odds and the levels are one map read both ways, and monotone.
        for (var p = 0.05; p < 1; p += 0.05)
        {
            Assert.Equal(p, calibration.Probability(calibration.Level(p)), 3);
        }
        var odds = Enumerable.Range(0, 61).Select(d => calibration.Probability(TooWide.ProbabilityWithin(d))).ToList();
        Assert.Equal(odds.Order(), odds);
        Assert.Equal(0, odds[0]);
        Assert.Equal(1, odds[^1]);
    }

    [Fact]
    public void The_identity_leaves_levels_alone_and_bad_levels_are_refused()
    {
        Assert.True(ForecastCalibration.Identity.IsIdentity);
        foreach (var p in new[] { 0.0, 0.1, 0.5, 0.8, 1.0 })
        {
            Assert.Equal(p, ForecastCalibration.Identity.Level(p), 12);
            Assert.Equal(p, ForecastCalibration.Identity.Probability(p), 12);
        }
        Assert.Throws<ArgumentException>(() => new ForecastCalibration([0.5]));
        Assert.Throws<ArgumentException>(() => new ForecastCalibration([0.2, 0.1, 1.0]));
        Assert.Throws<ArgumentException>(() => new ForecastCalibration([0.0, 1.2]));
        Assert.Throws<ArgumentException>(() => ForecastCalibration.Fit([0.1, 0.5]));
    }

    [Fact]
    public void A_seeded_forecast_repeats_its_dates_and_only_a_blend_is_recalibrated()
    {
        var asOf = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        var epic = new WorkItem(1, "PAY-1", "Epic", null, 1, asOf.AddDays(-40), asOf.AddDays(-30), null, false, null);
        var state = new EpicState
        {
            Epic = epic,
            AsOf = asOf,
            StartedAt = asOf.AddDays(-30),
            Remaining = [new RemainingChild(2, "PAY-2", 5), new RemainingChild(3, "PAY-3", 8), new RemainingChild(4, "PAY-4", null)],
            DoneChildren = 2,
            DonePoints = 8,
            WeeklyPointsPerEpic = [1, 3, 0, 5, 2, 4, 2.5, 0, 6, 3, 1.5, 2],
        };
        var prior = new TrajectoryPrior(60, 30, 120, 0.8, "1");
        var estimates = new Dictionary<long, double> { [4] = 3 };
        var calibration = new ForecastCalibration([0.0, 0.3, 0.6, 0.8, 1.0]);
        var options = new ForecastOptions { Draws = 2000, Seed = 7, BlendCalibration = calibration };

        var first = EpicForecaster.Forecast(state, estimates, prior, options);
        var again = EpicForecaster.Forecast(state, estimates, prior, options);
        Assert.Equal(ForecastMethod.Blend, first.Method);
        Assert.Equal([first.DateAt(0.5), first.DateAt(0.8), first.DateAt(0.95)], [again.DateAt(0.5), again.DateAt(0.8), again.DateAt(0.95)]);
        var other = EpicForecaster.Forecast(state, estimates, prior, options with { Seed = 8 });
        Assert.NotEqual(first.DaysAt(0.8), other.DaysAt(0.8));

        // The blend serves the calibrated levels (P50 = the raw 0.6-quantile here), its odds read the same map.
        Assert.Same(calibration, first.Calibration);
        Assert.Equal(first.Days.Quantile(0.6), first.DaysAt(0.5), 9);
        Assert.Equal(calibration.Probability(first.Days.ProbabilityWithin(40)), first.ProbabilityWithin(40), 9);
        // One source alone is served as it comes.
        var monteCarlo = EpicForecaster.Forecast(state, estimates, null, options);
        Assert.Equal(ForecastMethod.MonteCarlo, monteCarlo.Method);
        Assert.True(monteCarlo.Calibration.IsIdentity);
        Assert.Equal(monteCarlo.Days.Quantile(0.5), monteCarlo.DaysAt(0.5), 9);
    }
}
