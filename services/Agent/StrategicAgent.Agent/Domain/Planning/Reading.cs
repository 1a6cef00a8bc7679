using System.Globalization;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>
/// The one line that says what was computed: measure and unit, the rows it is over (conditions and
/// filters), grouping, window (and whether it was a default; a partial current period is said so),
/// order and limit. Every answer opens with it; it is <c>reading</c> in the API and the trace.
/// </summary>
public static class Reading
{
    public static string Of(QueryPlan plan, DateOnly today)
    {
        var model = SemanticModel.Default;
        var m = plan.Metric;
        var e = model.Entity(m.Entity);
        var parts = new List<string>();

        var unit = plan.RateUnitDays is 7 ? $"{e.Plural} per week" : m.Unit;
        var measure = plan.IsListing
            ? $"{Listing(plan, e)}"
            : m.Aggregation == Aggregation.RatePerDay && plan.RateUnitDays is 7
                ? $"{Cap(e.Plural)} per week"
                : $"{m.Title} ({unit})";
        var rows = new List<string>();
        rows.AddRange(m.Conditions.Select(c => e.Predicate(c)?.Label ?? c).Where(l => !l.StartsWith("with a ", StringComparison.Ordinal)));
        var grouping = plan.Dimension == Dimension.None ? null : model.Dimension(plan.Dimension);
        rows.AddRange(m.Defaults.Where(d => !plan.Filters.Any(f => f.Kind == d.Kind) && grouping?.Filter != d.Kind)
            .Select(d => $"{model.DimensionOf(d.Kind).Label} {d.Value}"));
        rows.AddRange(plan.Conditions.Select(c => c.Describe(e)));
        rows.AddRange(plan.Filters.Select(f => $"{model.DimensionOf(f.Kind).LabelFor(m.Entity)} {string.Join(" or ", f.Values)}"));
        var of = plan.IsListing ? "" : $" of {e.Plural}";
        parts.Add(rows.Count == 0 ? measure + of : $"{measure}{of} ({string.Join("; ", rows.Distinct())})");
        string Subset(ShareSubset s) => string.Join(" and ", s.Filters.Select(f => $"{model.DimensionOf(f.Kind).LabelFor(m.Entity)} {string.Join(" or ", f.Values)}")
            .Concat(s.Conditions.Select(c => c.Describe(e))));
        if (m.Aggregation == Aggregation.Ratio && plan.Subset is { } numerator && plan.Denominator is { } denominator)
        {
            parts.Add($"{e.Plural} with {Subset(numerator)} per {e.Singular} with {Subset(denominator)}");
        }
        else if (plan.Subset is { } subset)
        {
            var known = SqlCompiler.KnownWhen(e, subset).Select(k => e.Predicate(k)?.Label ?? k).ToList();
            parts.Add("share that is " + Subset(subset)
                + (known.Count == 0 ? ""
                    : subset.UnknownOutside ? $", of all the {e.Plural} (one without a recorded value counted as outside the threshold, as asked)"
                    : $", of the {e.Plural} {string.Join(" and ", known)} only (those without one are left out, as asked)"));
        }
        else if (m.Aggregation == Aggregation.Share && m.ShareOf is { } s && e.Predicate(s) is { } p)
        {
            parts.Add("share that is " + p.Label);
        }
        if (grouping is not null && plan.AveragePerGroup)
        {
            parts.Add($"averaged per {grouping.LabelFor(m.Entity)} ({e.Plural} with one ÷ distinct {grouping.LabelFor(m.Entity)}s)");
        }
        else if (grouping is not null)
        {
            parts.Add("by " + grouping.LabelFor(m.Entity));
        }
        var time = e.Attribute(m.TimeAttribute)?.Label ?? m.TimeAttribute;
        if (plan.Window is { } w)
        {
            var window = $"{w.Label}, by {time}";
            if (plan.DefaultWindowApplied)
            {
                window += " — the default period for this metric (no period was asked)";
            }
            parts.Add(window);
        }
        else
        {
            parts.Add("all time (no period asked)");
        }
        if (PartialPeriod(plan, today) is { } partial)
        {
            parts.Add($"the current {grouping!.Label} (from {partial:yyyy-MM-dd}) is partial");
        }
        if (plan.Order != SortOrder.Default)
        {
            parts.Add(plan.Order == SortOrder.Descending ? "highest first" : "lowest first");
        }
        if (plan.Limit is { } l)
        {
            var n = l.ToString(CultureInfo.InvariantCulture);
            parts.Add(l == 1
                ? plan.ShowsTies ? "the top one (every row tied for first shown)" : "the top one"
                : plan.ShowsTies ? $"top {n} by {RankedBy(plan, e)}, ties kept (every row tied with the {Ordinal(l)} is shown)" : $"top {n}");
        }
        return "Computed: " + string.Join("; ", parts) + ".";
    }

    /// <summary>
    /// The start of the current week/month/quarter when the plan groups by it and its window runs
    /// into today: that bucket is incomplete, so it is marked and never ends a trend comparison.
    /// </summary>
    public static DateOnly? PartialPeriod(QueryPlan plan, DateOnly today)
    {
        var grain = plan.Dimension == Dimension.None ? null : SemanticModel.Default.Dimension(plan.Dimension).TimeGrain;
        if (grain is null)
        {
            return null;
        }
        var end = plan.Window is { } w ? DateOnly.FromDateTime(w.To.UtcDateTime) : today.AddDays(1);
        var start = grain switch
        {
            "week" => today.AddDays(-(((int)today.DayOfWeek + 6) % 7)),
            "month" => new DateOnly(today.Year, today.Month, 1),
            _ => new DateOnly(today.Year, (today.Month - 1) / 3 * 3 + 1, 1),
        };
        var bucketEnd = grain switch
        {
            "week" => start.AddDays(7),
            "month" => start.AddMonths(1),
            _ => start.AddMonths(3),
        };
        // The window reaches into the current bucket but not to its end.
        return end > start && end < bucketEnd ? start : null;
    }

    private static string Listing(QueryPlan plan, EntityDef e)
    {
        var a = e.Attribute(plan.Metric.Attribute!)!;
        var n = plan.Limit is 1 ? e.Singular : e.Plural;
        var dir = plan.Order == SortOrder.Ascending ? "lowest" : "highest";
        var what = a.Type == AttributeType.Timestamp
            ? (plan.Order == SortOrder.Ascending ? $"{n} with the earliest {a.Label}" : $"{n} with the latest {a.Label}")
            : $"{n} with the {dir} {a.Label}{(a.Unit.Length > 0 ? $" ({a.Unit})" : "")}";
        return Cap(what) + ", with key and title";
    }

    private static string RankedBy(QueryPlan plan, EntityDef e) =>
        plan.IsListing ? e.Attribute(plan.Metric.Attribute!)?.Label ?? plan.Metric.Name : plan.Metric.Title.ToLowerInvariant();

    private static string Ordinal(int n) => n.ToString(CultureInfo.InvariantCulture) + (n % 100 is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
