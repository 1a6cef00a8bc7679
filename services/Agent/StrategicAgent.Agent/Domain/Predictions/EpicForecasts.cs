using System.Globalization;

namespace StrategicAgent.Agent.Domain.Predictions;

/// <summary>
/// An epic's forecast as the agent uses it: the median completion date and a central interval
/// (<see cref="Low"/>..<see cref="High"/> at <see cref="IntervalLevel"/>, e.g. 80% = P10..P90).
/// Today it comes from the trajectory model's conformal interval.
/// </summary>
public sealed record EpicForecast(
    string Key,
    bool Found,
    string Summary,
    bool Done,
    bool Overdue,
    DateOnly? StartedAt,
    double CurrentLeadTimeDays,
    double PredictedLeadTimeDays,
    double LeadTimeHighDays,
    DateOnly Median,
    DateOnly Low,
    DateOnly High,
    double IntervalLevel,
    string Message)
{
    /// <summary>The lower and upper quantile the interval's ends stand for (80% → 0.10 and 0.90).</summary>
    public double LowQuantile => (1 - IntervalLevel) / 2;

    public double HighQuantile => 1 - LowQuantile;
}

/// <summary>
/// "What are the odds PAY-12 is done by March 1?" from a forecast's quantiles, without inventing a
/// distribution: a date before the interval's low end has less than its quantile's chance, between
/// the low end and the median between that and 50%, and so on. When the Monte Carlo forecast is
/// served, its probability for the date replaces these bands.
/// </summary>
public static class EpicOdds
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The chance as a band (lower and upper bound, 0..1) and its sentence.</summary>
    public static (double From, double To, string Text) Describe(EpicForecast f, DateOnly by, DateOnly today)
    {
        string P(double q) => (q * 100).ToString("0", Inv) + "%";
        var date = by.ToString("yyyy-MM-dd", Inv);
        if (f.Done)
        {
            return (1, 1, $"{f.Key} ({f.Summary}) is already done, so it is done by {date}.");
        }
        if (by < today)
        {
            return (0, 0, $"{date} has passed and {f.Key} ({f.Summary}) is still open, so it was not done by then.");
        }
        var interval = $"the model's median completion is {f.Median.ToString("yyyy-MM-dd", Inv)} with a {P(f.IntervalLevel)} interval " +
                       $"{f.Low.ToString("yyyy-MM-dd", Inv)} to {f.High.ToString("yyyy-MM-dd", Inv)}";
        return by switch
        {
            _ when by < f.Low => (0, f.LowQuantile, $"The chance that {f.Key} ({f.Summary}) is done by {date} is below {P(f.LowQuantile)}: {date} is before the interval's low end ({interval})."),
            _ when by < f.Median => (f.LowQuantile, 0.5, $"The chance that {f.Key} ({f.Summary}) is done by {date} is between {P(f.LowQuantile)} and 50%: {date} falls between the interval's low end and the median ({interval})."),
            _ when by < f.High => (0.5, f.HighQuantile, $"The chance that {f.Key} ({f.Summary}) is done by {date} is between 50% and {P(f.HighQuantile)}: {date} falls between the median and the interval's high end ({interval})."),
            _ => (f.HighQuantile, 1, $"The chance that {f.Key} ({f.Summary}) is done by {date} is at least {P(f.HighQuantile)}: {date} is at or after the interval's high end ({interval})."),
        };
    }
}

/// <summary>An open epic, its team and what that team's epics usually take.</summary>
/// <param name="UsualLeadTimeDays">Median lead time of the team's completed epics (null: the team has none).</param>
/// <param name="CompletedEpics">How many completed epics that median is over.</param>
public sealed record OpenEpic(string Key, string Summary, string? Team, double? UsualLeadTimeDays, long CompletedEpics);

public enum EpicRiskLevel
{
    OnTrack,

    /// <summary>Only the interval's high end is beyond the usual lead time.</summary>
    Watch,

    AtRisk,
}

public sealed record EpicRisk(OpenEpic Epic, EpicForecast Forecast, double UsualDays, bool UsualIsTenantWide, EpicRiskLevel Level, string Why);

/// <summary>
/// Which open epics are at risk of finishing late. The yardstick is the owning team's usual epic
/// lead time (median over its completed epics; with fewer than <see cref="MinCompleted"/> of them,
/// the tenant's). An epic is <b>at risk</b> when it is already past its predicted completion, or
/// its predicted lead time (the median of the forecast) is beyond that usual lead time; it is on
/// <b>watch</b> when only the high end of the forecast's interval is beyond it.
/// </summary>
public static class EpicRiskAssessment
{
    public const int MinCompleted = 3;

    public static string Definition(double intervalLevel) => string.Create(CultureInfo.InvariantCulture,
        $"\"at risk\" means already past its predicted completion, or a predicted lead time (the forecast's median) longer than the team's usual epic lead time " +
        $"(median of its completed epics; the tenant's when the team has fewer than {MinCompleted}); \"watch\" means only the high end of the {intervalLevel * 100:0}% interval is longer");

    public static IReadOnlyList<EpicRisk> Assess(IReadOnlyList<OpenEpic> epics, IReadOnlyList<EpicForecast> forecasts, double? tenantUsualDays)
    {
        var byKey = forecasts.Where(f => f.Found && !f.Done).ToDictionary(f => f.Key, StringComparer.OrdinalIgnoreCase);
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
            var level = f.Overdue || f.PredictedLeadTimeDays > u ? EpicRiskLevel.AtRisk
                : f.LeadTimeHighDays > u ? EpicRiskLevel.Watch
                : EpicRiskLevel.OnTrack;
            var why = f.Overdue
                ? string.Create(CultureInfo.InvariantCulture, $"past its predicted completion ({f.Median:yyyy-MM-dd}); in progress for {f.CurrentLeadTimeDays:0} days")
                : string.Create(CultureInfo.InvariantCulture, $"predicted lead time {f.PredictedLeadTimeDays:0} days (up to {f.LeadTimeHighDays:0}) against a usual {u:0} days; predicted done {f.Median:yyyy-MM-dd}");
            risks.Add(new EpicRisk(e, f, u, !teamHasHistory, level, why));
        }
        return risks;
    }
}
