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
/// the Monte Carlo alone, the trajectory model alone and the blend; each is scored against the actual completion —
/// coverage of the P80 and P95 dates, of the central 80 % interval, the P50 date's mean absolute error and the mean
/// quantile loss. The trajectory model is trained here on the older epics (time split, as training does) and predicts
/// only the newest (its test slice), so no replayed epic was in its training data. The blend's weights are chosen on
/// the dev half of those epics (even ids) and graded on the test half (odd ids). Unpointed children count the team's
/// typical points (the complexity model is not retrained for the replay).
/// </summary>
public static class ForecastBench
{
    private const string Usage = """
        bench forecast [--size small|medium] [--draws 2000] [--seed 20251205] [--out results.md]
          Starts PostgreSQL primary + replica in a temporary directory, loads the demo data (default small, seed 42,
          reference date today), trains the trajectory model on the older completed epics and backtests the forecast
          on the replica's history. Prints the tables (markdown) and writes them to --out when given.
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (BenchArgs.Parse("bench forecast", Usage, args, out var o) is { } exit)
        {
            return exit;
        }
        DemoDataSize size;
        int draws, seed;
        try
        {
            size = Enum.Parse<DemoDataSize>(o.GetValueOrDefault("size", "small"), ignoreCase: true);
            draws = int.Parse(o.GetValueOrDefault("draws", "2000"), CultureInfo.InvariantCulture);
            seed = int.Parse(o.GetValueOrDefault("seed", ForecastOptions.DefaultSeed.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            if (draws is < 200 or > 100_000)
            {
                throw new ArgumentException("--draws in 200..100000");
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
            Id = 0, ModelName = trained.Set.ModelName, Version = 0, Algorithm = trained.Algorithm, Status = "candidate",
        }, trained.Model, trained.Calibration);
        var testRows = TimeSplit.Split(rows, h).Test;
        var priors = predictor.PredictRegression(testRows).ToDictionary(p => p.EntityId,
            p => new TrajectoryPrior(p.Value, p.Lower, p.Upper, p.Coverage, "backtest"));
        Console.WriteLine($"trajectory trained on {rows.Count - testRows.Count} older epics, priors for the newest {priors.Count}, after {sw.Elapsed.TotalSeconds:0} s");

        var options = new ForecastOptions { Draws = draws, Seed = seed };
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

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"{size} demo data (seed 42): {tenants.Count} tenants, {epicsDone:N0} completed epics; replayed at 25/50/75 % of their life; {draws:N0} draws, seed {seed}.");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Trajectory model trained on {rows.Count - testRows.Count:N0} older completed epics (80 iterations, 15 leaves); the {priors.Count:N0} newest are the blend's cases.");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Blend weights (Monte Carlo share for progress < 1/3, < 2/3, beyond) chosen on the dev epics: {string.Join(" / ", tuned.Select(w => w.ToString("0.0", CultureInfo.InvariantCulture)))} " +
            $"(served defaults {string.Join(" / ", options.MonteCarloWeights.Select(w => w.ToString("0.0", CultureInfo.InvariantCulture)))}).");
        report.AppendLine();
        report.AppendLine("| slice | method | cases | P80 coverage | P95 coverage | P10–P90 coverage | P50 MAE (days) | quantile loss |");
        report.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var (slice, cases, opts) in new[] { ("test (served weights)", test, options), ("test (dev-tuned weights)", test, tunedOptions), ("dev", dev, tunedOptions) })
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
        report.AppendLine("By fraction of life (test slice, served weights), P80 coverage of the blend:");
        foreach (var f in ForecastBacktest.Fractions)
        {
            var part = test.Where(c => c.Fraction == f).ToList();
            var score = ForecastBacktest.Score(part, options, "").FirstOrDefault(s => s.Method == "blend");
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"* {f:P0}: {(score is null ? "–" : $"{score.P80Coverage:P1} of {score.Cases}, P50 MAE {score.P50MaeDays:0.0} days")}"));
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
