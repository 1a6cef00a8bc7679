using System.Text;
using System.Text.RegularExpressions;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Evaluation;

/// <summary>The mutations of issue 10's judge test: each makes the SQL answer a different question.</summary>
public enum MutationKind
{
    /// <summary>One condition of the WHERE clause removed (not the tenant, active-row, null-guard or period conditions).</summary>
    DropFilter,

    /// <summary>The measure replaced: a share becomes a count, median ↔ p90, avg → max, sum → avg, count → an average.</summary>
    SwapMeasure,

    /// <summary>The GROUP BY removed with its grouping columns (one total instead of one row per group).</summary>
    DropGrouping,

    /// <summary>The period changed: its start moved 30 days earlier.</summary>
    ChangeWindow,

    /// <summary>A number of a WHERE/HAVING comparison (a threshold) or a top-N LIMIT changed by half of it.</summary>
    ChangeNumber,

    /// <summary>The top-level HAVING removed (every group, not those past the threshold).</summary>
    DropHaving,

    /// <summary>The top-level ORDER BY of a top-N (LIMIT ≤ 20) removed: the LIMIT then cuts arbitrary rows.</summary>
    DropOrder,

    /// <summary>The period put on another event's column of the same rows (closed_at → created_at): "closed this year" read as "opened this year".</summary>
    ChangeTimeColumn,

    /// <summary>The one-row cut of a ranking removed (ORDER BY … LIMIT 1 → every row ranked): "the repo with the most …" answered with all repos.</summary>
    RankAll,

    /// <summary>A top N that keeps the rows tied with the N-th (FETCH FIRST n ROWS WITH TIES) cut to exactly n rows: ties settled by an arbitrary order.</summary>
    CutTies,

    /// <summary>In a query over an epic and its child issues, a status join moved to the other issue row: "the open epic" read as "the open issues", or back.</summary>
    MoveState,

    /// <summary>A listing of rows turned into one aggregate (the rows counted), or a count per group turned into a listing of the rows.</summary>
    ListingToGrouping,

    /// <summary>
    /// The measure swapped for another aggregate of the same rows (session 7): avg ↔ sum ↔ max ↔ min of the same column, a sum
    /// into a count of the column, a count per group into its share of the total — the swaps <see cref="SwapMeasure"/> does not make.
    /// </summary>
    MeasureFamily,

    /// <summary>In a query over epics, the epics counted turned into a count of their child issues, or the child issues counted into a count of their epics.</summary>
    EpicsVsChildren,

    /// <summary>A top N of several rows (2 ≤ n ≤ 20) cut to one row: "the 5 slowest" answered with the slowest.</summary>
    TopNToOne,

    /// <summary>The grouping key swapped for another column of the rows (per team → per priority), in the select list, GROUP BY and ORDER BY alike.</summary>
    SwapGrouping,

    /// <summary>One count (no grouping) answered by the rows it counts: their key listed under a display cap.</summary>
    CountToRows,
}

public sealed record Mutant(MutationKind Kind, string Sql, string What);

/// <summary>
/// Generates mutants of a SELECT by editing its text at the top query level (outside parentheses and
/// quotes). Works on hand-written gold SQL and on the agent's compiled SQL (literal form).
/// </summary>
public static partial class SqlMutator
{
    private static readonly string[] Clauses = ["select", "from", "where", "group by", "having", "order by", "limit"];

