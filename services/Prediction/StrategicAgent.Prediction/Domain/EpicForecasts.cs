using System.Diagnostics;
using Microsoft.Extensions.Options;
using StrategicAgent.Ml;
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
/// or done one is the caller's mistake to hear about, not a row to skip).
/// </summary>
public sealed class EpicForecasts(DeployedModels<LoadedModel> models, IFeatureStore features, IOptions<PredictionOptions> options, TimeProvider time)
{
    public const int MinDraws = 1_000;
    public const int MaxDraws = 100_000;
    private readonly PredictionOptions _o = options.Value;

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

        var history = await features.WorkHistoryAsync(clientId, ct);
        var asOf = now.UtcDateTime;
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
        var states = epics.Select(e => history.StateAt(e, asOf)).ToList();

        // The remaining children's points: their own, else the complexity model's estimate, else the team's typical points.
        var estimates = states.ToDictionary(s => s.Epic.Id, history.FallbackEstimates);
        var complexity = models.Find(ModelNames.Complexity);
        var unpointed = states.SelectMany(s => s.Remaining.Where(c => c.Points is null)).Select(c => c.Key).Distinct(StringComparer.Ordinal).ToList();
        var usedComplexity = false;
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
                        usedComplexity = true;
                    }
                }
            }
        }

        // The trajectory model's prediction per epic (from the start of work), when deployed.
        var trajectory = models.Find(ModelNames.Trajectory);
        var priors = new Dictionary<long, TrajectoryPrior>();
        if (trajectory is not null)
        {
            var found = await features.EpicsAsync(clientId, keys, ct);
            var rows = found.Values.Where(e => e.Row is not null).ToList();
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
        var featureMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

        var modelStart = Stopwatch.GetTimestamp();
        var forecastOptions = new ForecastOptions { Draws = draws, Seed = seed };
        var results = new List<EpicForecastResult>(states.Count);
        foreach (var s in states)
        {
            var prior = priors.GetValueOrDefault(s.Epic.Id);
            EpicForecast f;
            try
            {
                f = EpicForecaster.Forecast(s, estimates[s.Epic.Id], prior, forecastOptions);
            }
            catch (NothingToForecastException ex)
            {
                throw new NotForecastableException(ex.Message);
            }
            results.Add(new EpicForecastResult
            {
                Key = s.Epic.Key,
                Forecast = f,
                P50 = new DateTimeOffset(f.DateAt(0.5), TimeSpan.Zero),
                P80 = new DateTimeOffset(f.DateAt(0.8), TimeSpan.Zero),
                P95 = new DateTimeOffset(f.DateAt(0.95), TimeSpan.Zero),
                ProbabilityBy = request.By is { } b ? f.ProbabilityBy(b.UtcDateTime) : null,
                Trajectory = prior,
            });
        }
        var modelMs = Stopwatch.GetElapsedTime(modelStart).TotalMilliseconds;
        return new ForecastBatch(results, priors.Count > 0 ? trajectory!.Stamp(now) : null, usedComplexity ? complexity!.Stamp(now) : null,
            draws, seed, now, new ServingTimings(featureMs, modelMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
    }
}
