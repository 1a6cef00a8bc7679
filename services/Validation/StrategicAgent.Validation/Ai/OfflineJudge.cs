using System.Globalization;
using System.Text.RegularExpressions;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Ai;

/// <summary>
/// The deterministic judge of the <c>Offline</c> provider: compares what the SQL computes (its
/// <see cref="QueryShape"/>, read off the parse tree) with the planner's intent — aggregate,
/// grouping, filters, time window, ordering and limit. No network, same answer every time.
/// </summary>
public sealed partial class OfflineJudge : ISemanticJudge
{
    /// <summary>Intent dimensions → the "table.column" keys (or key prefixes) that express them.</summary>
    private static readonly Dictionary<string, string[]> Dimensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["team"] = ["teams.name", "teams.id", "users.team_id", "projects.team_id", "repositories.team_id"],
        ["project"] = ["projects.key", "projects.name", "projects.id", "issues.project_id"],
        ["project_key"] = ["projects.key"],
        ["repository"] = ["repositories.name", "repositories.full_name", "repositories.id", "pull_requests.repository_id", "deployments.repository_id"],
        ["assignee"] = ["users.name", "users.id", "users.email", "issues.assignee_id"],
        ["user"] = ["users.name", "users.id", "users.email", "issues.assignee_id", "pull_requests.author_id"],
        ["author"] = ["users.name", "users.id", "pull_requests.author_id"],
        ["issue_type"] = ["issuetypes.original_name", "issues.issuetype_id"],
        ["status"] = ["status_mappings.status_to", "statuses.original_name", "issues.status_id", "pull_requests.status", "deployments.status"],
        ["priority"] = ["issues.priority"],
        ["environment"] = ["deployments.environment"],
        ["severity"] = ["incidents.severity"],
        ["epic"] = ["issues.parent_id", "issues.key"],
        ["client"] = ["clients.id", "clients.name"],
    };

    private static readonly string[] TimeUnits = ["day", "week", "month", "quarter", "year"];

    public Task<JudgeVerdict> JudgeAsync(JudgeRequest request, CancellationToken ct)
    {
        var intent = request.Intent;
        if (intent.IsEmpty)
        {
            return Task.FromResult(new JudgeVerdict(false,
                "the offline judge compares SQL with the planner's intent, and no intent was given", 0, Available: false));
        }
        if (request.Shape is not { } shape)
        {
            return Task.FromResult(new JudgeVerdict(false, "the SQL could not be analyzed", 0, Available: false));
        }

        var passed = new List<string>();
        var failed = new List<string>();
        CheckAggregate(intent, shape, passed, failed);
        CheckGrouping(intent, shape, passed, failed);
        CheckFilters(intent, shape, passed, failed);
        CheckTimeWindow(intent, shape, passed, failed);
        CheckOrdering(intent, shape, passed, failed);

        var valid = failed.Count == 0;
        var justification = valid
            ? "The SQL matches the intent: " + string.Join("; ", passed) + "."
            : "The SQL does not match the intent: " + string.Join("; ", failed) + "."
              + (passed.Count > 0 ? " Matching: " + string.Join("; ", passed) + "." : "");
        // Every check is decided from the parse tree; what it cannot see (the metric's exact formula)
        // keeps the confidence below 1.
        return Task.FromResult(new JudgeVerdict(valid, justification, valid ? 0.9 : 0.95, Available: true));
    }

    private static void CheckAggregate(QueryIntent intent, QueryShape shape, List<string> passed, List<string> failed)
    {
        var wanted = intent.Aggregate.Trim().ToLowerInvariant();
        if (wanted.Length == 0)
        {
            return;
        }
        var aggs = shape.Aggregates;
        var ok = wanted switch
        {
            "count" => aggs.Contains("count"),
            "avg" or "mean" or "average" => aggs.Contains("avg"),
            "sum" or "total" => aggs.Contains("sum"),
            "min" => aggs.Contains("min"),
            "max" => aggs.Contains("max"),
            "median" or "p50" => aggs.Contains("median") || aggs.Contains("p50"),
            "ratio" or "rate" or "share" or "percentage" => shape.HasDivision || aggs.Contains("avg"),
            _ when wanted.StartsWith('p') => aggs.Contains(wanted),
            _ => aggs.Contains(wanted),
        };
        var found = aggs.Count == 0 ? "no aggregate" : string.Join(", ", aggs.Distinct());
        (ok ? passed : failed).Add(ok ? $"aggregate {wanted}" : $"the intent asks for {wanted} but the SQL computes {found}");
    }

    private static void CheckGrouping(QueryIntent intent, QueryShape shape, List<string> passed, List<string> failed)
    {
        foreach (var dim in intent.GroupBy.Where(d => !string.IsNullOrWhiteSpace(d)))
        {
            var ok = shape.GroupBy.Any(key => Expresses(dim, key));
            var found = shape.GroupBy.Count == 0 ? "nothing" : string.Join(", ", shape.GroupBy);
            (ok ? passed : failed).Add(ok ? $"grouped by {dim}" : $"the intent groups by {dim} but the SQL groups by {found}");
        }
    }

    private static void CheckFilters(QueryIntent intent, QueryShape shape, List<string> passed, List<string> failed)
    {
        foreach (var f in intent.Filters.Where(d => !string.IsNullOrWhiteSpace(d)))
        {
            var ok = shape.Filters.Any(p => Expresses(f, p.Column));
            (ok ? passed : failed).Add(ok ? $"filtered on {f}" : $"the intent filters on {f} but the SQL has no such condition");
        }
    }

    private static void CheckTimeWindow(QueryIntent intent, QueryShape shape, List<string> passed, List<string> failed)
    {
        var window = intent.TimeWindow.Trim().ToLowerInvariant();
        if (window.Length == 0 || window is "all" or "all_time" or "any")
        {
            return;
        }
        var temporal = shape.Filters.Where(f => f.Temporal).ToList();
        if (temporal.Count == 0)
        {
            failed.Add($"the intent restricts time to {window} but the SQL has no time condition");
            return;
        }
        if (intent.TimeColumn.Length > 0)
        {
            var onColumn = temporal.Where(f => f.Column.EndsWith("." + intent.TimeColumn, StringComparison.Ordinal)).ToList();
            if (onColumn.Count == 0)
            {
                failed.Add($"the time window should apply to {intent.TimeColumn} but the SQL filters {string.Join(", ", temporal.Select(t => t.Column).Distinct())}");
                return;
            }
            temporal = onColumn;
        }
        var constants = temporal.SelectMany(t => t.Constants).Select(c => c.ToLowerInvariant()).ToList();

        var range = RangeWindow().Match(window);
        if (range.Success)
        {
            var from = range.Groups[1].Value;
            var to = range.Groups[2].Value;
            var ok = constants.Any(c => c.StartsWith(from, StringComparison.Ordinal)) && constants.Any(c => c.StartsWith(to, StringComparison.Ordinal));
            (ok ? passed : failed).Add(ok ? $"time window {from}..{to}" : $"the intent's window is {from}..{to} but the SQL's bounds are {string.Join(", ", constants)}");
            return;
        }
        var last = LastWindow().Match(window);
        if (last.Success)
        {
            var n = int.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture);
            var wantedDays = n * UnitDays(last.Groups[2].Value);
            var found = constants.Select(IntervalDays).Where(d => d is not null).Select(d => d!.Value).ToList();
            var ok = found.Any(d => Math.Abs(d - wantedDays) <= Math.Max(2, wantedDays * 0.03));
            (ok ? passed : failed).Add(ok
                ? $"time window {window}"
                : $"the intent asks for {window} (~{wantedDays:0} days) but the SQL's window is {(found.Count > 0 ? string.Join(", ", found.Select(d => d.ToString("0", CultureInfo.InvariantCulture) + " days")) : string.Join(", ", constants))}");
            return;
        }
        var unit = TimeUnits.FirstOrDefault(u => window.Contains(u, StringComparison.Ordinal));
        if (unit is not null)
        {
            var ok = constants.Any(c => c.Contains(unit, StringComparison.Ordinal));
            (ok ? passed : failed).Add(ok ? $"time window {window}" : $"the intent asks for {window} but the SQL's time condition does not use a {unit} boundary");
            return;
        }
        passed.Add($"a time condition for {window}");
    }

    private static void CheckOrdering(QueryIntent intent, QueryShape shape, List<string> passed, List<string> failed)
    {
        var ordering = intent.Ordering.Trim().ToLowerInvariant();
        if (ordering is "asc" or "desc")
        {
            var ok = shape.OrderDirections.Count > 0 && shape.OrderDirections[0] == ordering;
            var found = shape.OrderDirections.Count == 0 ? "no ORDER BY" : "ORDER BY … " + shape.OrderDirections[0].ToUpperInvariant();
            (ok ? passed : failed).Add(ok ? $"ordered {ordering}" : $"the intent orders {ordering} but the SQL has {found}");
        }
        if (intent.Limit > 0)
        {
            var ok = shape.Limit == intent.Limit;
            (ok ? passed : failed).Add(ok ? $"limit {intent.Limit}" : $"the intent wants the top {intent.Limit} but the SQL's LIMIT is {shape.Limit?.ToString(CultureInfo.InvariantCulture) ?? "missing"}");
        }
    }

    /// <summary>Does a grouping or filter key ("teams.name", "date_trunc:month(…)") express an intent dimension?</summary>
    private static bool Expresses(string dimension, string key)
    {
        var dim = dimension.Trim().ToLowerInvariant();
        if (TimeUnits.Contains(dim))
        {
            return key.Contains(":" + dim, StringComparison.Ordinal)
                   || (key.StartsWith("to_char:", StringComparison.Ordinal) && ToCharUnit(key) == dim);
        }
        if (Dimensions.TryGetValue(dim, out var keys))
        {
            return keys.Any(k => key == k || key.Contains("(" + k + ")", StringComparison.Ordinal));
        }
        var column = key.Contains('.') ? key[(key.LastIndexOf('.') + 1)..].TrimEnd(')') : key;
        return column == dim || key.StartsWith(dim + "s.", StringComparison.Ordinal) || key.StartsWith(dim + ".", StringComparison.Ordinal);
    }

    private static string ToCharUnit(string key) =>
        key.Contains("yyyy-mm-dd", StringComparison.Ordinal) ? "day"
        : key.Contains("yyyy-mm", StringComparison.Ordinal) ? "month"
        : key.Contains("iw", StringComparison.Ordinal) ? "week"
        : key.Contains("q", StringComparison.Ordinal) ? "quarter"
        : "year";

    private static double UnitDays(string unit) => unit.TrimEnd('s') switch
    {
        "day" => 1,
        "week" => 7,
        "month" => 30,
        "quarter" => 91,
        "year" => 365,
        _ => 1,
    };

    /// <summary>"90 days", "3 months", "1 year", "12 weeks" → days; a bare number (current_date - 90) → days.</summary>
    private static double? IntervalDays(string constant)
    {
        var m = IntervalText().Match(constant);
        if (m.Success)
        {
            return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * UnitDays(m.Groups[2].Value switch
            {
                "mon" or "mons" => "month",
                "y" or "yr" or "yrs" => "year",
                "d" => "day",
                "w" => "week",
                var u => u,
            });
        }
        return double.TryParse(constant, NumberStyles.Float, CultureInfo.InvariantCulture, out var days) && days is > 0 and < 100_000 ? days : null;
    }

    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")]
    private static partial Regex RangeWindow();

    [GeneratedRegex(@"^(?:last|past|previous)_(\d+)_(day|days|week|weeks|month|months|quarter|quarters|year|years)$")]
    private static partial Regex LastWindow();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(days?|weeks?|months?|mons?|quarters?|years?|yrs?|y|d|w)\b")]
    private static partial Regex IntervalText();
}