    public static IReadOnlyList<Mutant> Mutants(string sql)
    {
        var list = new List<Mutant>();
        var clauses = TopClauses(sql);
        if (clauses.TryGetValue("where", out var where))
        {
            var conjuncts = Conjuncts(sql, where.Start, where.End);
            foreach (var c in conjuncts.Where(c => IsDroppable(sql[c.Start..c.End])))
            {
                list.Add(new Mutant(MutationKind.DropFilter, RemoveConjunct(sql, where, conjuncts, c), "dropped " + Collapse(sql[c.Start..c.End])));
            }
            var temporal = conjuncts.FirstOrDefault(c => LowerBound().IsMatch(sql[c.Start..c.End]));
            if (temporal != default)
            {
                var text = sql[temporal.Start..temporal.End];
                var m = LowerBound().Match(text);
                var shifted = text[..(m.Index + m.Length)] + " (" + text[(m.Index + m.Length)..].Trim() + ") - interval '30 days'";
                if (Regex.IsMatch(text, @"\bbetween\b", RegexOptions.IgnoreCase))
                {
                    var b = Regex.Match(text, @"\bbetween\s+(.+?)\s+and\s+", RegexOptions.IgnoreCase | RegexOptions.Singleline);
                    shifted = text[..b.Groups[1].Index] + "(" + b.Groups[1].Value + ") - interval '30 days'" + text[(b.Groups[1].Index + b.Groups[1].Length)..];
                }
                list.Add(new Mutant(MutationKind.ChangeWindow, sql[..temporal.Start] + shifted + sql[temporal.End..], "period start 30 days earlier: " + Collapse(text)));
            }
        }
        foreach (var name in new[] { "where", "having" })
        {
            if (!clauses.TryGetValue(name, out var body))
            {
                continue;
            }
            // Not the tenant, not a period bound: a threshold of the question.
            var part = Conjuncts(sql, body.Start, body.End).FirstOrDefault(c => ThresholdNumber().IsMatch(sql[c.Start..c.End])
                && !Regex.IsMatch(sql[c.Start..c.End], @"client_id|interval|\b\w+_at\b|\bcreated\b|\bupdated\b", RegexOptions.IgnoreCase));
            if (part != default && ThresholdNumber().Match(sql[part.Start..part.End]) is { Success: true } t
                && double.TryParse(t.Groups["n"].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                var at = part.Start + t.Groups["n"].Index;
                var changed = (n + Math.Max(1, Math.Round(n / 2))).ToString(System.Globalization.CultureInfo.InvariantCulture);
                list.Add(new Mutant(MutationKind.ChangeNumber, sql[..at] + changed + sql[(at + t.Groups["n"].Length)..], $"{name} threshold {t.Value.Trim()} → {changed}"));
                break;
            }
        }
        if (clauses.TryGetValue("having", out var having))
        {
            list.Add(new Mutant(MutationKind.DropHaving, sql[..having.Keyword] + sql[having.End..], "dropped HAVING " + Collapse(sql[having.Start..having.End])));
        }
        list.AddRange(ChangeTimeColumn(sql, clauses));
        if (ListingToGrouping(sql, clauses) is { } regrouped)
        {
            list.Add(regrouped);
        }
        list.AddRange(MoveState(sql));
        if (SqlTopN.Find(sql) is { } top)
        {
            list.AddRange(RowCountMutants(top));
        }
        list.AddRange(MeasureFamily(sql, clauses));
        list.AddRange(EpicsVsChildren(sql, clauses));
        if (SwapGrouping(sql, clauses) is { } regrouped2)
        {
            list.Add(regrouped2);
        }
        if (CountToRows(sql, clauses) is { } rows)
        {
            list.Add(rows);
        }
        if (clauses.TryGetValue("select", out var select) && SwapMeasure(sql, select) is { } swapped)
        {
            list.Add(swapped);
        }
        if (clauses.TryGetValue("group by", out var group) && clauses.TryGetValue("select", out var sel))
        {
            var items = Split(sql, sel.Start, sel.End, ',');
            var kept = items.Where(i => Aggregate().IsMatch(sql[i.Start..i.End])).Select(i => sql[i.Start..i.End].Trim()).ToList();
            if (kept.Count > 0 && kept.Count < items.Count)
            {
                var end = new[] { "having", "order by", "limit" }.Select(k => clauses.TryGetValue(k, out var c) ? c.Keyword : sql.Length).Min();
                var text = sql[..sel.Start] + " " + string.Join(", ", kept) + " " + sql[sel.End..group.Keyword].TrimEnd() + (end < sql.Length && clauses.ContainsKey("having") ? " " + sql[clauses["having"].Keyword..clauses["having"].End] : "");
                list.Add(new Mutant(MutationKind.DropGrouping, text, "dropped GROUP BY " + Collapse(sql[group.Start..group.End])));
            }
        }
        return list;
    }

    /// <summary>
    /// The mutants of a top N's order and cut (found on the parse tree, as the judge's tie probe finds them): its ties cut to
    /// exactly n rows, a one-row cut removed (every row ranked), a small n doubled, the ORDER BY of a small top N dropped.
    /// </summary>
    private static IEnumerable<Mutant> RowCountMutants(SqlTopN top)
    {
        var n = top.Count;
        var cut = top.WithTies ? $"FETCH FIRST {n} ROWS WITH TIES" : $"LIMIT {n}";
        if (top.WithTies)
        {
            yield return new Mutant(MutationKind.CutTies, top.CutTo(n), $"WITH TIES → LIMIT {n}");
        }
        if (n == 1)
        {
            yield return new Mutant(MutationKind.RankAll, top.Uncut, $"dropped {cut}: every row ranked");
        }
        // Only where the order picks the rows: a small top N (a cap of a long listing changes little).
        if (n is > 1 and <= 20)
        {
            yield return new Mutant(MutationKind.TopNToOne, top.WithCount(1), $"{cut} → 1: one row where the question asks for {n}");
        }
        if (n <= 20)
        {
            yield return new Mutant(MutationKind.ChangeNumber, top.WithCount(n * 2), $"{cut} → {n * 2}");
            yield return new Mutant(MutationKind.DropOrder, top.WithoutOrder(), $"dropped the ORDER BY {string.Join(", ", top.Keys)} of a top {n} (a LIMIT with no order)");
        }
    }

    /// <summary>
    /// The time columns of one table's events, each with the columns a mutant puts the period on instead: the first is the
    /// session-5 swap (an event read as the rows' opening, or back); the others (session 7) swap between the other events.
    /// </summary>
    private static readonly Dictionary<string, Dictionary<string, string[]>> EventColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pull_requests"] = new(StringComparer.OrdinalIgnoreCase) { ["merged_at"] = ["created_at", "closed_at"], ["closed_at"] = ["created_at", "merged_at"], ["created_at"] = ["merged_at", "closed_at"] },
        ["issues"] = new(StringComparer.OrdinalIgnoreCase)
        {
            ["work_last_completed_at"] = ["created", "work_first_started_at"], ["work_first_started_at"] = ["created", "work_last_completed_at"], ["created"] = ["work_last_completed_at", "work_first_started_at"],
        },
        ["incidents"] = new(StringComparer.OrdinalIgnoreCase) { ["resolved_at"] = ["created_at"], ["created_at"] = ["resolved_at"] },
    };

