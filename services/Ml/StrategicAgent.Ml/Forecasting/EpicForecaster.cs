using StrategicAgent.Seeded;

namespace StrategicAgent.Ml.Forecasting;

/// <summary>How a forecast was made.</summary>
public enum ForecastMethod
{
    /// <summary>A mixture of the Monte Carlo and the trajectory model's distributions.</summary>
    Blend,
    /// <summary>Monte Carlo over the team's throughput only (no trajectory model deployed, or no prediction for the epic).</summary>
    MonteCarlo,
    /// <summary>The trajectory model only (no throughput history for the team).</summary>
    Trajectory,
}

/// <summary>
/// The trajectory model's prediction for an epic: lead time from the start of work with its conformal interval
/// (multiplicative, so a log-normal: median = the prediction, σ from the interval's width and coverage).
/// </summary>
public sealed record TrajectoryPrior(double PredictedLeadDays, double LowDays, double HighDays, double Coverage, string Version)
{
    public double Mu => Math.Log(Math.Max(PredictedLeadDays, 0.01));

    public double Sigma => Coverage is > 0 and < 1 && HighDays > LowDays && LowDays > 0
        ? Math.Max(0.05, (Math.Log(HighDays) - Math.Log(LowDays)) / (2 * Gaussian.Quantile(0.5 + Coverage / 2)))
        : 0.5;
}

/// <summary>Settings of a forecast: draws, seed, and the Monte Carlo's weight in the blend by progress.</summary>
public sealed record ForecastOptions
{
    public const int DefaultDraws = 10_000;
    public const int DefaultSeed = 20_251_205;

    public int Draws { get; init; } = DefaultDraws;
    public int Seed { get; init; } = DefaultSeed;
    /// <summary>Weeks of team throughput sampled.</summary>
    public int Weeks { get; init; } = WorkHistory.DefaultWeeks;
    /// <summary>
    /// The Monte Carlo's share of the blend for an epic less than a third done (by points), up to two thirds, and
    /// beyond: the weights with the lowest quantile loss on the backtest's dev epics (medium demo data, even ids; graded
    /// on the odd ids, docs/ml.md "Epic forecast"). Early on the model's view from the epic's start counts for more.
    /// </summary>
    public IReadOnlyList<double> MonteCarloWeights { get; init; } = [0.2, 0.3, 0.6];

    /// <summary>
    /// Whether the forecast keeps the Monte Carlo's and the trajectory model's own distributions next to the blend
    /// (<see cref="EpicForecast.MonteCarloDays"/>, <see cref="EpicForecast.TrajectoryDays"/>; the backtest scores them).
    /// Serving reads the blend only: without them a blend's parts are drawn into pooled buffers and nothing but the
    /// blend is allocated. The blend is the same either way.
    /// </summary>
    public bool KeepParts { get; init; } = true;

    public double WeightFor(double progress) =>
        MonteCarloWeights[progress < 1.0 / 3 ? 0 : progress < 2.0 / 3 ? 1 : 2];

    /// <summary>
    /// The blend's quantile recalibration (<see cref="ForecastCalibration"/>); a forecast from one source only is served
    /// as it is. Chosen with the weights on the backtest's dev epics (docs/ml.md, "Epic forecast").
    /// </summary>
    public ForecastCalibration BlendCalibration { get; init; } = ServedCalibration;

    /// <summary>
    /// The recalibration the backtest's dev epics chose with <see cref="MonteCarloWeights"/> (<c>bench forecast
    /// --size medium</c>, 2026-12-05): the raw blend was too wide — its P50, P80 and P95 are served from its 37th, 67th
    /// and 89th percentiles.
    /// </summary>
    public static ForecastCalibration ServedCalibration { get; } = new(
    [
        0.0, 0.042, 0.074, 0.0995, 0.1354, 0.171, 0.2107, 0.244, 0.2805, 0.3229, 0.3695,
        0.4115, 0.4565, 0.5, 0.553, 0.6145, 0.6705, 0.7235, 0.789, 0.8884, 1.0,
    ]);
}

/// <summary>A distribution of remaining days (sorted samples) and what it says.</summary>
public sealed class DaysDistribution
{
    private readonly double[] _sorted;

