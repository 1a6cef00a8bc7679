using System.Globalization;
using StrategicAgent.Semantic;

namespace StrategicAgent.Validation.Domain.Judging;

/// <summary>What the coverage rule found: the concepts the SQL expresses, those it misses, and the conditions it adds.</summary>
public sealed record Coverage(IReadOnlyList<string> Matched, IReadOnlyList<string> Missing, IReadOnlyList<string> Added)
{
    public bool Valid => Missing.Count == 0 && Added.Count == 0;

    public string Explain() =>
        Valid
            ? "The SQL expresses every concept of the question: " + string.Join("; ", Matched) + "."
            : string.Join(" ", new[]
              {
                  Missing.Count > 0 ? "The question asks for " + string.Join("; ", Missing) + "." : null,
                  Added.Count > 0 ? "The SQL adds " + string.Join("; ", Added) + ", which the question does not ask for." : null,
                  Matched.Count > 0 ? "Expressed: " + string.Join("; ", Matched) + "." : null,
              }.Where(s => s is not null));
}

/// <summary>
/// The coverage rule: every concept of the question has a counterpart in the SQL's shape (condition,
/// measure, grouping, period, ordering and row count), and the SQL adds no condition, grouping, period
/// or row cut the question did not ask for (a metric's and an entity's own definitions excepted).
/// </summary>
public static class CoverageCheck
{
    private static readonly HashSet<string> NoColumns = new(StringComparer.Ordinal);

    /// <summary>A LIMIT of at most this many rows after an ORDER BY picks rows (a top N); a larger one caps what a listing shows.</summary>
    public const int MaxCutRows = 100;

    /// <summary>How far (days) a period's bound may be from the question's: "last 30 days" may include today or not.</summary>
    private const double BoundToleranceDays = 1.5;