    /// <summary>
    /// A listing (no aggregate, no GROUP BY at the top) becomes a count of its rows; a count per group (GROUP BY with count(*)) becomes
    /// a listing of the rows with their group (the rows' id in place of the count, no grouping, a display cap).
    /// </summary>
    private static Mutant? ListingToGrouping(string sql, Dictionary<string, (int Keyword, int Start, int End)> clauses)
    {
        if (!clauses.TryGetValue("select", out var select) || !clauses.TryGetValue("from", out var from) || SqlTopN.Find(sql) is { WithTies: true })
        {
            return null;
        }
        var list = sql[select.Start..select.End];
        var tail = new[] { "order by", "limit" }.Select(k => clauses.TryGetValue(k, out var c) ? c.Keyword : int.MaxValue).Min();
        if (!clauses.ContainsKey("group by") && !clauses.ContainsKey("having") && !Aggregate().IsMatch(list) && !Regex.IsMatch(list, @"^\s*distinct\b", RegexOptions.IgnoreCase))
        {
            var body = sql[from.Keyword..(tail == int.MaxValue ? sql.Length : tail)].TrimEnd();
            return new Mutant(MutationKind.ListingToGrouping, sql[..select.Start] + " count(*) AS n_rows " + body, "the listed rows counted (one aggregate)");
        }
        if (clauses.TryGetValue("group by", out var group) && !clauses.ContainsKey("having") && Regex.Match(list, @"\bcount\s*\(\s*\*\s*\)", RegexOptions.IgnoreCase) is { Success: true } count
            && FromTable().Match(sql) is { Success: true } table)
        {
            var alias = table.Groups[2].Success && !Clauses.Contains(table.Groups[2].Value.ToLowerInvariant()) && table.Groups[2].Value.ToLowerInvariant() is not ("join" or "where") ? table.Groups[2].Value : table.Groups[1].Value;
            var rows = list[..count.Index] + alias + ".id" + list[(count.Index + count.Length)..];
            if (Aggregate().IsMatch(rows))
            {
                return null;
            }
            return new Mutant(MutationKind.ListingToGrouping, sql[..select.Start] + rows + sql[select.End..group.Keyword].TrimEnd() + " LIMIT 1000", "a count per group became a listing of the rows");
        }
        return null;
    }

