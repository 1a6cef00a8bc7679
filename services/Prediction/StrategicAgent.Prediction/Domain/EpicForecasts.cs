using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Forecasting;

namespace StrategicAgent.Prediction.Domain;

/// <summary>A key the caller named that the tenant does not have (or not as an epic it can forecast).</summary>
public sealed class KeyNotFoundForTenantException(string message) : Exception(message);

/// <summary>A request that is well formed but asks for something the data rules out (e.g. forecasting a done epic).</summary>
public sealed class NotForecastableException(string message) : Exception(message);

/// <summary>What a caller asks: open epics, optionally a date to get the odds of finishing by, draws and seed.</summary>
public sealed record ForecastRequestInput(IReadOnlyList<string> EpicKeys, DateTimeOffset? By, int Draws, int? Seed);

/// <summary>One epic's forecast as served.</summary>
public sealed record EpicForecastResult
{
    public required string Key { get; init; }
    public required EpicForecast Forecast { get; init; }
    public required DateTimeOffset P50 { get; init; }
    public required DateTimeOffset P80 { get; init; }
    public required DateTimeOffset P95 { get; init; }
    public double? ProbabilityBy { get; init; }
    public TrajectoryPrior? Trajectory { get; init; }
}

public sealed record ForecastBatch(IReadOnlyList<EpicForecastResult> Items, ModelStamp? Trajectory, ModelStamp? Complexity,
    int Draws, int Seed, DateTimeOffset AsOf, ServingTimings Timings);

