using StrategicAgent.Ml.Forecasting;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The forecast's numbers do not move when its code is made cheaper: on a tenant-sized synthetic work history (3,000
/// epics, 8 teams) the states of 50 open epics, their forecasts (P10/P50/P80/P95, the odds of 30 days, both parts'
/// medians) and 573 backtest replays hash to the values the code produced before its cost was cut (2026-12-06, the
/// generator then still ForecastRandom, the draws sorted by Array.Sort and copied into each distribution). Plain C#.
/// </summary>
public sealed class ForecastGoldenTests
{
    private const ulong Offset = GoldenHash.Offset;
    private static readonly WorkHistory History = SyntheticHistory.Build(3000, 8, 11);

    private static TrajectoryPrior Prior(WorkItem e) => new(20 + e.Id % 90, 8 + e.Id % 30, 60 + e.Id % 200, 0.8, "1");

    private static List<WorkItem> Open() => History.Epics.Where(e => !e.Done && e.Started is not null).OrderBy(e => e.Id).Take(50).ToList();

    [Fact]
    public void Open_epics_states_and_forecasts_are_the_ones_they_were()
    {
        var options = new ForecastOptions();
        var (states, forecasts) = (Offset, Offset);
        foreach (var e in Open())
        {
            var s = History.StateAt(e, SyntheticHistory.Now);
            var estimates = History.FallbackEstimates(s);
            states = SyntheticHistory.Hash(states, s, estimates);
            try
            {
                forecasts = SyntheticHistory.Hash(forecasts, EpicForecaster.Forecast(s, estimates, e.Id % 5 == 0 ? null : Prior(e), options));
            }
            catch (NothingToForecastException)
            {
                forecasts = GoldenHash.Add(forecasts, 1);
            }
        }
        Assert.Equal(0x58C3805FA700BEEAUL, states);
        Assert.Equal(0x979148426D03F087UL, forecasts);
    }

    [Fact]
    public void Backtest_replays_are_the_ones_they_were()
    {
        var done = History.Epics.Where(e => e.Done).OrderBy(e => e.Id).Take(200).ToList();
        var cases = ForecastBacktest.Cases(History, done, History.FallbackEstimates, Prior, new ForecastOptions { Draws = 2000 });
        var h = Offset;
        foreach (var c in cases)
        {
            h = SyntheticHistory.Hash(h, c.Forecast.State, new Dictionary<long, double>());
            h = SyntheticHistory.Hash(h, c.Forecast);
        }
        Assert.Equal(573, cases.Count);
        Assert.Equal(0x33120CDCCDE89D3DUL, h);
    }

    [Fact]
    public void Serving_without_the_parts_gives_the_same_blend()
    {
        var options = new ForecastOptions();
        var blends = 0;
        foreach (var e in Open())
        {
            var s = History.StateAt(e, SyntheticHistory.Now);
            var estimates = History.FallbackEstimates(s);
            EpicForecast kept, served;
            try
            {
                kept = EpicForecaster.Forecast(s, estimates, Prior(e), options);
                served = EpicForecaster.Forecast(s, estimates, Prior(e), options with { KeepParts = false });
            }
            catch (NothingToForecastException)
            {
                continue;
            }
            blends += kept.Method == ForecastMethod.Blend ? 1 : 0;
            Assert.Equal(kept.Method, served.Method);
            Assert.Null(served.MonteCarloDays);
            Assert.Null(served.TrajectoryDays);
            foreach (var p in new[] { 0.05, 0.1, 0.5, 0.8, 0.95, 0.99 })
            {
                Assert.Equal(kept.DaysAt(p), served.DaysAt(p));
            }
            Assert.Equal(kept.ProbabilityWithin(45), served.ProbabilityWithin(45));
        }
        Assert.True(blends >= 20, $"{blends} blends among the open epics");
    }

    [Theory]
    [InlineData(10_000, false)]
    [InlineData(10_000, true)]
    [InlineData(300, false)]
    [InlineData(100, true)]
    public void Draws_sort_as_Array_Sort_sorts_them(int n, bool awkward)
    {
        var rng = new Random(n);
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            // Ties (whole weeks), a long tail, zeros; awkward adds what only the fallback may see.
            values[i] = rng.Next(4) switch { 0 => 7 * rng.Next(30), 1 => 0, 2 => Math.Exp(rng.NextDouble() * 8), _ => rng.NextDouble() * 100 };
        }
        values[n / 2] = double.PositiveInfinity;
        if (awkward)
        {
            values[1] = double.NaN;
            values[2] = -3.5;
            values[3] = -0.0;
        }
        var expected = (double[])values.Clone();
        Array.Sort(expected);
        DrawSort.Sort(values);
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits).Where(b => b != BitConverter.DoubleToInt64Bits(-0.0)),
            values.Select(BitConverter.DoubleToInt64Bits).Where(b => b != BitConverter.DoubleToInt64Bits(-0.0)));
        Assert.Equal(expected.Length, values.Length);
    }
}

