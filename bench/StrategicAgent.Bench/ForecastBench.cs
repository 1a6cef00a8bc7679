using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using StrategicAgent.Data.DemoData;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Forecasting;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Models.Trajectory;
using StrategicAgent.Ml.Registry;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench forecast</c>: the epic completion forecast's backtest on the demo data's history. Completed epics are
/// replayed at 25 / 50 / 75 % of their life (children known then, done then, the team's weeks before) and forecast by
/// the Monte Carlo alone, the trajectory model alone and the blend (recalibrated); each is scored against the actual completion —
/// coverage of the P80 and P95 dates, of the central 80 % interval, the P50 date's mean absolute error and the mean
/// quantile loss. The trajectory model is trained here on the older epics (time split, as training does) and predicts
/// only the newest (its test slice), so no replayed epic was in its training data. The blend's weights and its quantile
/// recalibration are chosen on the dev half of those epics (even ids) and graded on the test half (odd ids). Unpointed children count the team's
/// typical points (the complexity model is not retrained for the replay).
/// </summary>
public static class ForecastBench
{
    private const string Usage = """
        bench forecast [--size small|medium] [--draws 2000] [--seed 20251205] [--weights 0.2/0.9/0.6] [--levels 0,0.05,…,1] [--out results.md]
          Starts PostgreSQL primary + replica in a temporary directory, loads the demo data (default small, seed 42,
          reference date today), trains the trajectory model on the older completed epics and backtests the forecast
          on the replica's history. Prints the tables (markdown) and writes them to --out when given.
          --weights / --levels replace the served blend weights / recalibration levels in the "served" rows (e.g. the
          ones another run's dev half chose, to grade them on data they were not chosen on).
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (BenchArgs.Parse("bench forecast", Usage, args, out var o) is { } exit)
        {
            return exit;
        }
        DemoDataSize size;
        int draws, seed;
        IReadOnlyList<double>? weights = null;
        ForecastCalibration? levels = null;
        try
        {
            size = Enum.Parse<DemoDataSize>(o.GetValueOrDefault("size", "small"), ignoreCase: true);
            draws = int.Parse(o.GetValueOrDefault("draws", "2000"), CultureInfo.InvariantCulture);
            seed = int.Parse(o.GetValueOrDefault("seed", ForecastOptions.DefaultSeed.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            if (draws is < 200 or > 100_000)
            {
                throw new ArgumentException("--draws in 200..100000");
            }
            if (o.TryGetValue("weights", out var w))
            {
                weights = w.Split('/').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                if (weights.Count != 3 || weights.Any(x => x is < 0 or > 1))
                {
                    throw new ArgumentException("--weights: three Monte Carlo shares in [0, 1], e.g. 0.2/0.9/0.6");
                }
            }
            if (o.TryGetValue("levels", out var l))
            {
                levels = new ForecastCalibration(l.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray());
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"bench forecast: {ex.Message}\n{Usage}");
            return 64;
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"# bench forecast — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Load average (1/5/15 min) at start: {LoadAverage()}.");
        var sw = Stopwatch.StartNew();
        await using var data = await SelfHostedData.StartAsync("forecast", ct);
        await data.LoadDemoDataAsync(new DemoDataOptions { Size = size, Seed = 42, ReferenceDate = DateOnly.FromDateTime(DateTime.UtcNow) },
            catchUpTimeout: TimeSpan.FromMinutes(30), ct: ct);
        Console.WriteLine($"servers and {size} demo data ready in {sw.Elapsed.TotalSeconds:0} s");
        await using var replica = NpgsqlDataSource.Create(data.Replica);

        // The trajectory model on the older completed epics; priors for the newest (its test slice) only.
        var h = new Hyperparameters { Iterations = 80, Leaves = 15 };
        var rows = await FeatureReader.ReadTrainingRowsAsync<TrajectoryFeatures>(replica, TrajectoryModel.Instance.Features, h.MaxRows, ct);
        var trained = TrajectoryModel.Instance.Train(rows, h);
        var predictor = ModelPredictor.FromModel(new RegisteredModel
        {
            Id = 0, ModelName = trained.Set.ModelName, Version = 0, Algorithm = trained.Algorithm, Status = VersionStatus.Candidate,
        }, trained.Model, trained.Calibration);
        var testRows = TimeSplit.Split(rows, h).Test;
        var priors = predictor.PredictRegression(testRows).ToDictionary(p => p.EntityId,
            p => new TrajectoryPrior(p.Value, p.Lower, p.Upper, p.Coverage, "backtest"));
        Console.WriteLine($"trajectory trained on {rows.Count - testRows.Count} older epics, priors for the newest {priors.Count}, after {sw.Elapsed.TotalSeconds:0} s");

        var options = new ForecastOptions { Draws = draws, Seed = seed };
        options = options with
        {
            MonteCarloWeights = weights ?? options.MonteCarloWeights,
            BlendCalibration = levels ?? options.BlendCalibration,
        };
        var withPrior = new List<BacktestCase>();
        var monteCarloOnly = new List<BacktestCase>();
        var tenants = new List<long>();
        await using (var conn = await replica.OpenConnectionAsync(ct))
        await using (var cmd = new NpgsqlCommand("SELECT id FROM clients ORDER BY id", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                tenants.Add(r.GetInt64(0));
            }
        }
        var epicsDone = 0;
        foreach (var tenant in tenants)
        {
            WorkHistory history;
            await using (var conn = await replica.OpenConnectionAsync(ct))
            {
                history = await WorkHistoryReader.ReadAsync(conn, tenant, ct);
            }
            var done = history.Epics.Where(e => e.Done && e.Completed is not null).ToList();
            epicsDone += done.Count;
            withPrior.AddRange(ForecastBacktest.Cases(history, done.Where(e => priors.ContainsKey(e.Id)), history.FallbackEstimates,
                e => priors.GetValueOrDefault(e.Id), options));
            monteCarloOnly.AddRange(ForecastBacktest.Cases(history, done, history.FallbackEstimates, _ => null, options));
        }
        Console.WriteLine($"{withPrior.Count} cases with a trajectory prior, {monteCarloOnly.Count} Monte Carlo cases, after {sw.Elapsed.TotalSeconds:0} s");

        var dev = withPrior.Where(c => c.Dev).ToList();
        var test = withPrior.Where(c => !c.Dev).ToList();
        var tuned = ForecastBacktest.TuneWeights(dev, options);
        var tunedOptions = options with { MonteCarloWeights = tuned };
        tunedOptions = tunedOptions with { BlendCalibration = ForecastBacktest.FitCalibration(dev, tunedOptions) };
        Console.WriteLine($"weights and calibration chosen on {dev.Count} dev cases after {sw.Elapsed.TotalSeconds:0} s");

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"{size} demo data (seed 42): {tenants.Count} tenants, {epicsDone:N0} completed epics; replayed at 25/50/75 % of their life; {draws:N0} draws, seed {seed}.");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Trajectory model trained on {rows.Count - testRows.Count:N0} older completed epics (80 iterations, 15 leaves); the {priors.Count:N0} newest are the blend's cases.");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Blend weights (Monte Carlo share for progress < 1/3, < 2/3, beyond) chosen on the dev epics: {string.Join(" / ", tuned.Select(w => w.ToString("0.0", CultureInfo.InvariantCulture)))} " +
            $"(served {string.Join(" / ", options.MonteCarloWeights.Select(w => w.ToString("0.0", CultureInfo.InvariantCulture)))}{(weights is null ? ", the defaults" : ", from --weights")}).");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"chosen: --weights {string.Join("/", tuned.Select(w => w.ToString("0.0", CultureInfo.InvariantCulture)))} --levels {Levels(tunedOptions.BlendCalibration).Replace(" ", "", StringComparison.Ordinal)}");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Blend recalibration chosen on the dev epics (raw level per calibrated 0, 5, …, 100 %): [{Levels(tunedOptions.BlendCalibration)}]; " +
            $"served: [{Levels(options.BlendCalibration)}]. Calibrated P50/P80/P95 = raw {tunedOptions.BlendCalibration.Level(0.5):0.000}/{tunedOptions.BlendCalibration.Level(0.8):0.000}/{tunedOptions.BlendCalibration.Level(0.95):0.000}.");
        report.AppendLine();
        report.AppendLine("| slice | method | cases | P80 coverage | P95 coverage | P10–P90 coverage | P50 MAE (days) | quantile loss |");
        report.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var (slice, cases, opts) in new[] { ("test, served", test, options), ("test, dev-chosen", test, tunedOptions), ("dev, dev-chosen", dev, tunedOptions) })
        {
            foreach (var s in ForecastBacktest.Score(cases, opts, slice))
            {
                report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {s.Slice} | {s.Method} | {s.Cases} | {s.P80Coverage:P1} | {s.P95Coverage:P1} | {s.Central80Coverage:P1} | {s.P50MaeDays:0.0} | {s.PinballLoss:0.00} |"));
            }
        }
        var mc = monteCarloOnly.Where(c => c.Forecast.MonteCarloDays is not null).ToList();
        if (mc.Count > 0)
        {
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| all completed epics | monte_carlo | {mc.Count} | {mc.Average(c => c.ActualDays <= c.Forecast.MonteCarloDays!.Quantile(0.8) ? 1.0 : 0):P1} | " +
                $"{mc.Average(c => c.ActualDays <= c.Forecast.MonteCarloDays!.Quantile(0.95) ? 1.0 : 0):P1} | " +
                $"{mc.Average(c => c.ActualDays >= c.Forecast.MonteCarloDays!.Quantile(0.1) && c.ActualDays <= c.Forecast.MonteCarloDays!.Quantile(0.9) ? 1.0 : 0):P1} | " +
                $"{mc.Average(c => Math.Abs(c.ActualDays - c.Forecast.MonteCarloDays!.Quantile(0.5))):0.0} | {mc.Average(c => ForecastBacktest.Pinball(c.Forecast.MonteCarloDays!, c.ActualDays)):0.00} |"));
        }
        report.AppendLine();
        report.AppendLine("By fraction of life — the sources alone as they come, the blend with the served weights and calibration and with those chosen on this run's dev half:");
        report.AppendLine();
        report.AppendLine("| slice | life | cases | P80 coverage: trajectory / Monte Carlo / blend served / blend dev-chosen | P50 MAE (days): trajectory / Monte Carlo / blend served / blend dev-chosen |");
        report.AppendLine("|---|---|---:|---|---|");
        foreach (var (slice, cases) in new[] { ("dev", dev), ("test", test) })
        {
            foreach (var f in ForecastBacktest.Fractions.Select(f => (double?)f).Append(null))
            {
                var part = cases.Where(c => f is null || c.Fraction == f).ToList();
                var scores = ForecastBacktest.Score(part, options, slice).ToDictionary(x => x.Method);
                var chosen = ForecastBacktest.Score(part, tunedOptions, slice).FirstOrDefault(x => x.Method == "blend");
                if (scores.Count < 3 || chosen is null)
                {
                    continue;
                }
                var (t, m, b) = (scores["trajectory"], scores["monte_carlo"], scores["blend"]);
                report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {slice} | {(f is { } fr ? $"{fr:P0}" : "all")} | {b.Cases} | {t.P80Coverage:P1} / {m.P80Coverage:P1} / {b.P80Coverage:P1} / {chosen.P80Coverage:P1} | " +
                    $"{t.P50MaeDays:0.0} / {m.P50MaeDays:0.0} / {b.P50MaeDays:0.0} / {chosen.P50MaeDays:0.0} |"));
            }
        }
        foreach (var (name, opts) in new[] { ("served", options), ("dev-chosen", tunedOptions) })
        {
            var s = ForecastBacktest.Score(test, opts, "test").ToDictionary(x => x.Method);
            if (s.Count < 3)
            {
                continue;
            }
            var bestCoverage = Math.Min(Math.Abs(s["trajectory"].P80Coverage - 0.8), Math.Abs(s["monte_carlo"].P80Coverage - 0.8));
            var bestMae = Math.Min(s["trajectory"].P50MaeDays, s["monte_carlo"].P50MaeDays);
            var blend = s["blend"];
            report.AppendLine();
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Test half, blend {name}: P80 coverage {blend.P80Coverage:P1} ({(blend.P80Coverage is >= 0.75 and <= 0.85 ? "within" : "OUTSIDE")} 75–85 %; " +
                $"{Math.Abs(blend.P80Coverage - 0.8):P1} from 80 % vs the better source's {bestCoverage:P1}: {(Math.Abs(blend.P80Coverage - 0.8) <= bestCoverage ? "no worse" : "WORSE")}); " +
                $"P50 MAE {blend.P50MaeDays:0.0} days vs the better source's {bestMae:0.0}: {(blend.P50MaeDays <= bestMae ? "no worse" : "WORSE")}."));
        }

        // Reproducibility: the same seed and data give the same dates.
        if (test.FirstOrDefault() is { } sample)
        {
            var again = EpicForecaster.Forecast(sample.Forecast.State, new Dictionary<long, double>(), sample.Forecast.Trajectory, options);
            var first = EpicForecaster.Forecast(sample.Forecast.State, new Dictionary<long, double>(), sample.Forecast.Trajectory, options);
            report.AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture,
                $"Seeded run twice ({sample.Forecast.State.Epic.Key}): P50/P80/P95 {first.DateAt(0.5):yyyy-MM-dd}/{first.DateAt(0.8):yyyy-MM-dd}/{first.DateAt(0.95):yyyy-MM-dd} and " +
                $"{again.DateAt(0.5):yyyy-MM-dd}/{again.DateAt(0.8):yyyy-MM-dd}/{again.DateAt(0.95):yyyy-MM-dd}: {(first.DateAt(0.5) == again.DateAt(0.5) && first.DateAt(0.95) == again.DateAt(0.95) ? "identical" : "DIFFERENT")}.");
        }
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Load average at the end: {LoadAverage()}; total {sw.Elapsed.TotalSeconds:0} s.");
        var text = report.ToString();
        Console.WriteLine(text);
        if (o.TryGetValue("out", out var path))
        {
            await File.WriteAllTextAsync(path, text, ct);
        }
        return 0;
    }

    private static string Levels(ForecastCalibration c) =>
        string.Join(", ", c.Levels.Select(l => l.ToString("0.0###", CultureInfo.InvariantCulture)));

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
