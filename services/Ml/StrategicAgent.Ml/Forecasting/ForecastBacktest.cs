namespace StrategicAgent.Ml.Forecasting;

/// <summary>One backtest case: a completed epic replayed at a fraction of its life, with what actually happened.</summary>
public sealed record BacktestCase(EpicForecast Forecast, DateTime ActualCompletion, double Fraction, bool Dev)
{
    public double ActualDays => (ActualCompletion - Forecast.State.AsOf).TotalDays;
}

/// <summary>How one method did on a set of cases.</summary>
public sealed record BacktestScore(string Method, string Slice, int Cases, double P80Coverage, double P95Coverage, double Central80Coverage,
    double P50MaeDays, double PinballLoss);

/// <summary>
/// Replays completed epics at 25 / 50 / 75 % of their life — what was known then (children created by then, done by
/// then, the team's weeks before) — forecasts them, and scores each method against the actual completion: coverage of
/// the P80 and P95 dates (share of epics done by then), of the central 80 % interval (P10–P90), the P50 date's mean
/// absolute error in days, and the mean quantile (pinball) loss over P50/P80/P95. The blend's weights and its
/// recalibration are chosen on the dev half (by epic id) and graded on the test half.
/// </summary>
public static class ForecastBacktest
{
    public static readonly IReadOnlyList<double> Fractions = [0.25, 0.5, 0.75];
    private static readonly double[] ScoredQuantiles = [0.5, 0.8, 0.95];

    /// <summary>
    /// The cases of <paramref name="epics"/> (done, with children, 1–365 days of work): each replayed at each fraction.
    /// <paramref name="estimate"/> gives estimated points of unpointed children; <paramref name="prior"/> the trajectory
    /// model's prediction for the epic (as of its start), or null.
    /// </summary>
    public static List<BacktestCase> Cases(WorkHistory history, IEnumerable<WorkItem> epics,
        Func<EpicState, IReadOnlyDictionary<long, double>> estimate, Func<WorkItem, TrajectoryPrior?> prior, ForecastOptions options)
    {
        var cases = new List<BacktestCase>();
        foreach (var epic in epics)
        {
            if (!epic.Done || epic.Completed is not { } completed || !history.ChildrenOf(epic.Id).Any())
            {
                continue;
            }
            var start = history.StartOf(epic, completed);
            var life = (completed - start).TotalDays;
            if (life is < 1 or > 365)
            {
                continue;
            }
            var trajectory = prior(epic);
            foreach (var f in Fractions)
            {
                var state = history.StateAt(epic, start.AddDays(f * life), options.Weeks);
                if (state.WeeklyPointsPerEpic.All(w => w <= 0) && trajectory is null)
                {
                    continue;
                }
                var forecast = EpicForecaster.Forecast(state, estimate(state), trajectory, options);
                cases.Add(new BacktestCase(forecast, completed, f, Dev: epic.Id % 2 == 0));
            }
        }
        return cases;
    }

    /// <summary>The Monte Carlo weights per progress third with the lowest pinball loss on <paramref name="cases"/> (grid 0, 0.1, …, 1).</summary>
    public static IReadOnlyList<double> TuneWeights(IReadOnlyList<BacktestCase> cases, ForecastOptions options)
    {
        var weights = new double[3];
        for (var bucket = 0; bucket < 3; bucket++)
        {
            var mine = cases.Where(c => Bucket(c.Forecast.Progress) == bucket && c.Forecast.Method == ForecastMethod.Blend).ToList();
            if (mine.Count == 0)
            {
                weights[bucket] = options.MonteCarloWeights[bucket];
                continue;
            }
            weights[bucket] = Enumerable.Range(0, 11).Select(k => k / 10.0)
                .MinBy(w => mine.Average(c => Pinball(EpicForecaster.Blend(c.Forecast.MonteCarloDays!, c.Forecast.TrajectoryDays!, w, options.Draws, options.Seed), c.ActualDays)));
        }
        return weights;
    }

    /// <summary>
    /// The blend's recalibration fitted on <paramref name="cases"/> (the dev half) with <paramref name="options"/>' weights:
    /// the quantiles of where each actual completion fell in its raw blended distribution.
    /// </summary>
    public static ForecastCalibration FitCalibration(IReadOnlyList<BacktestCase> cases, ForecastOptions options) =>
        ForecastCalibration.Fit(cases.Where(c => c.Forecast.Method == ForecastMethod.Blend)
            .Select(c => RawBlend(c, options).ProbabilityWithin(c.ActualDays)));

    /// <summary>
    /// Scores of the blend (with <paramref name="options"/>' weights and calibration), the Monte Carlo alone and the
    /// trajectory model alone (each as it comes, uncalibrated), on cases where all three exist.
    /// </summary>
    public static IReadOnlyList<BacktestScore> Score(IReadOnlyList<BacktestCase> cases, ForecastOptions options, string slice)
    {
        var both = cases.Where(c => c.Forecast.Method == ForecastMethod.Blend).ToList();
        var methods = new (string Name, Func<BacktestCase, Func<double, double>> DaysAt)[]
        {
            ("blend", c =>
            {
                var d = RawBlend(c, options);
                return p => d.Quantile(options.BlendCalibration.Level(p));
            }),
            ("monte_carlo", c => c.Forecast.MonteCarloDays!.Quantile),
            ("trajectory", c => c.Forecast.TrajectoryDays!.Quantile),
        };
        var scores = new List<BacktestScore>();
        foreach (var (name, daysAt) in methods)
        {
            var d = both.Select(c => (At: daysAt(c), c.ActualDays)).ToList();
            if (d.Count == 0)
            {
                continue;
            }
            scores.Add(new BacktestScore(name, slice, d.Count,
                P80Coverage: d.Average(x => x.ActualDays <= x.At(0.8) ? 1.0 : 0),
                P95Coverage: d.Average(x => x.ActualDays <= x.At(0.95) ? 1.0 : 0),
                Central80Coverage: d.Average(x => x.ActualDays >= x.At(0.1) && x.ActualDays <= x.At(0.9) ? 1.0 : 0),
                P50MaeDays: d.Average(x => Math.Abs(x.ActualDays - x.At(0.5))),
                PinballLoss: d.Average(x => Pinball(x.At, x.ActualDays))));
        }
        return scores;
    }

    private static DaysDistribution RawBlend(BacktestCase c, ForecastOptions options) =>
        EpicForecaster.Blend(c.Forecast.MonteCarloDays!, c.Forecast.TrajectoryDays!, options.WeightFor(c.Forecast.Progress), options.Draws, options.Seed);

    /// <summary>Mean quantile loss over P50, P80 and P95 (lower is better; a proper score for quantiles).</summary>
    public static double Pinball(DaysDistribution days, double actual) => Pinball(days.Quantile, actual);

    private static double Pinball(Func<double, double> daysAt, double actual) =>
        ScoredQuantiles.Average(p =>
        {
            var q = daysAt(p);
            return actual >= q ? p * (actual - q) : (1 - p) * (q - actual);
        });

    private static int Bucket(double progress) => progress < 1.0 / 3 ? 0 : progress < 2.0 / 3 ? 1 : 2;
}