    /// <summary>
    /// A status join of an epic's or a child's row moved to the other (child.parent_id = epic.id tells them apart): the last one (session 5;
    /// a join can only name a row joined before it, and the later row is the one that can take the earlier's status), and since session 7
    /// every other one too (a mutant that names a row not yet joined does not run and is not counted).
    /// </summary>
    private static IEnumerable<Mutant> MoveState(string sql)
    {
        if (ParentLink().Match(sql) is not { Success: true } link)
        {
            yield break;
        }
        var (child, epic) = (link.Groups["child"].Value, link.Groups["epic"].Value);
        foreach (var join in StatusJoin().Matches(sql).Where(m => m.Groups["row"].Value == child || m.Groups["row"].Value == epic).Reverse())
        {
            var row = join.Groups["row"];
            var other = row.Value == child ? epic : child;
            yield return new Mutant(MutationKind.MoveState, sql[..row.Index] + other + sql[(row.Index + row.Length)..],
                $"status of {(row.Value == child ? "the child issues" : "the epic")} moved to {(row.Value == child ? "the epic" : "the child issues")}");
        }
    }

    /// <summary>Every top-level period bound on one event's column moved to another event's column of the same rows (one mutant per other event).</summary>
    private static IEnumerable<Mutant> ChangeTimeColumn(string sql, Dictionary<string, (int Keyword, int Start, int End)> clauses)
    {
        if (!clauses.TryGetValue("where", out var where))
        {
            yield break;
        }
        var aliases = Aliases(sql);
        var bounds = Conjuncts(sql, where.Start, where.End).Where(c => LowerBound().IsMatch(sql[c.Start..c.End]) || UpperBound().IsMatch(sql[c.Start..c.End])).ToList();
        foreach (var (start, end) in bounds)
        {
            foreach (Match m in QualifiedColumn().Matches(sql[start..end]))
            {
                if (aliases.TryGetValue(m.Groups[1].Value, out var table) && EventColumns.TryGetValue(table, out var columns) && columns.TryGetValue(m.Groups[2].Value, out var others))
                {
                    var from = m.Value;
                    foreach (var other in others)
                    {
                        var to = m.Groups[1].Value + "." + other;
                        var text = new StringBuilder(sql);
                        foreach (var (s, e) in bounds.OrderByDescending(b => b.Start))
                        {
                            var part = Regex.Replace(sql[s..e], $@"\b{Regex.Escape(from)}\b", to);
                            text.Remove(s, e - s).Insert(s, part);
                        }
                        yield return new Mutant(MutationKind.ChangeTimeColumn, text.ToString(), $"period moved from {from} to {to}");
                    }
                    yield break;
                }
            }
        }
    }