    public DaysDistribution(IEnumerable<double> days) : this(days.ToArray())
    {
    }

    /// <summary>Takes <paramref name="draws"/> as its own (sorted in place, not copied).</summary>
    private DaysDistribution(double[] draws)
    {
        _sorted = draws;
        DrawSort.Sort(_sorted);
    }

    /// <summary>The distribution of <paramref name="draws"/>, which it sorts in place and keeps (the caller must not reuse the array).</summary>
    public static DaysDistribution Own(double[] draws) => new(draws);

    public int Count => _sorted.Length;

    /// <summary>The <paramref name="p"/>-quantile of remaining days (linear interpolation between order statistics).</summary>
    public double Quantile(double p) => Quantile(_sorted, p);

    /// <summary>The <paramref name="p"/>-quantile of sorted samples (linear interpolation between order statistics; NaN for none).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var h = (sorted.Length - 1) * Math.Clamp(p, 0, 1);
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    internal ReadOnlySpan<double> Sorted => _sorted;

    /// <summary>Share of samples done within <paramref name="days"/>.</summary>
    public double ProbabilityWithin(double days)
    {
        if (_sorted.Length == 0)
        {
            return double.NaN;
        }
        var i = Array.BinarySearch(_sorted, days);
        if (i < 0)
        {
            i = ~i;
        }
        else
        {
            while (i < _sorted.Length && _sorted[i] <= days)
            {
                i++;
            }
        }
        return i / (double)_sorted.Length;
    }
}

/// <summary>A forecast of an epic's completion: the blended distribution, its parts, and what went into it.</summary>
public sealed record EpicForecast
{
    public required EpicState State { get; init; }
    public required ForecastMethod Method { get; init; }
    /// <summary>The Monte Carlo's share of the blend (1 for Monte Carlo only, 0 for the trajectory model only).</summary>
    public required double MonteCarloWeight { get; init; }
    public required DaysDistribution Days { get; init; }
    /// <summary>The Monte Carlo's own distribution (null without one, or when <see cref="ForecastOptions.KeepParts"/> is off).</summary>
    public DaysDistribution? MonteCarloDays { get; init; }
    /// <summary>The trajectory model's own distribution (null without one, or when <see cref="ForecastOptions.KeepParts"/> is off).</summary>
    public DaysDistribution? TrajectoryDays { get; init; }
    public required double RemainingPoints { get; init; }
    /// <summary>Remaining children whose points were estimated (by the complexity model, or the fallback).</summary>
    public required int EstimatedChildren { get; init; }
    public required double EstimatedPoints { get; init; }
    public required double Progress { get; init; }
    public TrajectoryPrior? Trajectory { get; init; }
    public required int Draws { get; init; }
    public required int Seed { get; init; }
    /// <summary>The recalibration applied to <see cref="Days"/> (the identity unless the forecast is a blend).</summary>
    public ForecastCalibration Calibration { get; init; } = ForecastCalibration.Identity;

    /// <summary>The calibrated <paramref name="p"/>-quantile of remaining days.</summary>
    public double DaysAt(double p) => Days.Quantile(Calibration.Level(p));

    /// <summary>The calibrated probability of being done within <paramref name="days"/>.</summary>
    public double ProbabilityWithin(double days) => Calibration.Probability(Days.ProbabilityWithin(days));

    public DateTime DateAt(double p) => State.AsOf.AddDays(DaysAt(p));

    public double ProbabilityBy(DateTime date) => ProbabilityWithin((date - State.AsOf).TotalDays);
}

