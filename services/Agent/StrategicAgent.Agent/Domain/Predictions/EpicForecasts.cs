using System.Globalization;

namespace StrategicAgent.Agent.Domain.Predictions;

/// <summary>How the prediction service made an epic's forecast (proto <c>ForecastMethod</c>).</summary>
public enum EpicForecastMethod
{
    /// <summary>Mixture of the Monte Carlo over the team's throughput and the trajectory model.</summary>
    Blend,

    /// <summary>Monte Carlo only: no trajectory prediction for the epic.</summary>
    MonteCarlo,

    /// <summary>Trajectory model only: no throughput (or no children) to simulate.</summary>
    Trajectory,
}

public static class EpicForecastMethods
{
    /// <summary>The method in words, as answers and reading lines state it.</summary>
    public static string Describe(this EpicForecastMethod m, double monteCarloWeight = double.NaN) => m switch
    {
        EpicForecastMethod.Blend => double.IsNaN(monteCarloWeight)
            ? "Monte Carlo over the team's weekly throughput blended with the trajectory model"
            : string.Create(CultureInfo.InvariantCulture, $"Monte Carlo over the team's weekly throughput blended with the trajectory model (Monte Carlo weight {monteCarloWeight:0.##})"),
        EpicForecastMethod.MonteCarlo => "Monte Carlo over the team's weekly throughput (no trajectory prediction for it)",
        _ => "the trajectory model alone (no throughput or remaining children to simulate)",
    };
}

/// <summary>
/// An open epic's completion forecast as the prediction service serves it (<c>ForecastEpics</c>): the
/// dates by which 50 / 80 / 95 % of the seeded draws are done, the chance of being done by a date
/// when one was asked, the method and what it was computed from.
/// </summary>
public sealed record EpicForecast(
    string Key,
    EpicForecastMethod Method,
    double MonteCarloWeight,
    DateTime? StartedAt,
    DateTime AsOf,
    DateTime P50,
    DateTime P80,
    DateTime P95,
    double? ProbabilityBy,
    int RemainingChildren,
    double RemainingPoints,
    int EstimatedChildren,
    double Progress,
    int ThroughputWeeks,
    double MeanWeeklyPoints)
{
    /// <summary>Days the epic has been in progress (0 when not started).</summary>
    public double ElapsedDays => StartedAt is { } s ? Math.Max(0, (AsOf - s).TotalDays) : 0;

    /// <summary>Lead time (from the start, or from now when not started) if it finishes at <paramref name="date"/>.</summary>
    public double LeadTimeAt(DateTime date) => ((date - (StartedAt ?? AsOf)).TotalDays);
}

/// <summary>What one call for many epics gave: a forecast per epic, and each epic the service could not forecast with its reason.</summary>
public sealed record EpicForecastBatch(IReadOnlyList<EpicForecast> Forecasts, IReadOnlyList<(string Key, string Reason)> NotForecast, int Draws, string Models);

/// <summary>
/// "Done by March 1" means by the end of that day (UTC): the instant sent to the service as <c>by</c>.
/// </summary>
public static class EpicOdds
{
    public static DateTime EndOfDay(DateOnly by) => by.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>The exact refusal for a date before today: no number.</summary>
    public static string PastDate(DateOnly by, DateOnly today) => string.Create(CultureInfo.InvariantCulture,
        $"I won't give odds for {by:yyyy-MM-dd}: that date is in the past (today is {today:yyyy-MM-dd}), and a forecast only looks ahead. Ask about today or a later date.");
}

/// <summary>An open epic, its team and what that team's epics usually take.</summary>
/// <param name="UsualLeadTimeDays">Median lead time of the team's completed epics (null: the team has none).</param>
/// <param name="CompletedEpics">How many completed epics that median is over.</param>
public sealed record OpenEpic(string Key, string Summary, string? Team, double? UsualLeadTimeDays, long CompletedEpics);

public enum EpicRiskLevel
{
    OnTrack,

    /// <summary>Only the forecast's P95 date is beyond the usual finish.</summary>
    Watch,

    AtRisk,
}

/// <param name="UsualFinish">The epic's start (today when not started) plus the usual lead time.</param>
public sealed record EpicRisk(OpenEpic Epic, EpicForecast Forecast, double UsualDays, bool UsualIsTenantWide, DateTime UsualFinish, EpicRiskLevel Level, string Why)
{
    /// <summary>Already in progress longer than the usual lead time.</summary>
    public bool Overdue => Forecast.AsOf > UsualFinish;

    /// <summary>How many days the P80 date is beyond the usual finish (how late, 4 times in 5).</summary>
    public double DaysLateAtP80 => (Forecast.P80 - UsualFinish).TotalDays;
}

/// <summary>
/// Which open epics are at risk of finishing late, from the epic forecast (<c>ForecastEpics</c>). The
/// yardstick is the owning team's usual epic lead time (median over its completed epics; with fewer
/// than <see cref="MinCompleted"/> of them, the tenant's): the epic's <b>usual finish</b> is its start
/// (today when not started) plus that lead time. An epic is <b>at risk</b> when its P80 date is after
/// its usual finish — less than an 80% chance of finishing in the usual time; that includes every epic
/// already past its usual finish (<b>overdue</b>). It is on <b>watch</b> when only its P95 date is after it.
/// </summary>
public static class EpicRiskAssessment
{
    public const int MinCompleted = 3;

    public const string Definition =
        "\"at risk\" means the forecast's P80 completion date is after the epic's usual finish — its start (today if not started) plus the team's usual epic lead time " +
        "(median of its completed epics; the tenant's when the team has fewer than 3) — so it has less than an 80% chance of finishing in the usual time, " +
        "which includes every epic already past its usual finish (overdue); \"watch\" means only the P95 date is after it";

    public static IReadOnlyList<EpicRisk> Assess(IReadOnlyList<OpenEpic> epics, IReadOnlyList<EpicForecast> forecasts, double? tenantUsualDays)
    {
        var byKey = forecasts.ToDictionary(f => f.Key, StringComparer.OrdinalIgnoreCase);
        var risks = new List<EpicRisk>();
        foreach (var e in epics)
        {
            if (!byKey.TryGetValue(e.Key, out var f))
            {
                continue;
            }
            var teamHasHistory = e.UsualLeadTimeDays is not null && e.CompletedEpics >= MinCompleted;
            var usual = teamHasHistory ? e.UsualLeadTimeDays : tenantUsualDays;
            if (usual is not { } u)
            {
                continue;
            }
            var due = (f.StartedAt ?? f.AsOf).AddDays(u);
            var level = f.P80 > due ? EpicRiskLevel.AtRisk : f.P95 > due ? EpicRiskLevel.Watch : EpicRiskLevel.OnTrack;
            var started = f.StartedAt is { } s ? string.Create(CultureInfo.InvariantCulture, $"started {s:yyyy-MM-dd}") : "not started";
            var why = f.AsOf > due
                ? string.Create(CultureInfo.InvariantCulture, $"overdue: {(f.AsOf - due).TotalDays:0} days past its usual finish {due:yyyy-MM-dd} ({started}, usual {u:0} days); P50 {f.P50:yyyy-MM-dd}, P80 {f.P80:yyyy-MM-dd}")
                : string.Create(CultureInfo.InvariantCulture, $"P80 {f.P80:yyyy-MM-dd}, P95 {f.P95:yyyy-MM-dd} against a usual finish of {due:yyyy-MM-dd} ({started}, usual {u:0} days); P50 {f.P50:yyyy-MM-dd}");
            risks.Add(new EpicRisk(e, f, u, !teamHasHistory, due, level, why));
        }
        return risks;
    }
}