    /// <summary>The platform tables of FROM/JOIN by their alias (or their own name).</summary>
    private static Dictionary<string, string> Aliases(string sql) =>
        TableAlias().Matches(sql).Select(m => (Alias: m.Groups[2].Success && !Clauses.Contains(m.Groups[2].Value.ToLowerInvariant())
                && m.Groups[2].Value.ToLowerInvariant() is not ("join" or "where" or "on" or "left" or "inner" or "group" or "order" or "limit" or "cross" or "right" or "full")
                ? m.Groups[2].Value : m.Groups[1].Value, Table: m.Groups[1].Value))
            .GroupBy(x => x.Alias, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Table, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Other aggregates of the same rows (session 7): avg ↔ sum ↔ max ↔ min of one column — those <see cref="SwapMeasure"/> does not make
    /// (avg → max, sum → avg) —, a sum into a count of the column, and a count per group into its share of all rows. Every use in the select
    /// list and the ORDER BY changes together, so the ranking is by the value shown.
    /// </summary>
    private static IEnumerable<Mutant> MeasureFamily(string sql, Dictionary<string, (int Keyword, int Start, int End)> clauses)
    {
        if (!clauses.TryGetValue("select", out var select))
        {
            yield break;
        }
        var text = sql[select.Start..select.End];
        if (Regex.IsMatch(text, @"/\s*(?:nullif\s*\(\s*)?(?:count|sum)\s*\(", RegexOptions.IgnoreCase))
        {
            yield break; // a share: SwapMeasure's
        }
        var order = clauses.TryGetValue("order by", out var o) ? o : (Keyword: -1, Start: -1, End: -1);
        string Swap(string pattern, string replacement)
        {
            var result = new StringBuilder(sql);
            if (order.Start >= 0)
            {
                result.Remove(order.Start, order.End - order.Start).Insert(order.Start, Regex.Replace(sql[order.Start..order.End], pattern, replacement, RegexOptions.IgnoreCase));
            }
            result.Remove(select.Start, select.End - select.Start).Insert(select.Start, Regex.Replace(text, pattern, replacement, RegexOptions.IgnoreCase));
            return result.ToString();
        }
        var first = Regex.Match(text, @"\b(avg|sum|max|min)\s*\(", RegexOptions.IgnoreCase);
        if (first.Success)
        {
            var name = first.Groups[1].Value.ToLowerInvariant();
            string[] others = name switch
            {
                "avg" => ["sum", "min"],
                "sum" => ["max", "count"],
                "max" => ["avg", "min"],
                _ => ["max", "avg"],
            };
            foreach (var other in others)
            {
                yield return new Mutant(MutationKind.MeasureFamily, Swap($@"\b{name}\s*\(", other + "("), $"{name} → {other}");
            }
            yield break;
        }
        var count = Regex.Match(text, @"\bcount\s*\(\s*\*\s*\)", RegexOptions.IgnoreCase);
        if (count.Success && clauses.ContainsKey("group by"))
        {
            var share = "round(100.0 * count(*) / sum(count(*)) OVER (), 1)";
            var mutated = sql[..(select.Start + count.Index)] + share + sql[(select.Start + count.Index + count.Length)..];
            yield return new Mutant(MutationKind.MeasureFamily, mutated, "count per group → its share of all rows (%)");
        }
    }

    /// <summary>
    /// In a query over epics (issue type Epic, no child rows): the epics counted → their active child issues counted (a join to them,
    /// count of the child's id). In a query over child issues and their epic (<c>c.parent_id = e.id</c>) that counts the rows: → the
    /// distinct epics counted.
    /// </summary>
    private static IEnumerable<Mutant> EpicsVsChildren(string sql, Dictionary<string, (int Keyword, int Start, int End)> clauses)
    {
        if (!clauses.TryGetValue("select", out var select) || !clauses.TryGetValue("from", out var from))
        {
            yield break;
        }
        var text = sql[select.Start..select.End];
        var count = Regex.Match(text, @"\bcount\s*\(\s*(?:\*|\w+\.id)\s*\)", RegexOptions.IgnoreCase);
        if (!count.Success)
        {
            yield break;
        }
        if (ParentLink().Match(sql) is { Success: true } link)
        {
            var epic = link.Groups["epic"].Value;
            var mutated = sql[..(select.Start + count.Index)] + $"count(DISTINCT {epic}.id)" + sql[(select.Start + count.Index + count.Length)..];
            yield return new Mutant(MutationKind.EpicsVsChildren, mutated, "the child issues counted → their distinct epics counted");
            yield break;
        }
        if (EpicType().Match(sql) is { Success: true } type && Regex.IsMatch(sql, $@"\b{Regex.Escape(type.Groups["t"].Value)}\.original_name\s*=\s*'Epic'", RegexOptions.IgnoreCase))
        {
            var e = type.Groups["e"].Value;
            var end = new[] { "where", "group by", "having", "order by", "limit" }.Select(k => clauses.TryGetValue(k, out var c) ? c.Keyword : int.MaxValue).Min();
            end = end == int.MaxValue ? sql.TrimEnd().TrimEnd(';').Length : end;
            var join = $" JOIN issues mut_child ON mut_child.parent_id = {e}.id AND mut_child.active ";
            var counted = sql[..(select.Start + count.Index)] + "count(mut_child.id)" + sql[(select.Start + count.Index + count.Length)..from.End];
            var mutated = counted + sql[from.End..end].TrimEnd() + join + sql[end..];
            yield return new Mutant(MutationKind.EpicsVsChildren, mutated, "the epics counted → their child issues counted");
        }
    }

    /// <summary>The first plain grouping column (alias.column) swapped for another column of the FROM table, wherever the top level names it.</summary>
    private static Mutant? SwapGrouping(string sql, Dictionary<string, (int Keyword, int Start, int End)> clauses)
    {
        if (!clauses.TryGetValue("group by", out var group) || !clauses.TryGetValue("select", out var select) || FromTable().Match(sql) is not { Success: true } table)
        {
            return null;
        }
        var key = Split(sql, group.Start, group.End, ',').Select(k => sql[k.Start..k.End].Trim()).FirstOrDefault(k => Regex.IsMatch(k, @"^\w+\.\w+$"));
        if (key is null)
        {
            return null;
        }
        var alias = table.Groups[2].Success && !Clauses.Contains(table.Groups[2].Value.ToLowerInvariant()) && table.Groups[2].Value.ToLowerInvariant() is not ("join" or "where") ? table.Groups[2].Value : table.Groups[1].Value;
        string[] candidates = table.Groups[1].Value.ToLowerInvariant() switch
        {
            "issues" => ["priority", "issuetype_id"],
            "pull_requests" => ["author_id", "repository_id"],
            "deployments" => ["environment", "status"],
            "incidents" => ["severity", "deployment_id"],
            _ => [],
        };
        var replacement = candidates.Select(c => alias + "." + c).FirstOrDefault(c => !string.Equals(c, key, StringComparison.OrdinalIgnoreCase) && !sql.Contains(c, StringComparison.OrdinalIgnoreCase));
        if (replacement is null)
        {
            return null;
        }
        var end = clauses.TryGetValue("order by", out var order) ? order.End : group.End;
        var mutated = new StringBuilder(sql);
        foreach (var (s, e) in new[] { (select.Start, select.End), (group.Start, end) }.OrderByDescending(x => x.Item1))
        {
            mutated.Remove(s, e - s).Insert(s, Regex.Replace(sql[s..e], $@"(?<![\w.]){Regex.Escape(key)}\b", replacement));
        }
        return new Mutant(MutationKind.SwapGrouping, mutated.ToString(), $"grouping by {key} → by {replacement}");
    }

    /// <summary>A single count (no GROUP BY, the select list one count(*)) answered by the rows it counts.</summary>
    private static Mutant? CountToRows(string sql, Dictionary<string, (int Keyword, int Start, int End)> clauses)
    {
        if (clauses.ContainsKey("group by") || clauses.ContainsKey("having") || !clauses.TryGetValue("select", out var select) || FromTable().Match(sql) is not { Success: true } table
            || !Regex.IsMatch(sql[select.Start..select.End], @"^\s*count\s*\(\s*\*\s*\)(?:\s+(?:AS\s+)?\w+)?\s*$", RegexOptions.IgnoreCase))
        {
            return null;
        }
        var alias = table.Groups[2].Success && !Clauses.Contains(table.Groups[2].Value.ToLowerInvariant()) && table.Groups[2].Value.ToLowerInvariant() is not ("join" or "where") ? table.Groups[2].Value : table.Groups[1].Value;
        var key = table.Groups[1].Value.ToLowerInvariant() switch
        {
            "issues" => $"{alias}.key, {alias}.summary",
            "pull_requests" => $"{alias}.number, {alias}.title",
            _ => $"{alias}.id",
        };
        var end = clauses.TryGetValue("order by", out var order) ? order.Keyword : clauses.TryGetValue("limit", out var limit) ? limit.Keyword : sql.TrimEnd().TrimEnd(';').Length;
        return new Mutant(MutationKind.CountToRows, sql[..select.Start] + " " + key + " " + sql[select.End..end].TrimEnd() + " LIMIT 1000", "one count answered by the rows counted");
    }

    private static Mutant? SwapMeasure(string sql, (int Keyword, int Start, int End) select)
    {
        var text = sql[select.Start..select.End];
        // A share: the division by the population goes, the numerator (a count) stays.
        var division = Regex.Match(text, @"/\s*(?:nullif\s*\(\s*)?(?:count|sum)\s*\(", RegexOptions.IgnoreCase);
        if (division.Success)
        {
            var start = division.Index;
            var end = BalancedEnd(text, text.IndexOf('(', division.Index + 1));
            if (Regex.IsMatch(text[division.Index..], @"^/\s*nullif", RegexOptions.IgnoreCase))
            {
                // nullif(count(*) FILTER (…), 0): the end is the nullif's closing parenthesis.
                end = BalancedEnd(text, text.IndexOf('(', division.Index));
            }
            else if (Regex.Match(text[end..], @"^\s*filter\s*\(", RegexOptions.IgnoreCase) is { Success: true } f)
            {
                end = BalancedEnd(text, end + f.Value.LastIndexOf('('));
            }
            var before = text[..start];
            before = Regex.Replace(before, @"100(?:\.0*)?\s*\*\s*(?=[^*]*$)", "");
            var mutated = before + text[end..];
            return new Mutant(MutationKind.SwapMeasure, sql[..select.Start] + mutated + sql[select.End..], "a share became its numerator (a count)");
        }
        foreach (var (pattern, replacement, what) in new[]
        {
            (@"percentile_cont\s*\(\s*0?\.5\s*\)", "percentile_cont(0.9)", "median → p90"),
            (@"percentile_cont\s*\(\s*0?\.9\s*\)", "percentile_cont(0.5)", "p90 → median"),
            (@"\bavg\s*\(", "max(", "avg → max"),
            (@"\bsum\s*\(", "avg(", "sum → avg"),
        })
        {
            if (Regex.IsMatch(text, pattern, RegexOptions.IgnoreCase))
            {
                // Every use in the select list: the value and a hidden ranking column change together.
                var swapped = Regex.Replace(text, pattern, replacement, RegexOptions.IgnoreCase);
                return new Mutant(MutationKind.SwapMeasure, sql[..select.Start] + swapped + sql[select.End..], what);
            }
        }
        var count = Regex.Match(text, @"\bcount\s*\(\s*\*\s*\)", RegexOptions.IgnoreCase);
        var from = FromTable().Match(sql);
        if (count.Success && from.Success)
        {
            var alias = from.Groups[2].Success && !Clauses.Contains(from.Groups[2].Value.ToLowerInvariant()) && from.Groups[2].Value.ToLowerInvariant() is not ("join" or "where") ? from.Groups[2].Value : from.Groups[1].Value;
            var measure = from.Groups[1].Value.ToLowerInvariant() switch
            {
                "issues" => $"avg({alias}.story_points)",
                "pull_requests" => $"avg({alias}.changed_files)",
                "deployments" => $"avg({alias}.lead_time_seconds)",
                "incidents" => $"avg(extract(epoch FROM ({alias}.resolved_at - {alias}.created_at)))",
                _ => null,
            };
            if (measure is not null)
            {
                return new Mutant(MutationKind.SwapMeasure, sql[..(select.Start + count.Index)] + measure + sql[(select.Start + count.Index + count.Length)..], "count → " + measure);
            }
        }
        return null;
    }

    private static bool IsDroppable(string conjunct)
    {
        var c = Collapse(conjunct).ToLowerInvariant();
        return !(c.Contains("client_id", StringComparison.Ordinal)
                 || ActiveFlag().IsMatch(c)
                 || c.Contains("is not null", StringComparison.Ordinal)
                 || LowerBound().IsMatch(c) || UpperBound().IsMatch(c)
                 || JoinEquality().IsMatch(c));
    }

    private static string RemoveConjunct(string sql, (int Keyword, int Start, int End) where, List<(int Start, int End)> conjuncts, (int Start, int End) drop)
    {
        var rest = conjuncts.Where(c => c != drop).Select(c => sql[c.Start..c.End].Trim()).ToList();
        var body = rest.Count == 0 ? "" : " WHERE " + string.Join(" AND ", rest) + " ";
        return sql[..where.Keyword] + body + sql[where.End..];
    }

    /// <summary>The top-level clauses: keyword position, body start, body end.</summary>
    private static Dictionary<string, (int Keyword, int Start, int End)> TopClauses(string sql)
    {
        var found = new List<(string Name, int Keyword, int Start)>();
        foreach (var (i, depth) in Scan(sql))
        {
            if (depth != 0 || (i > 0 && (char.IsLetterOrDigit(sql[i - 1]) || sql[i - 1] == '_')))
            {
                continue;
            }
            foreach (var k in Clauses)
            {
                var m = Regex.Match(sql[i..], "^" + k.Replace(" ", @"\s+", StringComparison.Ordinal) + @"\b", RegexOptions.IgnoreCase);
                if (m.Success && !found.Any(f => f.Name == k))
                {
                    found.Add((k, i, i + m.Length));
                }
            }
        }
        found.Sort((a, b) => a.Keyword.CompareTo(b.Keyword));
        var result = new Dictionary<string, (int, int, int)>();
        for (var n = 0; n < found.Count; n++)
        {
            var end = n + 1 < found.Count ? found[n + 1].Keyword : sql.TrimEnd().TrimEnd(';').Length;
            result[found[n].Name] = (found[n].Keyword, found[n].Start, end);
        }
        return result;
    }

    /// <summary>Positions outside quotes with their parenthesis depth.</summary>
    private static IEnumerable<(int Index, int Depth)> Scan(string sql)
    {
        var depth = 0;
        var quoted = false;
        for (var i = 0; i < sql.Length; i++)
        {
            var ch = sql[i];
            if (ch == '\'')
            {
                quoted = !quoted;
                continue;
            }
            if (quoted)
            {
                continue;
            }
            if (ch == '(')
            {
                depth++;
                continue;
            }
            if (ch == ')')
            {
                depth--;
                continue;
            }
            yield return (i, depth);
        }
    }

    /// <summary>Top-level AND-ed parts of [start, end), the AND of a BETWEEN excepted.</summary>
    private static List<(int Start, int End)> Conjuncts(string sql, int start, int end)
    {
        var parts = new List<(int, int)>();
        var from = start;
        var between = false;
        var body = sql[..end];
        foreach (var (i, depth) in Scan(body))
        {
            if (i < start || depth != 0 || (i > 0 && char.IsLetterOrDigit(body[i - 1])))
            {
                continue;
            }
            if (Regex.IsMatch(body[i..], @"^between\b", RegexOptions.IgnoreCase))
            {
                between = true;
            }
            else if (Regex.IsMatch(body[i..], @"^and\b", RegexOptions.IgnoreCase))
            {
                if (between)
                {
                    between = false;
                    continue;
                }
                parts.Add((from, i));
                from = i + 3;
            }
        }
        parts.Add((from, end));
        return parts.Where(p => sql[p.Item1..p.Item2].Trim().Length > 0).ToList();
    }

    private static List<(int Start, int End)> Split(string sql, int start, int end, char separator)
    {
        var parts = new List<(int, int)>();
        var from = start;
        foreach (var (i, depth) in Scan(sql[..end]))
        {
            if (i >= start && depth == 0 && sql[i] == separator)
            {
                parts.Add((from, i));
                from = i + 1;
            }
        }
        parts.Add((from, end));
        return parts;
    }

    private static int BalancedEnd(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')' && --depth == 0)
            {
                return i + 1;
            }
        }
        return text.Length;
    }

    private static string Collapse(string s) => Regex.Replace(s, @"\s+", " ").Trim();

    [GeneratedRegex(@"(?:\b(?:created|updated|\w+_at|work_first_started_at|work_last_completed_at)\b[^<>=]*?)(>=|>|\bbetween\b)", RegexOptions.IgnoreCase)]
    private static partial Regex LowerBound();

    [GeneratedRegex(@"\b(?:created|updated|\w+_at|work_first_started_at|work_last_completed_at)\b[^<>=]*?(<=|<)", RegexOptions.IgnoreCase)]
    private static partial Regex UpperBound();

    /// <summary>A comparison with a plain number (not a quoted date, not a column): "changed_files > 30", "count(*) >= 5".</summary>
    [GeneratedRegex(@"(?:>=|<=|<>|>|<|=)\s*(?<n>\d+(?:\.\d+)?)\b(?!\s*(?:\*|/|'))")]
    private static partial Regex ThresholdNumber();

    [GeneratedRegex(@"^\(?\s*\w+\.active\s*\)?$")]
    private static partial Regex ActiveFlag();

    [GeneratedRegex(@"^\w+\.\w+\s*=\s*\w+\.\w+$")]
    private static partial Regex JoinEquality();

    [GeneratedRegex(@"\b(?:count|sum|avg|min|max|percentile_cont|percentile_disc)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex Aggregate();

    [GeneratedRegex(@"\b(?:FROM|JOIN)\s+(issues|pull_requests|deployments|incidents)(?:\s+(?:AS\s+)?(\w+))?", RegexOptions.IgnoreCase)]
    private static partial Regex TableAlias();

    [GeneratedRegex(@"\b(?<child>\w+)\.parent_id\s*=\s*(?<epic>\w+)\.id\b|\b(?<epic>\w+)\.id\s*=\s*(?<child>\w+)\.parent_id\b", RegexOptions.IgnoreCase)]
    private static partial Regex ParentLink();

    [GeneratedRegex(@"\bJOIN\s+statuses\s+(?:AS\s+)?\w+\s+ON\s+\w+\.id\s*=\s*(?<row>\w+)\.status_id\b", RegexOptions.IgnoreCase)]
    private static partial Regex StatusJoin();

    [GeneratedRegex(@"\b(\w+)\.(\w+)\b")]
    private static partial Regex QualifiedColumn();

    [GeneratedRegex(@"\bJOIN\s+issuetypes\s+(?:AS\s+)?(?<t>\w+)\s+ON\s+\k<t>\.id\s*=\s*(?<e>\w+)\.issuetype_id\b", RegexOptions.IgnoreCase)]
    private static partial Regex EpicType();

    [GeneratedRegex(@"\bFROM\s+(issues|pull_requests|deployments|incidents)(?:\s+(?:AS\s+)?(\w+))?", RegexOptions.IgnoreCase)]
    private static partial Regex FromTable();
}