internal static class SyntheticHistory
{
    public static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    public static WorkHistory Build(int epics, int teams, int seed)
    {
        var rng = new Random(seed);
        var items = new List<WorkItem>();
        var projects = new Dictionary<long, long?>();
        for (var p = 1; p <= teams + 1; p++)
        {
            projects[p] = p <= teams ? 100 + p : null; // the last project has no team
        }
        long id = 1;
        int[] fib = [1, 2, 3, 5, 8, 13];
        for (var e = 0; e < epics; e++)
        {
            var project = 1 + rng.Next(teams + 1);
            var created = Now.AddDays(-730 + rng.NextDouble() * 720);
            var started = rng.NextDouble() < 0.9 ? created.AddDays(rng.NextDouble() * 10) : (DateTime?)null;
            var life = 5 + rng.NextDouble() * 120;
            var completed = started is { } s && s.AddDays(life) < Now ? s.AddDays(life) : (DateTime?)null;
            var epicId = id++;
            items.Add(new WorkItem(epicId, $"E-{epicId}", "Epic", null, project, created, started, completed, completed is not null, null));
            var children = rng.Next(0, 25);
            for (var c = 0; c < children; c++)
            {
                var cc = created.AddDays(rng.NextDouble() * life * 0.8);
                var cs = cc.AddDays(rng.NextDouble() * 5);
                var cdone = cs.AddDays(1 + rng.NextDouble() * 20);
                var done = cdone < Now && (completed is null ? rng.NextDouble() < 0.6 : true);
                var points = rng.NextDouble() < 0.15 ? (double?)null : fib[rng.Next(fib.Length)];
                var type = rng.Next(3) switch { 0 => "Story", 1 => "Task", _ => "Bug" };
                var childId = id++;
                items.Add(new WorkItem(childId, $"E-{childId}", type, epicId, project, cc, cs < Now ? cs : null, done ? cdone : null, done, points));
            }
        }
        return new WorkHistory(items, projects);
    }

    /// <summary>A hash of everything a state says that the forecast reads.</summary>
    public static ulong Hash(ulong h, EpicState s, IReadOnlyDictionary<long, double> estimates)
    {
        h = GoldenHash.Add(h, (ulong)s.Epic.Id);
        h = GoldenHash.Add(h, (ulong)s.StartedAt.Ticks);
        h = GoldenHash.Add(h, (ulong)s.DoneChildren);
        h = GoldenHash.Add(h, GoldenHash.Bits(s.DonePoints));
        h = GoldenHash.Add(h, (ulong)(s.TeamId ?? 0));
        h = GoldenHash.Add(h, (ulong)s.ActiveEpics);
        foreach (var c in s.Remaining)
        {
            h = GoldenHash.Add(h, (ulong)c.Id);
            h = GoldenHash.Add(h, GoldenHash.Bits(c.Points ?? -1));
        }
        foreach (var w in s.WeeklyPointsPerEpic)
        {
            h = GoldenHash.Add(h, GoldenHash.Bits(w));
        }
        foreach (var (k, v) in estimates.OrderBy(x => x.Key))
        {
            h = GoldenHash.Add(h, (ulong)k);
            h = GoldenHash.Add(h, GoldenHash.Bits(v));
        }
        return h;
    }

    public static ulong Hash(ulong h, EpicForecast f)
    {
        h = GoldenHash.Add(h, (ulong)f.Method);
        h = GoldenHash.Add(h, GoldenHash.Bits(f.MonteCarloWeight));
        h = GoldenHash.Add(h, GoldenHash.Bits(f.RemainingPoints));
        foreach (var p in new[] { 0.1, 0.5, 0.8, 0.95 })
        {
            h = GoldenHash.Add(h, GoldenHash.Bits(f.DaysAt(p)));
        }
        h = GoldenHash.Add(h, GoldenHash.Bits(f.ProbabilityWithin(30)));
        foreach (var d in new[] { f.MonteCarloDays, f.TrajectoryDays })
        {
            h = GoldenHash.Add(h, d is null ? 0 : GoldenHash.Bits(d.Quantile(0.5)));
        }
        return h;
    }
}