/// <summary>
/// Epic completion by Monte Carlo, blended with the trajectory model. Plain C# (no database, gRPC or ML.NET types):
/// <list type="number">
/// <item><b>Monte Carlo</b>: the remaining children's points (estimated where missing) are worked off week by week,
/// each week's throughput drawn (bootstrap, with replacement) from the team's recent weeks — points completed per
/// epic it had in progress, since a team runs many epics at once; ≥ 10,000 draws, seeded.</item>
/// <item><b>Trajectory</b>: the model's log-normal lead time from the start of work, conditioned on the epic still
/// being open now (drawn from the part of the distribution beyond the days already spent).</item>
/// <item><b>Blend</b>: a mixture (linear pool) — each draw comes from the Monte Carlo with the weight for the epic's
/// progress, else from the trajectory model. A mixture keeps both sources' uncertainty and widens where they
/// disagree, which keeps the intervals honest; a product of the two (log-linear pool) would be narrower than either
/// and over-confident whenever one of them is off.</item>
/// </list>
/// </summary>
public static class EpicForecaster
{
    /// <summary>Weeks after which a draw stops (the epic is then "not in the next ten years").</summary>
    public const int MaxWeeks = 520;

    public static EpicForecast Forecast(EpicState state, IReadOnlyDictionary<long, double> estimatedPoints, TrajectoryPrior? trajectory, ForecastOptions options)
    {
        var remainingPoints = 0.0;
        var estimated = 0;
        var estimatedSum = 0.0;
        foreach (var c in state.Remaining)
        {
            if (c.Points is { } p)
            {
                remainingPoints += p;
            }
            else
            {
                var e = estimatedPoints.TryGetValue(c.Id, out var v) && double.IsFinite(v) && v > 0 ? v : 0;
                remainingPoints += e;
                estimatedSum += e;
                estimated++;
            }
        }
        var progress = state.DonePoints + remainingPoints > 0 ? state.DonePoints / (state.DonePoints + remainingPoints) : 0;
        var weekly = state.WeeklyPointsPerEpic.Where(w => double.IsFinite(w) && w >= 0).ToArray();
        // No children at all: no work to simulate (zero remaining points would say "done today").
        var canSimulate = weekly.Any(w => w > 0) && state.Remaining.Count + state.DoneChildren > 0;

        var elapsed = Math.Max(0, (state.AsOf - state.StartedAt).TotalDays);
        var (method, weight) = (canSimulate, trajectory is not null) switch
        {
            (true, true) => (ForecastMethod.Blend, options.WeightFor(progress)),
            (true, false) => (ForecastMethod.MonteCarlo, 1.0),
            (false, true) => (ForecastMethod.Trajectory, 0.0),
            _ => throw new NothingToForecastException(state.Remaining.Count + state.DoneChildren == 0
                ? $"epic '{state.Epic.Key}' has no child issues and the trajectory model has no prediction for it: nothing to forecast from (add its stories, or deploy the trajectory model)."
                : $"epic '{state.Epic.Key}': its team completed no story points in the {WorkHistory.DefaultWeeks} weeks before {state.AsOf:yyyy-MM-dd} and the trajectory model has no prediction for it: nothing to forecast from."),
        };
        // Each source draws from a stream of its own (seed, seed + 1; the blend seed + 2), so a source's draws do not
        // depend on whether the other one exists.
        DaysDistribution? monteCarlo = null, model = null, blended;
        if (method == ForecastMethod.Blend && !options.KeepParts)
        {
            // Only the blend is served: the parts live in pooled buffers for as long as the mixture reads them.
            var mcDraws = System.Buffers.ArrayPool<double>.Shared.Rent(options.Draws);
            var trajectoryDraws = System.Buffers.ArrayPool<double>.Shared.Rent(options.Draws);
            try
            {
                var mc = mcDraws.AsSpan(0, options.Draws);
                var tr = trajectoryDraws.AsSpan(0, options.Draws);
                MonteCarlo(remainingPoints, weekly, mc, new SeededRandom(options.Seed));
                DrawSort.Sort(mc);
                Trajectory(trajectory!, elapsed, tr, new SeededRandom(options.Seed + 1));
                DrawSort.Sort(tr);
                blended = DaysDistribution.Own(Mix(mc, tr, weight, options.Draws, new SeededRandom(options.Seed + 2)));
            }
            finally
            {
                System.Buffers.ArrayPool<double>.Shared.Return(mcDraws);
                System.Buffers.ArrayPool<double>.Shared.Return(trajectoryDraws);
            }
        }
        else
        {
            monteCarlo = canSimulate ? DaysDistribution.Own(MonteCarlo(remainingPoints, weekly, options.Draws, new SeededRandom(options.Seed))) : null;
            model = trajectory is null ? null : DaysDistribution.Own(Trajectory(trajectory, elapsed, options.Draws, new SeededRandom(options.Seed + 1)));
            blended = method == ForecastMethod.Blend
                ? DaysDistribution.Own(Mix(monteCarlo!.Sorted, model!.Sorted, weight, options.Draws, new SeededRandom(options.Seed + 2)))
                : monteCarlo ?? model!;
        }
        return new EpicForecast
        {
            State = state,
            Method = method,
            MonteCarloWeight = weight,
            Days = blended,
            MonteCarloDays = options.KeepParts ? monteCarlo : null,
            TrajectoryDays = options.KeepParts ? model : null,
            RemainingPoints = remainingPoints,
            EstimatedChildren = estimated,
            EstimatedPoints = estimatedSum,
            Progress = progress,
            Trajectory = trajectory,
            Draws = options.Draws,
            Seed = options.Seed,
            Calibration = method == ForecastMethod.Blend ? options.BlendCalibration : ForecastCalibration.Identity,
        };
    }

