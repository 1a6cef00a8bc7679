using System.Globalization;
using System.Text;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// The short narrative over a result: the value (or total), top and bottom for a grouping, and the
/// trend when the grouping is time. It only states numbers present in the rows.
/// </summary>
public static class AnswerWriter
{
    /// <summary>The answer: the reading line (what was computed), then the narrative over the rows.</summary>
    public static string Write(QueryPlan? plan, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows, DateOnly today) =>
        plan is null ? Write(plan, columns, rows) : Reading.Of(plan, today) + "\n" + Narrative(plan, columns, rows, Reading.PartialPeriod(plan, today));

    public static string Write(QueryPlan? plan, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows) =>
        Narrative(plan, columns, rows, null);

    private static string Narrative(QueryPlan? plan, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows, DateOnly? partial)
    {
        if (rows.Count == 0)
        {
            return plan is null
                ? "The query ran and returned no rows."
                : $"No data matched: {plan.Describe()}.";
        }
        if (plan is null)
        {
            return $"The query returned {Counted(rows.Count, "row")} with columns {string.Join(", ", columns)}.";
        }

        var m = plan.Metric;
        var valueIndex = IndexOf(columns, m.Name);
        if (valueIndex < 0)
        {
            return $"The query returned {rows.Count} row(s).";
        }
        var sb = new StringBuilder();
        var scope = Scope(plan);
        if (plan.IsListing)
        {
            var keys = plan.Metric.Entity == EntityKind.PullRequest ? new[] { "repository", "number" } : [columns[0]];
            var title = columns.Count > 1 ? 1 : -1;
            if (plan.ShowsTies && rows.Count > 1)
            {
                // One row was asked for and several tie for it: all are shown, and the answer says why.
                sb.Append(CultureInfo.InvariantCulture, $"{rows.Count} {SemanticModel.Default.Entity(m.Entity).Plural} tie for the {(plan.Order == SortOrder.Ascending ? "lowest" : "highest")} {m.Title.ToLowerInvariant()}, so all {rows.Count} are shown: ");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"{(rows.Count == 1 ? "The" : $"The {rows.Count}")} {(plan.Order == SortOrder.Ascending ? "lowest" : "highest")} by {m.Title.ToLowerInvariant()}{TieAtCut(plan, rows.Count)}: ");
            }
            sb.AppendJoin("; ", rows.Take(10).Select(r =>
            {
                var key = string.Join(" #", keys.Select(k => IndexOf(columns, k)).Where(i => i >= 0).Select(i => Format(r[i])));
                var t = IndexOf(columns, "title") is var ti and >= 0 ? ti : IndexOf(columns, "summary");
                return $"{key}{(t >= 0 ? $" \"{Format(r[t])}\"" : "")}: {Format(r[valueIndex])}{UnitSuffix(m)}";
            }));
            _ = title;
            return sb.Append('.').ToString();
        }
        if (plan.Dimension == Dimension.None)
        {
            var v = Format(rows[0][valueIndex]);
            sb.Append(CultureInfo.InvariantCulture, $"{m.Title}{scope}: {v}{UnitSuffix(m)}.");
            AppendExtras(sb, columns, rows[0], m, valueIndex);
            return sb.ToString();
        }

        var labelIndex = Math.Max(0, m.Name == "epic_progress_pct" ? IndexOf(columns, "epic") : 0);
        var valued = rows.Where(r => ToDouble(r[valueIndex]) is not null).ToList();
        if (plan.Dimension is Dimension.Week or Dimension.Month)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{m.Title} per {SemanticModel.Default.Dimension(plan.Dimension).Column}{scope}, {Counted(rows.Count, "period")}.");
            // The current, incomplete period is shown but never ends a trend.
            var complete = partial is { } p ? valued.Where(r => !IsPeriod(r[labelIndex], p)).ToList() : valued;
            if (complete.Count < valued.Count)
            {
                sb.Append(CultureInfo.InvariantCulture, $" The last period ({partial:yyyy-MM-dd}) is partial (it runs to today) and is left out of the trend.");
            }
            if (m.Aggregate is "count" or "sum")
            {
                var total = valued.Sum(r => ToDouble(r[valueIndex])!.Value);
                sb.Append(CultureInfo.InvariantCulture, $" Total {Format(total)}{UnitSuffix(m)}.");
            }
            if (complete.Count >= 2 && plan.Order == SortOrder.Default)
            {
                var first = ToDouble(complete[0][valueIndex])!.Value;
                var last = ToDouble(complete[^1][valueIndex])!.Value;
                var direction = last > first ? "up" : last < first ? "down" : "flat";
                var change = first == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({(last - first) / Math.Abs(first) * 100:+0;-0}%)");
                sb.Append(CultureInfo.InvariantCulture, $" Trend: {direction} from {Format(first)} ({Format(complete[0][labelIndex])}) to {Format(last)} ({Format(complete[^1][labelIndex])}){change}.");
            }
            AppendHighLow(sb, valued, valueIndex, labelIndex, m);
            return sb.ToString();
        }

        var what = SemanticModel.Default.Dimension(plan.Dimension).LabelFor(m.Entity);
        if (plan.Limit == 1 && rows.Count > 1)
        {
            // "Which repo has the most merged PRs?" with a tie for first: every tied row, said as a tie.
            var tied = rows.Take(10).Select(r => Format(r[labelIndex])).ToList();
            sb.Append(CultureInfo.InvariantCulture, $"Tie: {rows.Count} rows ({what}) share the {(plan.Order == SortOrder.Ascending ? "lowest" : "highest")} {m.Title.ToLowerInvariant()}{scope}: {string.Join(", ", tied)}{(rows.Count > 10 ? ", …" : "")} ({Format(rows[0][valueIndex])}{UnitSuffix(m)} each), so all {rows.Count} are shown.");
            return sb.ToString();
        }
        if (plan.Limit == 1)
        {
            var r = rows[0];
            sb.Append(CultureInfo.InvariantCulture, $"{Format(r[labelIndex])} has the {(plan.Order == SortOrder.Ascending ? "lowest" : "highest")} {m.Title.ToLowerInvariant()}{scope}: {Format(r[valueIndex])}{UnitSuffix(m)}.");
            AppendExtras(sb, columns, r, m, valueIndex);
            return sb.ToString();
        }
        sb.Append(CultureInfo.InvariantCulture, $"{m.Title} by {what}{scope}: {Counted(rows.Count, what)}{TieAtCut(plan, rows.Count)}.");
        if (m.Aggregate is "count" or "sum" && m.Name != "epic_progress_pct")
        {
            var total = valued.Sum(r => ToDouble(r[valueIndex])!.Value);
            sb.Append(CultureInfo.InvariantCulture, $" Total {Format(total)}{UnitSuffix(m)}.");
        }
        if (valued.Count is > 0 and <= 6)
        {
            sb.Append(' ').AppendJoin(", ", valued.Select(r => $"{Format(r[labelIndex])}: {Format(r[valueIndex])}{UnitSuffix(m)}")).Append('.');
        }
        else
        {
            AppendHighLow(sb, valued, valueIndex, labelIndex, m);
        }
        if (m.Dora is not null)
        {
            sb.Append(" DORA tiers: ").AppendJoin(", ", valued.Take(12).Select(r => $"{Format(r[labelIndex])} {m.Tier(ToDouble(r[valueIndex]))}")).Append('.');
        }
        return sb.ToString();
    }

    /// <summary>" (a top 5: 6 rows, tied at the cut, all shown)" when a top N kept more rows than N for a tie with the N-th.</summary>
    private static string TieAtCut(QueryPlan plan, int rows) =>
        plan is { ShowsTies: true, Limit: > 1 and var n } && rows > n
            ? string.Create(CultureInfo.InvariantCulture, $" (a top {n}: {rows} rows, tied at the cut, all shown)")
            : "";

    private static string Scope(QueryPlan plan)
    {
        var parts = new List<string>();
        foreach (var f in plan.Filters)
        {
            parts.Add($"{f.Kind.ToString().ToLowerInvariant()} {string.Join(" and ", f.Values)}");
        }
        if (plan.Window is { } w)
        {
            parts.Add(plan.DefaultWindowApplied ? w.Label + ", the default period for this metric" : w.Label);
        }
        return parts.Count == 0 ? "" : " (" + string.Join("; ", parts) + ")";
    }

    private static void AppendHighLow(StringBuilder sb, List<object?[]> valued, int valueIndex, int labelIndex, MetricDef m)
    {
        if (valued.Count < 2)
        {
            return;
        }
        var max = valued.MaxBy(r => ToDouble(r[valueIndex]))!;
        var min = valued.MinBy(r => ToDouble(r[valueIndex]))!;
        sb.Append(CultureInfo.InvariantCulture, $" Highest: {Format(max[labelIndex])} ({Format(max[valueIndex])}{UnitSuffix(m)}); lowest: {Format(min[labelIndex])} ({Format(min[valueIndex])}{UnitSuffix(m)}).");
    }

    private static void AppendExtras(StringBuilder sb, IReadOnlyList<string> columns, object?[] row, MetricDef m, int valueIndex)
    {
        if (valueIndex >= 0 && m.Tier(ToDouble(row[valueIndex])) is { } t)
        {
            sb.Append(CultureInfo.InvariantCulture, $" DORA performance tier: {t}.");
        }
        foreach (var c in new[] { "issues", "prs", "deployments", "incidents", "epics" })
        {
            var i = IndexOf(columns, c);
            if (i >= 0 && c != m.Name)
            {
                sb.Append(CultureInfo.InvariantCulture, $" Based on {Format(row[i])} {c.Replace("prs", "pull requests", StringComparison.Ordinal)}.");
                break;
            }
        }
    }

    private static bool IsPeriod(object? label, DateOnly start) => label switch
    {
        DateTime d => DateOnly.FromDateTime(d) == start,
        DateOnly d => d == start,
        DateTimeOffset d => DateOnly.FromDateTime(d.UtcDateTime) == start,
        _ => false,
    };

    private static string UnitSuffix(MetricDef m) => m.Unit switch
    {
        "%" => "%",
        "days" => " days",
        "hours" => " hours",
        "deployments/day" => " deployments/day",
        "points" => " points",
        _ => "",
    };

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    public static double? ToDouble(object? v) => v switch
    {
        null => null,
        decimal d => (double)d,
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        short s => s,
        _ => null,
    };

    public static string Format(object? v) => v switch
    {
        null => "n/a",
        DateTime d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        decimal d => d.ToString("0.##", CultureInfo.InvariantCulture),
        double d => d.ToString("0.##", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>"1 team", "4 teams", "6 repositories": a count with its noun in English.</summary>
    public static string Counted(int n, string noun) =>
        n == 1 ? $"1 {noun}"
        : noun.Length > 1 && noun[^1] == 'y' && !"aeiou".Contains(noun[^2], StringComparison.Ordinal) ? $"{n} {noun[..^1]}ies"
        : $"{n} {noun}s";
}