/// <summary>
/// Serves epic completion forecasts: the tenant's work history (a snapshot, like the feature snapshots), the remaining
/// children's points (the complexity model's estimate where an issue has none, else the team's typical points), the
/// trajectory model's prediction when it is deployed, and <see cref="EpicForecaster"/>'s Monte Carlo and blend.
/// All-or-nothing: every key must be an open epic of the tenant (a forecast is asked about specific epics, so an unknown
/// or done one is the caller's mistake to hear about, not a row to skip). Every forecast served is written to the
/// prediction log like the models' predictions (model name <see cref="ModelNames.Forecast"/>), so the anomaly model
/// learns and watches it too.
/// </summary>
public sealed class EpicForecasts(DeployedModels<LoadedModel> models, IFeatureStore features, IOptions<PredictionOptions> options,
    PredictionLogQueue log, ForecastGate gate, TimeProvider time)
{
    public const int MinDraws = 1_000;
    public const int MaxDraws = 100_000;
    private readonly PredictionOptions _o = options.Value;
    // Forecasts computed from one work-history snapshot, dropped with it (a refresh is a new snapshot object).
    private readonly ConditionalWeakTable<WorkHistory, SnapshotForecasts> _cache = new();
    private long _computed;
    private long _reused;

    private sealed record CacheKey(string Epic, long TrajectoryVersion, long ComplexityVersion, int Draws, int Seed);

    /// <summary>One epic's forecast and whether the complexity model estimated any of its children.</summary>
    private sealed record Computed(EpicForecast Forecast, bool UsedComplexity);

    /// <summary>
    /// The forecasts of one work-history snapshot, all as of one moment (the first request that used the snapshot), so a
    /// batch mixing reused and new forecasts has one as-of and a forecast asked again is the same to the tick.
    /// </summary>
    private sealed class SnapshotForecasts(DateTimeOffset asOf)
    {
        public DateTimeOffset AsOf { get; } = asOf;
        public ConcurrentDictionary<CacheKey, Computed> Items { get; } = new();
    }

    /// <summary>Epic forecasts computed (Monte Carlo run) since start.</summary>
    public long ComputedCount => Interlocked.Read(ref _computed);

    /// <summary>Epic forecasts served from the cache since start.</summary>
    public long ReusedCount => Interlocked.Read(ref _reused);

    public async Task<ForecastBatch> ForecastAsync(long clientId, ForecastRequestInput request, CancellationToken ct)
    {
        RequestValidation.CheckTenant(clientId);
        var keys = RequestValidation.IssueKeys("epic_keys", request.EpicKeys, _o.MaxEpicKeys);
        var now = time.GetUtcNow();
        if (request.By is { } by && by < now)
        {
            throw new InvalidRequestException("by", $"by = {by:yyyy-MM-dd}: that date is in the past (today is {now:yyyy-MM-dd}); give today or a later date.");
        }
        var draws = request.Draws == 0 ? ForecastOptions.DefaultDraws : request.Draws;
        if (draws is < MinDraws or > MaxDraws)
        {
            throw new InvalidRequestException("draws", $"draws = {request.Draws}: between {MinDraws:N0} and {MaxDraws:N0} (0 = the default {ForecastOptions.DefaultDraws:N0}).");
        }
        var seed = request.Seed ?? ForecastOptions.DefaultSeed;
        var start = Stopwatch.GetTimestamp();
        var complexity = models.Find(ModelNames.Complexity);
        var trajectory = models.Find(ModelNames.Trajectory);

        // The snapshots a forecast reads (work history; the epics' trajectory features; the children's complexity
        // features) start loading together, so a cold tenant waits for them once — each wait is bounded by
        // TenantSnapshotWait from now — not one after another (three waits in a row outlived the gateway's deadline).
        var historyTask = features.WorkHistoryAsync(clientId, ct);
        var epicsTask = trajectory is null ? null : features.EpicsAsync(clientId, keys, ct);
        var issuesWarm = complexity is null ? null : features.IssuesAsync(clientId, [], ct);
        await WhenAllAsync(historyTask, epicsTask, issuesWarm);
        var history = await historyTask;

        var epics = new List<WorkItem>(keys.Count);
        foreach (var key in keys)
        {
            var epic = history.Find(key) ?? throw new KeyNotFoundForTenantException($"epic '{key}' not found.");
            if (epic.Type != "Epic")
            {
                throw new InvalidRequestException("epic_keys", $"'{key}' is a {epic.Type}, not an epic: forecasts are for epics (their remaining child issues).");
            }
            if (epic.Done)
            {
                throw new NotForecastableException(epic.Completed is { } c
                    ? $"epic '{key}' is done (completed {c:yyyy-MM-dd}): there is nothing left to forecast."
                    : $"epic '{key}' is done: there is nothing left to forecast.");
            }
            epics.Add(epic);
        }

        // Seeded, so the same snapshot, versions, draws and seed give the same forecast: reuse what this snapshot computed.
        var snapshot = _o.ForecastCacheEntries > 0 ? _cache.GetValue(history, _ => new SnapshotForecasts(now)) : null;
        var cache = snapshot?.Items;
        var asOf = snapshot?.AsOf ?? now;
        CacheKey KeyOf(WorkItem e) => new(e.Key, trajectory?.VersionId ?? 0, complexity?.VersionId ?? 0, draws, seed);
        var forecasts = new Dictionary<string, Computed>(StringComparer.Ordinal);
        var missing = new List<WorkItem>();
        foreach (var e in epics)
        {
            if (cache is not null && cache.TryGetValue(KeyOf(e), out var cached))
            {
                forecasts[e.Key] = cached;
            }
            else
            {
                missing.Add(e);
            }
        }
        Interlocked.Add(ref _reused, epics.Count - missing.Count);
        var featureMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var queueMs = 0.0;
        var modelMs = 0.0;
        var usedTrajectory = forecasts.Values.Any(c => c.Forecast.Trajectory is not null);
        var usedComplexity = forecasts.Values.Any(c => c.UsedComplexity);
        if (missing.Count > 0)
        {
            // The CPU-bound part waits for a slot at most what is left of the request's wait budget.
            var queueStart = Stopwatch.GetTimestamp();
            using var slot = await gate.EnterAsync(_o.ForecastWait - Stopwatch.GetElapsedTime(start), ct);
            queueMs = Stopwatch.GetElapsedTime(queueStart).TotalMilliseconds;
            var modelStart = Stopwatch.GetTimestamp();
            var computed = await ComputeAsync(clientId, history, missing, complexity, trajectory, epicsTask, asOf.UtcDateTime,
                new ForecastOptions { Draws = draws, Seed = seed, KeepParts = false }, ct);
            modelMs = Stopwatch.GetElapsedTime(modelStart).TotalMilliseconds;
            foreach (var c in computed)
            {
                forecasts[c.Forecast.State.Epic.Key] = c;
                usedTrajectory |= c.Forecast.Trajectory is not null;
                usedComplexity |= c.UsedComplexity;
                if (cache is not null && cache.Count < _o.ForecastCacheEntries)
                {
                    cache.TryAdd(KeyOf(c.Forecast.State.Epic), c);
                }
            }
            Interlocked.Add(ref _computed, computed.Count);
        }

        var results = new List<EpicForecastResult>(epics.Count);
        foreach (var e in epics)
        {
            var f = forecasts[e.Key].Forecast;
            results.Add(new EpicForecastResult
            {
                Key = e.Key,
                Forecast = f,
                P50 = new DateTimeOffset(f.DateAt(0.5), TimeSpan.Zero),
                P80 = new DateTimeOffset(f.DateAt(0.8), TimeSpan.Zero),
                P95 = new DateTimeOffset(f.DateAt(0.95), TimeSpan.Zero),
                ProbabilityBy = request.By is { } b ? f.ProbabilityBy(b.UtcDateTime) : null,
                Trajectory = f.Trajectory,
            });
        }
        var totalMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Log(clientId, results, now, totalMs);
        return new ForecastBatch(results, usedTrajectory ? trajectory!.Stamp(now) : null, usedComplexity ? complexity!.Stamp(now) : null,
            draws, seed, asOf, new ServingTimings(featureMs, modelMs, totalMs) { QueueMs = queueMs, Computed = missing.Count });
    }

    /// <summary>
    /// Forecasts of <paramref name="epics"/> as of <paramref name="asOf"/>: the remaining children's points (their own,
    /// else the complexity model's estimate, else the team's typical points), the trajectory model's prediction, the
    /// Monte Carlo and blend. Stops between epics once <paramref name="ct"/> is cancelled (a caller gone, a deadline passed).
    /// </summary>
    private async Task<List<Computed>> ComputeAsync(long clientId, WorkHistory history, List<WorkItem> epics, LoadedModel? complexity,
        LoadedModel? trajectory, Task<IReadOnlyDictionary<string, EpicInput>>? epicsTask, DateTime asOf, ForecastOptions forecastOptions,
        CancellationToken ct)
    {
        var states = epics.Select(e => history.StateAt(e, asOf)).ToList();
        var estimates = states.ToDictionary(s => s.Epic.Id, history.FallbackEstimates);
        var estimatedByModel = new HashSet<long>();
        var unpointed = states.SelectMany(s => s.Remaining.Where(c => c.Points is null)).Select(c => c.Key).Distinct(StringComparer.Ordinal).ToList();
        if (complexity is not null && unpointed.Count > 0)
        {
            var issues = await features.IssuesAsync(clientId, unpointed, ct);
            var rows = issues.Values.Where(i => i.Row is not null).ToList();
            if (rows.Count > 0)
            {
                var predicted = complexity.Predictor.PredictRegression(rows.Select(i => i.Row!).ToList());
                var byId = rows.Select((r, i) => (r.Id, predicted[i].Value)).ToDictionary(x => x.Id, x => x.Value);
                foreach (var s in states)
                {
                    foreach (var c in s.Remaining.Where(c => c.Points is null && byId.ContainsKey(c.Id)))
                    {
                        estimates[s.Epic.Id][c.Id] = Math.Max(0.5, byId[c.Id]);
                        estimatedByModel.Add(s.Epic.Id);
                    }
                }
            }
        }

        // The trajectory model's prediction per epic (from the start of work), when deployed.
        var priors = new Dictionary<long, TrajectoryPrior>();
        if (trajectory is not null && epicsTask is not null)
        {
            var found = await epicsTask;
            var rows = epics.Select(e => found.GetValueOrDefault(e.Key)).Where(e => e?.Row is not null).Select(e => e!).ToList();
            if (rows.Count > 0)
            {
                var predicted = trajectory.Predictor.PredictRegression(rows.Select(e => e.Row!).ToList());
                for (var i = 0; i < rows.Count; i++)
                {
                    var p = predicted[i];
                    priors[rows[i].Id] = new TrajectoryPrior(p.Value, p.Lower, p.Upper, p.Coverage, trajectory.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        var result = new List<Computed>(states.Count);
        foreach (var s in states)
        {
            ct.ThrowIfCancellationRequested();
            if (result.Count > 0)
            {
                // Each epic is milliseconds of CPU on a thread-pool thread: let the work queued meanwhile (other
                // requests' continuations) run between epics instead of after the whole batch.
                await Task.Yield();
            }
            EpicForecast f;
            try
            {
                f = EpicForecaster.Forecast(s, estimates[s.Epic.Id], priors.GetValueOrDefault(s.Epic.Id), forecastOptions);
            }
            catch (NothingToForecastException ex)
            {
                throw new NotForecastableException(ex.Message);
            }
            // Only the blended distribution is served (its quantiles and the odds of a date): KeepParts = false above.
            result.Add(new Computed(f, estimatedByModel.Contains(s.Epic.Id)));
        }
        return result;
    }

    /// <summary>Waits for every task given (null ones skipped), so none is left unobserved; then the first failure is thrown.</summary>
    private static async Task WhenAllAsync(params Task?[] tasks)
    {
        var running = tasks.OfType<Task>().ToArray();
        try
        {
            await Task.WhenAll(running);
        }
        catch
        {
            // Prefer the failure a caller can act on (retry later) over a cancellation of the others.
            if (running.Select(t => t.Exception?.InnerException).OfType<RetryLaterException>().FirstOrDefault() is { } retry)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(retry);
            }
            throw;
        }
    }

    /// <summary>
    /// One log entry per epic, in one spool write before the response (as the models' predictions), at the moment it is
    /// served: the value is the days from the forecast's as-of to the P50 date, the confidence that of its P10–P90 interval (<see cref="Scales.IntervalConfidence"/>),
    /// the version that of the trajectory model when the forecast used it (0 for the Monte Carlo alone), and the
    /// forecast's inputs are its features.
    /// </summary>
    private void Log(long clientId, List<EpicForecastResult> results, DateTimeOffset now, double totalMs) =>
        log.TryEnqueue(results.Select(r =>
        {
            var f = r.Forecast;
            var p50 = f.DaysAt(0.5);
            return new PredictionLogEntry
            {
                ClientId = clientId,
                ModelName = ModelNames.Forecast,
                ModelVersion = r.Trajectory is { } t && f.Method != ForecastMethod.MonteCarlo
                    && int.TryParse(t.Version, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0,
                Key = r.Key,
                Value = p50,
                Confidence = Scales.IntervalConfidence(Math.Max(p50, 1e-3), f.DaysAt(0.1), f.DaysAt(0.9)),
                Features = ForecastLogFeatures.Of(f),
                ResponseTimeMs = totalMs,
                CreatedAt = now,
            };
        }).ToList());
}

/// <summary>What a served forecast rested on, as it is logged (by these column names; <see cref="FeatureLogFormat"/>).</summary>
public sealed class ForecastLogFeatures
{
    [Feature("remaining_points", FeatureKind.Numeric, "Points of the epic's children not done (estimated ones included).")]
    public float RemainingPoints { get; init; }

    [Feature("estimated_children", FeatureKind.Numeric, "Remaining children without points (estimated).")]
    public float EstimatedChildren { get; init; }

    [Feature("estimated_points", FeatureKind.Numeric, "Points estimated for them.")]
    public float EstimatedPoints { get; init; }

    [Feature("progress", FeatureKind.Numeric, "Share of the epic's points done.")]
    public float Progress { get; init; }

    [Feature("mean_weekly_points", FeatureKind.Numeric, "The team's mean weekly points per active epic (NaN without throughput).")]
    public float MeanWeeklyPoints { get; init; }

    [Feature("trajectory_days", FeatureKind.Numeric, "The trajectory model's lead time from the start of work (NaN when not used).")]
    public float TrajectoryDays { get; init; }

    [Feature("monte_carlo_weight", FeatureKind.Numeric, "The Monte Carlo's share of the blend.")]
    public float MonteCarloWeight { get; init; }

    [Feature("p95_days", FeatureKind.Numeric, "Days from now to the P95 date.")]
    public float P95Days { get; init; }

    [Feature("method", FeatureKind.Categorical, "blend, monte_carlo or trajectory.")]
    public string Method { get; init; } = "";

    public static ForecastLogFeatures Of(EpicForecast f) => new()
    {
        RemainingPoints = (float)f.RemainingPoints,
        EstimatedChildren = f.EstimatedChildren,
        EstimatedPoints = (float)f.EstimatedPoints,
        Progress = (float)f.Progress,
        MeanWeeklyPoints = f.State.WeeklyPointsPerEpic.Count > 0 ? (float)f.State.WeeklyPointsPerEpic.Average() : float.NaN,
        TrajectoryDays = f.Trajectory is { } t ? (float)t.PredictedLeadDays : float.NaN,
        MonteCarloWeight = (float)f.MonteCarloWeight,
        P95Days = (float)f.DaysAt(0.95),
        Method = f.Method switch { ForecastMethod.MonteCarlo => "monte_carlo", ForecastMethod.Trajectory => "trajectory", _ => "blend" },
    };
}