    /// <summary>Days to work off <paramref name="points"/>, one draw per element: weeks drawn from <paramref name="weekly"/> with replacement.</summary>
    public static double[] MonteCarlo(double points, IReadOnlyList<double> weekly, int draws, SeededRandom rng)
    {
        var days = new double[draws];
        MonteCarlo(points, weekly, days, rng);
        return days;
    }

    /// <summary>Days to work off <paramref name="points"/> into <paramref name="days"/>, one draw per element.</summary>
    public static void MonteCarlo(double points, IReadOnlyList<double> weekly, Span<double> days, SeededRandom rng)
    {
        var draws = days.Length;
        if (points <= 0)
        {
            days.Clear(); // nothing left: done as soon as it is closed
            return;
        }
        // The inner loop is the forecast's cost (one draw per simulated week: remaining points / weekly pace of them per
        // draw), so it reads an array and a cheap generator (an interface call and System.Random's seeded generator made
        // it 4-25 times slower).
        var pace = weekly as double[] ?? [.. weekly];
        for (var d = 0; d < draws; d++)
        {
            var left = points;
            var weeks = 0.0;
            while (left > 0 && weeks < MaxWeeks)
            {
                var t = pace[rng.NextBelow(pace.Length)];
                if (t >= left)
                {
                    weeks += left / t;
                    left = 0;
                }
                else
                {
                    left -= t;
                    weeks += 1;
                }
            }
            days[d] = 7 * Math.Min(weeks, MaxWeeks);
        }
    }

    /// <summary>Remaining days by the trajectory model: lead time ~ log-normal, given that <paramref name="elapsedDays"/> have passed.</summary>
    public static double[] Trajectory(TrajectoryPrior prior, double elapsedDays, int draws, SeededRandom rng)
    {
        var days = new double[draws];
        Trajectory(prior, elapsedDays, days, rng);
        return days;
    }

    /// <summary>Remaining days by the trajectory model into <paramref name="days"/>, one draw per element.</summary>
    public static void Trajectory(TrajectoryPrior prior, double elapsedDays, Span<double> days, SeededRandom rng)
    {
        var (mu, sigma) = (prior.Mu, prior.Sigma);
        var p0 = elapsedDays > 0 ? Gaussian.Cdf((Math.Log(elapsedDays) - mu) / sigma) : 0;
        p0 = Math.Min(p0, 0.999); // past nearly all of it: the last tenth of a percent, not a point mass at today
        for (var d = 0; d < days.Length; d++)
        {
            var u = Math.Clamp(p0 + (1 - p0) * rng.NextDouble(), 1e-12, 1 - 1e-12);
            days[d] = Math.Max(0, Math.Exp(mu + sigma * Gaussian.Quantile(u)) - elapsedDays);
        }
    }

    /// <summary>The blend of two distributions with the Monte Carlo's weight (as <see cref="Forecast"/> does; the backtest tunes the weight with it).</summary>
    public static DaysDistribution Blend(DaysDistribution monteCarlo, DaysDistribution trajectory, double weight, int draws, int seed) =>
        DaysDistribution.Own(Mix(monteCarlo.Sorted, trajectory.Sorted, weight, draws, new SeededRandom(seed + 2)));