    public static Coverage Check(QuestionReading reading, QueryShape shape, DateOnly today)
    {
        var matched = new List<string>();
        var missing = new List<string>();
        var added = new List<string>();
        var used = UsedColumns(shape);
        // Columns an inner join already requires to be set: "x.deployment_id IS NOT NULL" beside "JOIN deployments d ON d.id = x.deployment_id" adds nothing.
        var joined = shape.Conditions.Where(c => c.IsJoin).SelectMany(c => c.Columns.Concat(c.OtherColumns)).ToHashSet(StringComparer.Ordinal);

        // In a query over an epic and its children, which of them each condition is on (the state word's scope).
        var roles = IssueRoles.Of(shape);
        // A listing's conditions pick its rows: one inside an aggregate's FILTER or a CASE only counts or labels them.
        var rowsOnly = reading.Of<ListingConcept>().Any();
        // The same condition named twice ("the open epic with the most open child issues") needs two conditions.
        var taken = new HashSet<SqlCondition>(ReferenceEqualityComparer.Instance);
        foreach (var concept in reading.Concepts)
        {
            var (ok, why) = concept switch
            {
                EntityConcept e => (shape.Tables.Contains(e.Table), $"{e.Label} (table {e.Table}) but the SQL does not read it"),
                FilterConcept { Role: { } role } f when roles.Known => (f.Forms.Any(form => form.All(x => Expressed(x, roles.Only(shape, role), used, taken, rowsOnly))),
                    $"{f.Label} said of the {(role == IssueRole.Epic ? "epic" : "child issues")} ({string.Join(" or ", f.Forms.Select(form => string.Join(" and ", form)))}) but the SQL has no such condition on the {(role == IssueRole.Epic ? "epic's" : "child issues'")} rows"),
                // A share's population is picked by the WHERE: a column read only inside the numerator's FILTER does not say its value is there.
                FilterConcept f => (f.Forms.Any(form => form.All(x => Expressed(x, shape, f.Population ? NoColumns : used, taken, rowsOnly || f.Population))),
                    $"{f.Label} ({string.Join(" or ", f.Forms.Select(form => string.Join(" and ", form)))}) but the SQL has no such condition{(rowsOnly ? " that picks the rows listed" : f.Population ? " that picks the rows the share is of (it is only in the numerator)" : "")}"),
                ListingConcept l => ListingExpressed(l, shape),
                MeasureConcept m => MeasureExpressed(m, shape),
                GroupingConcept g => GroupingExpressed(g, shape),
                WindowConcept w => WindowExpressed(w, shape, today),
                OrderConcept o => OrderExpressed(o, shape),
                _ => (true, ""),
            };
            if (ok)
            {
                matched.Add(concept.Label);
            }
            else
            {
                missing.Add(concept is MeasureConcept or GroupingConcept or WindowConcept or OrderConcept or ListingConcept ? $"{concept.Label}: {why}" : why);
            }
        }

        // A repeated subquery of the children (the count shown and its copy that ranks, or a copy in the WHERE) is the same count:
        // a state the question says of the children holds on every reference to the child rows, not only on one of them.
        if (roles.Known && roles.ChildRows.Count > 1)
        {
            foreach (var f in reading.Of<FilterConcept>().Where(f => f.Role == IssueRole.Child))
            {
                foreach (var row in roles.ChildRows)
                {
                    if (!f.Forms.Any(form => form.All(x => All(shape.Conditions).Any(c => Same(x, c) && roles.IssueRowOf(c) == row))))
                    {
                        missing.Add($"{f.Label} on every copy of the child issues, but one reference to the child rows (a repeated subquery) has no such condition");
                        break;
                    }
                }
            }
        }

        foreach (var word in reading.Unplaced.Where(w => !(reading.Relation && JudgeWords.IsComparative(w) && shape.GroupBy.Count > 0)))
        {
            missing.Add($"'{word}', a word that changes what is counted, but the judge cannot place it (no condition, measure, order or period of its reading holds it)");
        }
        foreach (var (text, value) in reading.Numbers)
        {
            if (!SaysNumber(shape.Numbers, value))
            {
                missing.Add($"the number {text}, but the SQL says no such value (a threshold, a row count or a length it should carry)");
            }
        }
        if (reading.Unit is { } unit && shape.Numbers.Where(n => n is 3600 or 86400 or 604800).ToList() is { Count: > 0 } divisors && !divisors.Contains(unit))
        {
            missing.Add($"a duration in {UnitName(unit)}, but the SQL converts to {string.Join(" or ", divisors.Select(UnitName))}");
        }

        // "Deployments per week": a count in each week, not a per-day rate inside each week (issue 10's units class).
        if (!reading.PerDay && shape.HasDivision && shape.GroupBy.Any(k => IsTimeKey(k, out var g) && g == "week") && shape.Numbers.Contains(7))
        {
            missing.Add("a count per week, but the SQL divides each week's value by its 7 days (a per-day rate)");
        }

        if (reading.Ratio)
        {
            // "The ratio of bugs to stories": each value counted on its own (bugs over stories), not bugs over bugs-and-stories nor a row per type.
            foreach (var column in reading.Of<FilterConcept>().Where(f => f.Forms.Count == 1 && f.Forms[0].Count == 1 && f.Forms[0][0] is { Operator: "=" or "in", Negated: false, Columns.Count: 1, Constants.Count: 1 })
                         .Select(f => f.Forms[0][0]).GroupBy(c => c.Columns[0]).Where(g => g.Select(c => c.Constants[0]).Distinct().Count() > 1))
            {
                foreach (var value in column.Select(c => c.Constants[0]).Distinct())
                {
                    if (!All(shape.Conditions).Any(c => !c.Negated && c.Operator is "=" or "in" && c.Columns.SequenceEqual([column.Key]) && Values(c.Constants).SetEquals(Values([value]))))
                    {
                        missing.Add($"a ratio of one {column.Key} over another, but the SQL never counts {column.Key} = '{value}' on its own");
                    }
                }
            }
        }

        // Nothing the question did not ask for.
        var windows = reading.Of<WindowConcept>().ToList();
        foreach (var c in shape.Conditions)
        {
            if (roles.Known && StateOfOtherRow(c, reading, roles) is { } said)
            {
                // A copy of the children's count (a hidden ranking column, a repeated subquery) whose state was moved to the epic's row.
                added.Add(said);
                continue;
            }
            if (Explained(c, reading, used, joined, windows.Count > 0 || reading.DefaultWindowDays is not null))
            {
                continue;
            }
            added.Add(c.Temporal && !reading.TimeColumns.Contains(c.Columns.FirstOrDefault() ?? "") && windows.Count > 0
                ? $"a time condition on {string.Join(", ", c.Columns)} (the question's period applies to {string.Join(" or ", reading.TimeColumns)})"
                : c.Temporal ? $"a time condition ({c}) while the question names no period" : $"the condition {c}");
        }
        if (windows.Count == 0 && reading.DefaultWindowDays is { } days)
        {
            var (ok, why) = WindowExpressed(new WindowConcept($"the metric's default of the last {days} days",
                today.AddDays(-(days - 1)).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), today.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), reading.TimeColumns), shape, today, optional: true);
            if (!ok)
            {
                added.Add(why);
            }
        }
        var groupings = reading.Of<GroupingConcept>().ToList();
        foreach (var key in shape.GroupBy)
        {
            if (!groupings.Any(g => KeyExpresses(g, key)) && !reading.AllowedGroupKeys.Any(k => KeyMatches(k, key)) && !IsTimeKey(key, out _))
            {
                added.Add($"a grouping by {key}");
            }
            else if (IsTimeKey(key, out var grain) && !groupings.Any(g => g.TimeGrain is { } tg && (tg == "any" || tg == grain)) && !reading.AllowedGroupKeys.Contains("time:" + grain)
                     && reading.Metric?.DefaultDimension.ToString().ToLowerInvariant() != grain)
            {
                added.Add($"a grouping by {grain}");
            }
        }
        // A count does not become an average: "deployments per week" over avg(deployments.lead_time_seconds) answers another question.
        var measures = reading.Of<MeasureConcept>().ToList();
        if (measures.Count > 0 && measures.All(m => m.Aggregates.SetEquals(["count"])) && !reading.Of<OrderConcept>().Any())
        {
            foreach (var a in shape.AggregateUses.Where(a => a.Name is "avg" or "median" or "p90" && a.Columns.Count > 0 && a.Columns.All(c => c.Contains('.') && !IsDerived(c))).DistinctBy(a => (a.Name, string.Join(",", a.Columns))))
            {
                added.Add($"a measure {a.Name}({string.Join(", ", a.Columns)}) where the question asks for a count");
            }
        }
        // Every value the SQL aggregates is one the question names: "which open epic has the most open child issues" ranked or shown by
        // avg(story_points) — in a copy of the count's subquery, or in its place — answers another question (session 7).
        var measuredColumns = new HashSet<string>(reading.NamedColumns, StringComparer.Ordinal);
        measuredColumns.UnionWith(measures.SelectMany(m => m.Columns));
        if (reading.Metric is null && measures.All(m => m.Columns.Count > 0 || m.Aggregates.SetEquals(["count"]) || m.Aggregates.SetEquals(["count", "sum"])))
        {
            foreach (var a in shape.AggregateUses.Where(a => a.Name is "avg" or "sum" or "max" or "min" or "median" or "p90" && a.Columns.Count > 0
                         && a.Columns.All(c => c.Contains('.') && !IsDerived(c)) && !a.Columns.Any(measuredColumns.Contains)).DistinctBy(a => (a.Name, string.Join(",", a.Columns))))
            {
                added.Add($"a measure {a.Name}({string.Join(", ", a.Columns)}), a value the question does not name");
            }
        }
        // Conditions no row meets ("DATA issues in To Do, In Progress and Done" read as status_to = 'To Do' AND status_to = 'Done'):
        // two equalities of one column of one row with different values, both picking the rows. An empty answer to another question.
        foreach (var pair in shape.Conditions.Where(c => c is { Operator: "=", Negated: false, Columns.Count: 1, OtherColumns.Count: 0, Constants.Count: 1, Rows: [>= 0] }
                         && c.Context is ConditionContext.Where or ConditionContext.Join)
                     .GroupBy(c => (c.Columns[0], c.Rows[0])).Where(g => g.Select(c => c.Constants[0]).Distinct().Count() > 1))
        {
            added.Add($"conditions no row meets: {string.Join(" and ", pair.Select(c => c.ToString()).Distinct())}");
        }
        // A count is not a share: "how many bugs per team" answered by each team's percentage of all bugs (a division by an aggregate).
        // A ranking by a count ("the 3 epics with the most open child issues") shows the count, not each one's share of all.
        if (shape.DividesByAggregate && measures.All(m => m.Aggregates.IsSubsetOf(["count", "sum"])) && (measures.Count > 0 || reading.Of<OrderConcept>().Any())
            && !reading.Ratio && reading.Metric is null or { Aggregation: Aggregation.Count or Aggregation.Sum or Aggregation.RatePerDay }
            && !reading.Of<GroupingConcept>().Any(g => g.AveragedOver))
        {
            added.Add("a share (a division by an aggregate) where the question asks for a count or a total");
        }
        // The layer counts rows; a count of distinct keys says which rows are counted only when the question says "distinct".
        foreach (var a in shape.AggregateUses.Where(a => a is { Name: "count", Distinct: true } && a.Columns.Any(c => c.EndsWith(".id", StringComparison.Ordinal) || c.EndsWith(".key", StringComparison.Ordinal))))
        {
            if (!reading.Words.Overlaps(["distinct", "unique", "different"]) && !reading.Of<GroupingConcept>().Any(g => g.AveragedOver && CountsKeys(g, a)))
            {
                added.Add($"a count of distinct {string.Join(", ", a.Columns)} (the question does not say which rows to count once)");
            }
        }
        // "How many epics are still open?" counted over a join to their child issues counts the children.
        if (reading.Entity == EntityKind.Epic && !reading.ChildrenNamed && roles.HasChildRows)
        {
            added.Add("the epics' child issues (a join on parent_id), which the question does not name: it asks about the epics themselves");
        }
        // A listing may cap what it shows (LIMIT 50 … 100 over its own order); a smaller cut picks rows the question did not ask for.
        if (shape.Limit is { } limit && limit <= MaxCutRows && shape.OrderKeys.Count > 0 && !reading.Of<OrderConcept>().Any() && reading.Metric is null
            && !(limit >= 50 && reading.Of<ListingConcept>().Any())
            && !(limit == 1 && shape.GroupBy.Count == 0 && shape.Aggregates.Count > 0))
        {
            added.Add($"a cut to the first {limit} rows");
        }
        return new Coverage(matched, missing, added);
    }

    /// <summary>
    /// A state condition on one issue row of an epic question (the epic or its children) that the question says only of the other row —
    /// e.g. Done moved from the children to the epic in the copy of a count that ranks the epics. Null when the question says it of that
    /// row too, or does not say of which row.
    /// </summary>
    private static string? StateOfOtherRow(SqlCondition c, QuestionReading reading, IssueRoles roles)
    {
        if (!c.Columns.Any(col => col.StartsWith("status_mappings.", StringComparison.Ordinal) || col.StartsWith("statuses.", StringComparison.Ordinal))
            || roles.RoleOf(c) is not { } row)
        {
            return null;
        }
        var saying = reading.Of<FilterConcept>().Where(f => f.Forms.Any(form => form.Any(x => Same(x, c, subset: true)))).ToList();
        // "The epic with the most work still open under it": an epic is not finished while work under it is open, so the epic's own
        // not-Done in the statement's WHERE says no more than the question. Inside a subquery that counts the children, a condition
        // on the epic picks which epics get a count: never implied (done children say nothing of the epic either).
        var implied = row == IssueRole.Epic && !c.Nested && !c.Negated && c.Operator is "<>" or "not in" && c.Constants.Contains("done");
        return !implied && saying.Count > 0 && saying.All(f => f.Role is { } r && r != row)
            ? $"the condition {c} on the {(row == IssueRole.Epic ? "epic's" : "child issues'")} rows (the question says it only of the {(row == IssueRole.Epic ? "child issues" : "epic")})"
            : null;
    }

    /// <summary>The SQL says the question's number: as written, as a share (50 % = 0.5), or in a smaller unit (2 days = 48 hours = 172800 seconds).</summary>
    private static bool SaysNumber(IReadOnlySet<double> numbers, double value) =>
        new[] { 1, 0.01, 100, 7, 24, 60, 3600, 86400, 604800, 24 * 7 }.Any(f => numbers.Any(n => Math.Abs(n - value * f) < 1e-9 * Math.Max(1, Math.Abs(n))));

    private static string UnitName(double divisor) => divisor switch { 3600 => "hours", 86400 => "days", _ => "weeks" };

    private static HashSet<string> UsedColumns(QueryShape shape)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in shape.AggregateUses)
        {
            used.UnionWith(a.Columns);
        }
        foreach (var o in shape.OrderKeys)
        {
            used.UnionWith(o.Columns);
        }
        foreach (var g in shape.GroupBy)
        {
            used.Add(g);
            if (g.IndexOf('(') is var open and >= 0 && g.LastIndexOf(')') is var close && close > open)
            {
                used.Add(g[(open + 1)..close]);
            }
        }
        return used;
    }

    // ---------------------------------------------------------------- conditions

    /// <summary>Does the SQL carry a condition that expresses <paramref name="expected"/>?</summary>
    private static bool Expressed(SqlCondition expected, QueryShape shape, HashSet<string> used, HashSet<SqlCondition> taken, bool rowsOnly = false)
    {
        if (rowsOnly)
        {
            var picking = new QueryShape();
            picking.Conditions.AddRange(shape.Conditions.Where(c => c.Context is not (ConditionContext.AggregateFilter or ConditionContext.Case)));
            return Expressed(expected, picking, used, taken);
        }
        if (expected.Operator == "is not null" && !expected.Negated && expected.Columns.Count == 1)
        {
            // "merged" (merged_at IS NOT NULL) also holds under a period on merged_at or an aggregate over it.
            var column = expected.Columns[0];
            // A foreign key an inner join follows ("JOIN deployments d ON d.id = x.deployment_id") is set on every row joined.
            return used.Contains(column) || shape.Conditions.Any(c => !c.Negated && c.Columns.Contains(column) && c.Operator is not ("is null" or "<>" or "not in"))
                   || column.EndsWith("_id", StringComparison.Ordinal) && shape.Conditions.Any(c => c.IsJoin && c.Context == ConditionContext.Join && c.OtherColumns.Contains(column));
        }
        if (expected.Operator == "between" && expected.Constants.Count == 2)
        {
            return shape.Conditions.Any(c => Same(expected, c))
                   || (shape.Conditions.Any(c => Same(expected with { Operator = ">=", Constants = [expected.Constants[0]] }, c))
                       && shape.Conditions.Any(c => Same(expected with { Operator = "<=", Constants = [expected.Constants[1]] }, c)));
        }
        var match = All(shape.Conditions).FirstOrDefault(c => !taken.Contains(c) && Same(expected, c))
                    ?? All(shape.Conditions).FirstOrDefault(c => Same(expected, c) && !NeedsItsOwnCondition(expected));
        if (match is not null)
        {
            taken.Add(match);
        }
        return match is not null;
    }

    /// <summary>A state condition ("open") asked twice is asked of two different rows (the epic and its children).</summary>
    private static bool NeedsItsOwnCondition(SqlCondition c) => c.Columns.Any(col => col.StartsWith("status_mappings.", StringComparison.Ordinal));

    /// <summary>Conditions with the parts of every AND (an AND inside an aggregate FILTER or CASE).</summary>
    private static IEnumerable<SqlCondition> All(IEnumerable<SqlCondition> conditions)
    {
        foreach (var c in conditions)
        {
            yield return c;
            if (c.Operator == "and" && !c.Negated)
            {
                foreach (var p in All(c.Parts))
                {
                    yield return p;
                }
            }
        }
    }

    /// <summary>The same condition: same columns and operator, the same constants (an IN list may hold the value), the same OR alternatives.</summary>
    private static bool Same(SqlCondition e, SqlCondition c, bool subset = false)
    {
        if (e.Negated != c.Negated)
        {
            // NOT (a <> b) … rare; a negated IN is "not in".
            return false;
        }
        if (e.Operator is "or" or "and")
        {
            return c.Operator == e.Operator && e.Parts.All(p => c.Parts.Any(q => Same(p, q))) && c.Parts.All(q => e.Parts.Any(p => Same(p, q)));
        }
        if (e.Operator == "subquery")
        {
            return c.Operator == "subquery" && e.Tables.All(t => c.Tables.Contains(t));
        }
        if (!e.Columns.SequenceEqual(c.Columns))
        {
            return false;
        }
        if (e.OtherColumns.Count > 0 || c.OtherColumns.Count > 0)
        {
            return e.Operator == c.Operator && e.OtherColumns.SequenceEqual(c.OtherColumns);
        }
        var eop = e.Operator;
        var cop = c.Operator;
        if (eop is "is null" or "is not null" or "is true")
        {
            return eop == cop;
        }
        var ev = Values(e.Constants);
        var cv = Values(c.Constants);
        return (eop, cop) switch
        {
            ("=", "=") or ("<>", "<>") or ("between", "between") or (">", ">") or (">=", ">=") or ("<", "<") or ("<=", "<=") => ev.SetEquals(cv),
            ("=", "in") => subset ? cv.IsSubsetOf(ev) : cv.IsSupersetOf(ev),
            ("in", "in") => subset ? cv.IsSubsetOf(ev) : cv.SetEquals(ev),
            ("in", "=") => ev.IsSupersetOf(cv),
            ("<>", "not in") or ("not in", "<>") or ("not in", "not in") => ev.SetEquals(cv),
            _ => false,
        };
    }

    private static HashSet<string> Values(IEnumerable<string> constants) =>
        constants.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d.ToString("R", CultureInfo.InvariantCulture) : v.Trim().ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>A condition the question, or a definition it names, accounts for.</summary>
    private static bool Explained(SqlCondition c, QuestionReading r, HashSet<string> used, HashSet<string> joined, bool periodAsked)
    {
        if (c.IsJoin || IsKeyComparison(c) || c.Columns.Any(col => col.EndsWith(".client_id", StringComparison.Ordinal) || col == "clients.id"))
        {
            return true;
        }
        if (c.Temporal && c.Operator is not ("is null" or "is not null"))
        {
            // "open for more than two weeks": an age up to now (now() - created) is the question's own threshold, not a period.
            return periodAsked && (r.TimeColumns.Count == 0 || r.TimeColumns.Contains(c.Columns[0]))
                   || r.Concepts.OfType<FilterConcept>().SelectMany(f => f.Forms.SelectMany(form => form)).Any(a => Same(a, c, subset: true));
        }
        if (c.Operator == "is not null" && !c.Negated && c.Columns.All(col => used.Contains(col) || joined.Contains(col) || r.TimeColumns.Contains(col)))
        {
            return true;
        }
        // "more than 40 merged PRs" over groups: a threshold on the aggregate (HAVING count(*) > 40) at the question's own number.
        if (c.Operator is ">" or ">=" or "<" or "<=" or "=" && !c.Negated && c.Constants.Count == 1 && (c.Context == ConditionContext.Having || c.Columns.Count == 0)
            && double.TryParse(c.Constants[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var bound)
            && r.Numbers.Any(n => Math.Abs(n.Value - bound) <= 1 || Math.Abs(n.Value - bound * 100) < 1e-9 || Math.Abs(n.Value / 100 - bound) < 1e-9))
        {
            return true;
        }
        var known = r.Allowed.Concat(r.Concepts.OfType<FilterConcept>().SelectMany(f => f.Forms.SelectMany(form => form))).ToList();
        if (known.Any(a => Same(a, c, subset: true)))
        {
            return true;
        }
        if (c.Operator == "in" && !c.Negated)
        {
            // "sev1 or sev2" is one IN list: every value must be asked for on that column.
            var values = known.Where(a => !a.Negated && a.Operator is "=" or "in" && a.Columns.SequenceEqual(c.Columns)).SelectMany(a => Values(a.Constants)).ToHashSet(StringComparer.Ordinal);
            if (values.IsSupersetOf(Values(c.Constants)))
            {
                return true;
            }
        }
        if (c.Operator is "and" && !c.Negated)
        {
            return c.Parts.All(p => Explained(p, r, used, joined, periodAsked));
        }
        // A fixed value the question says in so many words ("production", "failed", "High"): asked for.
        if (c.Operator is "=" or "in" && !c.Negated && c.Columns.Count == 1 && ValueColumns.Contains(c.Columns[0]) && c.Constants.Count > 0
            && c.Constants.All(v => r.Words.Contains(v.Replace('_', ' ')) || JudgeWords.ValueWords(v).Any(r.Words.Contains)))
        {
            return true;
        }
        // A name the question says (case-insensitively), on a name column.
        if (c.Operator is "=" or "in" && !c.Negated && c.Columns.Count == 1 && IsNameColumn(c.Columns[0]) && c.Constants.Count > 0)
        {
            return c.Constants.All(v => r.MentionedNames.Any(n => string.Equals(n, v, StringComparison.OrdinalIgnoreCase)));
        }
        return false;
    }

    /// <summary>Key equality inside one table (a self-join: child.parent_id = epic.id).</summary>
    private static bool IsKeyComparison(SqlCondition c) =>
        c.Operator == "=" && !c.Negated && c.Constants.Count == 0 && c.Columns.Count == 1 && c.OtherColumns.Count == 1
        && (c.Columns[0].EndsWith("id", StringComparison.Ordinal) || c.OtherColumns[0].EndsWith("id", StringComparison.Ordinal));

    private static readonly HashSet<string> ValueColumns = new(StringComparer.Ordinal)
    {
        "deployments.environment", "deployments.status", "pull_requests.status", "incidents.severity", "issues.priority", "status_mappings.status_to",
    };

    private static bool IsNameColumn(string column) =>
        column is "teams.name" or "projects.key" or "projects.name" or "repositories.name" or "repositories.full_name" or "users.name" or "issuetypes.original_name";

    // ---------------------------------------------------------------- measure, grouping, period, order

    private static (bool, string) MeasureExpressed(MeasureConcept m, QueryShape shape)
    {
        if (m.Aggregates.Contains("share") && shape.HasDivision)
        {
            return (true, "");
        }
        var uses = shape.AggregateUses.Where(a => m.Aggregates.Contains(a.Name)).ToList();
        if (uses.Count == 0)
        {
            var found = shape.AggregateUses.Count == 0 ? "no aggregate" : string.Join(", ", shape.AggregateUses.Select(a => a.Name).Distinct());
            var wanted = string.Join(" or ", m.Aggregates.Select(a => a == "share" ? "a share (a division)" : a));
            return (false, $"{wanted} but the SQL computes {found}");
        }
        if (m.Columns.Count == 0 || uses.Any(u => u.Columns.Count == 0 && u.Name == "count" || u.Columns.Intersect(m.Columns).Any() || u.Columns.Any(c => !c.Contains('.') || IsDerived(c))))
        {
            return (true, "");
        }
        return (false, $"{string.Join(" or ", m.Aggregates)} of {string.Join(", ", m.Columns)} but the SQL aggregates {string.Join(", ", uses.Select(u => $"{u.Name}({string.Join(", ", u.Columns)})"))}");
    }

    /// <summary>A column of a derived table or CTE (alias.column, not a platform table): its meaning is inside the subquery.</summary>
    private static bool IsDerived(string column) =>
        !Platform.Contains(SqlCondition.Table(column));

    private static readonly HashSet<string> Platform = new(StringComparer.Ordinal)
    {
        "clients", "teams", "users", "projects", "issuetypes", "status_mappings", "statuses", "issues", "repositories", "pull_requests", "deployments", "incidents",
    };

    private static (bool, string) GroupingExpressed(GroupingConcept g, QueryShape shape)
    {
        if (g.AveragedOver)
        {
            // The rows over the distinct groups: a division by a count of the grouping's distinct keys, and no grouping.
            return shape.GroupBy.Count == 0 && shape.HasDivision && shape.AggregateUses.Any(a => a is { Name: "count", Distinct: true } && CountsKeys(g, a))
                ? (true, "")
                : (false, $"an average over the groups (the rows divided by the count of distinct {string.Join(" or ", g.Keys.Take(2))}) but the SQL {(shape.GroupBy.Count > 0 ? "groups by " + string.Join(", ", shape.GroupBy) : "divides by no such count")}");
        }
        if (g.Via is { } via && shape.GroupBy.Any(k => KeyExpresses(g, k)) && !shape.GroupBy.Contains(via)
            && !shape.Conditions.Any(c => c.IsJoin && (c.Columns.Contains(via) || c.OtherColumns.Contains(via))))
        {
            // "Who reported the most bugs" grouped by users.name joined through issues.assignee_id: the assignees, another question.
            return (false, $"a grouping by {string.Join(" or ", g.Keys.Take(2))} reached through {via}, but the SQL reaches it through "
                           + string.Join(", ", shape.Conditions.Where(c => c.IsJoin).SelectMany(c => c.Columns.Concat(c.OtherColumns)).Where(c => c.EndsWith("_id", StringComparison.Ordinal)).Distinct().DefaultIfEmpty("no such join")));
        }
        if (shape.GroupBy.Any(k => KeyExpresses(g, k)) || g.DivisionWillDo && shape.HasDivision)
        {
            return (true, "");
        }
        var found = shape.GroupBy.Count == 0 ? "nothing" : string.Join(", ", shape.GroupBy);
        return (false, $"a grouping by {(g.TimeGrain is { } t ? t : string.Join(" or ", g.Keys.Take(2)))} but the SQL groups by {found}");
    }

    private static bool CountsKeys(GroupingConcept g, AggregateUse a) => a.Columns.Any(c => g.Keys.Any(k => KeyMatches(k, c)));

    private static bool KeyExpresses(GroupingConcept g, string key)
    {
        if (g.TimeGrain is { } grain)
        {
            return IsTimeKey(key, out var kg) && (grain == "any" || kg == grain);
        }
        return g.Keys.Any(k => KeyMatches(k, key));
    }

    private static bool KeyMatches(string column, string key) =>
        key == column || key.Contains("(" + column + ")", StringComparison.Ordinal);

    private static bool IsTimeKey(string key, out string grain)
    {
        foreach (var unit in new[] { "week", "month", "quarter", "year", "day" })
        {
            if (key.Contains(":" + unit, StringComparison.Ordinal))
            {
                grain = unit;
                return true;
            }
        }
        if (key.StartsWith("to_char:", StringComparison.Ordinal) || key.StartsWith("extract:", StringComparison.Ordinal) || key.StartsWith("date_part:", StringComparison.Ordinal))
        {
            grain = key.Contains("iw", StringComparison.Ordinal) || key.Contains("week", StringComparison.Ordinal) ? "week"
                : key.Contains("yyyy-mm-dd", StringComparison.Ordinal) ? "day"
                : key.Contains("yyyy-mm", StringComparison.Ordinal) || key.Contains("month", StringComparison.Ordinal) ? "month"
                : key.Contains('q', StringComparison.Ordinal) ? "quarter" : "year";
            return true;
        }
        grain = "";
        return false;
    }

    private static (bool, string) WindowExpressed(WindowConcept w, QueryShape shape, DateOnly today, bool optional = false)
    {
        var on = shape.Conditions.Where(c => c.Temporal && c.Columns.Count == 1 && (w.TimeColumns.Count == 0 || w.TimeColumns.Contains(c.Columns[0]))
                                             && c.Context is ConditionContext.Where or ConditionContext.Join or ConditionContext.Having).ToList();
        if (on.Count == 0)
        {
            if (optional)
            {
                return (true, "");
            }
            var other = shape.Conditions.Where(c => c.Temporal).SelectMany(c => c.Columns).Distinct().ToList();
            return (false, other.Count > 0
                ? $"the period applies to {string.Join(" or ", w.TimeColumns)} but the SQL restricts {string.Join(", ", other)}"
                : "the SQL has no time condition");
        }
        DateTime? lower = null, upper = null;
        var unknown = false;
        foreach (var c in on)
        {
            var b = c.Bound?.Evaluate(today);
            var u = c.Upper?.Evaluate(today);
            switch (c.Operator)
            {
                case ">=" or ">":
                    if (b is null) { unknown = true; } else { lower = lower is null || b > lower ? b : lower; }
                    break;
                case "<" or "<=":
                    if (b is null) { unknown = true; } else { upper = upper is null || b < upper ? (c.Operator == "<=" && b.Value.TimeOfDay == TimeSpan.Zero ? b.Value.AddDays(1) : b) : upper; }
                    break;
                case "between":
                    if (b is null || u is null) { unknown = true; }
                    else
                    {
                        lower = lower is null || b > lower ? b : lower;
                        var end = u.Value.TimeOfDay == TimeSpan.Zero ? u.Value.AddDays(1) : u.Value;
                        upper = upper is null || end < upper ? end : upper;
                    }
                    break;
                default:
                    unknown = true;
                    break;
            }
        }
        if (lower is null && upper is null && unknown)
        {
            return (true, ""); // bound by parameters or expressions the judge cannot evaluate
        }
        var todayStart = today.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var problems = new List<string>();
        if (lower is null)
        {
            problems.Add("no start");
        }
        else if (Math.Abs((lower.Value - w.From).TotalDays) > BoundToleranceDays)
        {
            problems.Add($"starts {lower.Value:yyyy-MM-dd} instead of {w.From:yyyy-MM-dd}");
        }
        if (w.To <= todayStart.AddDays(0.5))
        {
            if (upper is null)
            {
                problems.Add($"no end (the period ends {w.To.AddDays(-1):yyyy-MM-dd})");
            }
            else if (Math.Abs((upper.Value - w.To).TotalDays) > BoundToleranceDays)
            {
                problems.Add($"ends {upper.Value:yyyy-MM-dd} instead of {w.To:yyyy-MM-dd}");
            }
        }
        else if (upper is not null && upper.Value < todayStart.AddDays(-BoundToleranceDays))
        {
            problems.Add($"ends {upper.Value:yyyy-MM-dd}, before today");
        }
        return problems.Count == 0 ? (true, "") : (false, $"{w.From:yyyy-MM-dd} to {w.To.AddDays(-1):yyyy-MM-dd} but the SQL's period {string.Join(", ", problems)}");
    }

    /// <summary>A listing's rows are the entity's: not one aggregate, not a group per something other than the listed rows' key.</summary>
    private static (bool, string) ListingExpressed(ListingConcept l, QueryShape shape)
    {
        if (!shape.TopAggregated)
        {
            return (true, "");
        }
        if (shape.TopGroupBy.Count == 0)
        {
            return (false, $"the {l.Noun} themselves but the SQL returns one aggregate row");
        }
        return shape.TopGroupBy.Any(k => l.KeyColumns.Any(c => KeyMatches(c, k)))
            ? (true, "")
            : (false, $"the {l.Noun} themselves but the SQL returns one aggregate row per {string.Join(", ", shape.TopGroupBy)}");
    }

    private static (bool, string) OrderExpressed(OrderConcept o, QueryShape shape)
    {
        // One aggregate row: the top-level SELECT aggregates without a GROUP BY (a count in a correlated subquery per row is no such thing).
        if (o.Listing && shape.TopAggregated && shape.TopGroupBy.Count == 0)
        {
            return (false, "a list of rows but the SQL returns one aggregate");
        }
        if (o.Single is { } row && shape.TopAggregated && shape.TopGroupBy.Count == 0)
        {
            return (false, $"one {row} (the first by the ordering) but the SQL returns one aggregate, no {row}");
        }
        // A singular head noun with a superlative ("the repo with the highest number of merged PRs", "which team deploys most
        // often", "the biggest PR") asks for one row (ties kept only by WITH TIES): every row ranked answers a plural question.
        if (o.Single is { } one && shape.Limit is null && (shape.TopGroupBy.Count > 0 || !shape.TopAggregated))
        {
            return (false, $"one {one} (the first by the ordering) but the SQL returns every {one}{(shape.OrderKeys.Count > 0 ? " ranked" : "")}, with no row cut");
        }
        if (shape.OrderKeys.Count == 0)
        {
            // A top N, a listing or a row cut needs the order.
            return o.Limit is null && !o.Listing && shape.Limit is null or > MaxCutRows ? (true, "") : (false, "an ordering but the SQL has no ORDER BY");
        }
        if (o.Single is { } noun && shape.Limit is { } cut && cut != 1 && cut <= MaxCutRows)
        {
            return (false, $"one {noun} (the first by the ordering) but the SQL's LIMIT is {cut}");
        }
        if (o.Limit is { } n && shape.Limit != n)
        {
            return (false, $"the top {n} rows but the SQL's LIMIT is {shape.Limit?.ToString(CultureInfo.InvariantCulture) ?? "missing"}");
        }
        if (o.Direction is { } direction && shape.OrderKeys[0] is { Aggregate: true } first && first.Direction != direction)
        {
            return (false, $"the {(direction == "desc" ? "highest" : "lowest")} first but the SQL orders {first.Direction.ToUpperInvariant()}");
        }
        return (true, "");
    }

    /// <summary>
    /// The issue rows of a query that reads an epic and its children (a self-join or a correlated subquery on
    /// <c>parent_id</c>): which table reference is the epic (type Epic, or the parent of another) and which the children, and
    /// for a condition, the issue row it is on — its own columns, or the row its status/type/project joins lead to.
    /// </summary>
    private sealed class IssueRoles
    {
        private readonly Dictionary<int, IssueRole> _role = [];
        private readonly List<(int A, string ColA, int B, string ColB)> _edges = [];
        private readonly HashSet<int> _issues = [];

        public bool Known => _role.Values.Distinct().Count() == 2;

        /// <summary>The query reads child rows of an issue (a reference on the child side of <c>parent_id = id</c>).</summary>
        public bool HasChildRows => _role.ContainsValue(IssueRole.Child);

        public static IssueRoles Of(QueryShape shape)
        {
            var r = new IssueRoles();
            var all = All(shape.Conditions).ToList();
            foreach (var c in all)
            {
                for (var i = 0; i < Math.Min(c.Columns.Count, c.Rows.Count); i++)
                {
                    if (c.Columns[i].StartsWith("issues.", StringComparison.Ordinal) && c.Rows[i] >= 0)
                    {
                        r._issues.Add(c.Rows[i]);
                    }
                }
                for (var i = 0; i < Math.Min(c.OtherColumns.Count, c.OtherRows.Count); i++)
                {
                    if (c.OtherColumns[i].StartsWith("issues.", StringComparison.Ordinal) && c.OtherRows[i] >= 0)
                    {
                        r._issues.Add(c.OtherRows[i]);
                    }
                }
                if (c is { Operator: "=", Negated: false, Columns.Count: 1, OtherColumns.Count: 1, Rows.Count: 1, OtherRows.Count: 1 } && c.Rows[0] >= 0 && c.OtherRows[0] >= 0 && c.Rows[0] != c.OtherRows[0])
                {
                    r._edges.Add((c.Rows[0], c.Columns[0], c.OtherRows[0], c.OtherColumns[0]));
                }
            }
            foreach (var (a, ca, b, cb) in r._edges)
            {
                if (ca == "issues.parent_id" && cb == "issues.id")
                {
                    r._role[a] = IssueRole.Child;
                    r._role.TryAdd(b, IssueRole.Epic);
                }
                else if (cb == "issues.parent_id" && ca == "issues.id")
                {
                    r._role[b] = IssueRole.Child;
                    r._role.TryAdd(a, IssueRole.Epic);
                }
            }
            return r;
        }

        /// <summary>The child-side references to the issue rows (one per copy of a subquery over the children).</summary>
        public IReadOnlyList<int> ChildRows => _role.Where(r => r.Value == IssueRole.Child).Select(r => r.Key).Order().ToList();

        /// <summary>The issue row (table reference) a condition is on, following its status/type joins; null when it cannot be told.</summary>
        public int? IssueRowOf(SqlCondition c)
        {
            if (c.Operator is "or" or "and")
            {
                var parts = c.Parts.Select(IssueRowOf).Distinct().ToList();
                return parts.Count == 1 ? parts[0] : null;
            }
            var rows = c.Rows.Where(x => x >= 0).Distinct().ToList();
            if (rows.Count != 1)
            {
                return null;
            }
            var seen = new HashSet<int> { rows[0] };
            var frontier = new List<int> { rows[0] };
            for (var depth = 0; depth < 5 && frontier.Count > 0; depth++)
            {
                foreach (var x in frontier)
                {
                    if (_issues.Contains(x))
                    {
                        return x;
                    }
                }
                frontier = frontier.SelectMany(x => _edges.Where(e => e.A == x).Select(e => e.B).Concat(_edges.Where(e => e.B == x).Select(e => e.A)))
                    .Where(seen.Add).ToList();
            }
            return null;
        }

        /// <summary>The issue row a condition is on, when it can be told.</summary>
        public IssueRole? RoleOf(SqlCondition c)
        {
            if (c.Operator is "or" or "and")
            {
                var parts = c.Parts.Select(RoleOf).Distinct().ToList();
                return parts.Count == 1 ? parts[0] : null;
            }
            return IssueRowOf(c) is { } row && _role.TryGetValue(row, out var role) ? role : null;
        }

        /// <summary>The shape with only the conditions on the given row (and those whose row cannot be told).</summary>
        public QueryShape Only(QueryShape shape, IssueRole role)
        {
            var only = new QueryShape();
            only.Conditions.AddRange(shape.Conditions.Where(c => RoleOf(c) is not { } r || r == role));
            return only;
        }
    }
}