    /// <summary>Draws of the mixture: from <paramref name="a"/> with probability <paramref name="weightA"/>, else from <paramref name="b"/>.</summary>
    private static double[] Mix(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double weightA, int draws, SeededRandom rng)
    {
        var result = new double[draws];
        for (var d = 0; d < draws; d++)
        {
            var fromA = rng.NextDouble() < weightA;
            result[d] = DaysDistribution.Quantile(fromA ? a : b, rng.NextDouble());
        }
        return result;
    }
}

/// <summary>
/// Sorts a forecast's draws. Days are never negative, and for non-negative doubles (no NaN, no −0) the order of the
/// values is the order of their bit patterns, so an LSD radix sort on those (8 passes of 8 bits, a pass skipped when
/// every draw has the same byte there) gives exactly the array <see cref="Array.Sort(double[])"/> gives — equal values
/// have equal bits — in a fraction of the time (10,000 draws: three sorts per epic were most of a forecast's cost).
/// Anything else (a negative value, NaN) goes to <see cref="MemoryExtensions.Sort{T}(Span{T})"/>.
/// </summary>
public static class DrawSort
{
    private const int Small = 256;

    public static void Sort(Span<double> values)
    {
        var n = values.Length;
        if (n < Small)
        {
            values.Sort();
            return;
        }
        var keys = System.Runtime.InteropServices.MemoryMarshal.Cast<double, ulong>(values);
        // One pass for all eight byte histograms; any value with the sign bit set (negative, −0) or NaN falls back.
        Span<int> counts = stackalloc int[8 * 256];
        counts.Clear();
        foreach (var k in keys)
        {
            if (k >= 0x7FF0_0000_0000_0001UL) // sign bit set, or a NaN (all exponent bits, non-zero mantissa)
            {
                values.Sort();
                return;
            }
            for (var b = 0; b < 8; b++)
            {
                counts[(b << 8) | (int)((k >> (8 * b)) & 0xFF)]++;
            }
        }
        var buffer = System.Buffers.ArrayPool<ulong>.Shared.Rent(n);
        try
        {
            Span<ulong> from = keys, to = buffer.AsSpan(0, n);
            Span<int> offsets = stackalloc int[256];
            for (var b = 0; b < 8; b++)
            {
                var histogram = counts.Slice(b << 8, 256);
                if (histogram[(int)((from[0] >> (8 * b)) & 0xFF)] == n)
                {
                    continue; // every key has this byte: the pass would not move anything
                }
                var sum = 0;
                for (var i = 0; i < 256; i++)
                {
                    offsets[i] = sum;
                    sum += histogram[i];
                }
                var shift = 8 * b;
                foreach (var k in from)
                {
                    to[offsets[(int)((k >> shift) & 0xFF)]++] = k;
                }
                var swap = from;
                from = to;
                to = swap;
            }
            if (from != keys)
            {
                from.CopyTo(keys);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(buffer);
        }
    }
}

/// <summary>An epic the forecast cannot say anything about (no children and no trajectory prediction, or no throughput).</summary>
public sealed class NothingToForecastException(string message) : Exception(message);

/// <summary>The standard normal distribution's CDF and quantile function.</summary>
public static class Gaussian
{
    /// <summary>Φ(x), via the complementary error function (Abramowitz &amp; Stegun 7.1.26; |error| &lt; 1.5e-7).</summary>
    public static double Cdf(double x)
    {
        var z = Math.Abs(x) / Math.Sqrt(2);
        var t = 1 / (1 + 0.3275911 * z);
        var erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.Exp(-z * z);
        return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    }

    /// <summary>Φ⁻¹(p) (Acklam's rational approximation; relative error &lt; 1.2e-9).</summary>
    public static double Quantile(double p)
    {
        if (p <= 0)
        {
            return double.NegativeInfinity;
        }
        if (p >= 1)
        {
            return double.PositiveInfinity;
        }
        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        var r = p - 0.5;
        var s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }
}
