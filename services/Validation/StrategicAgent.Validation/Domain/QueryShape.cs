namespace StrategicAgent.Validation.Domain;

/// <summary>A comparison in WHERE/ON/HAVING: the column, the operator and the constants on the other side.</summary>
public sealed record FilterPredicate(string Column, string Operator, IReadOnlyList<string> Constants, bool Temporal);

/// <summary>Where a condition stands in the query.</summary>
public enum ConditionContext
{
    Where,
    Join,
    Having,
    /// <summary>In an aggregate's FILTER (WHERE …): the numerator of a share.</summary>
    AggregateFilter,
    /// <summary>In a CASE WHEN: a share or bucket spelled as CASE.</summary>
    Case,
}

/// <summary>
/// One boolean condition of the SQL, as read off the parse tree: the columns it tests (resolved to
/// <c>table.column</c>; a derived table's column stays <c>alias.column</c>), the operator and the
/// constants on the other side (lower case). An OR or AND of conditions keeps its <see cref="Parts"/>;
/// a subquery condition (EXISTS, IN (SELECT …)) the <see cref="Tables"/> it reads. A comparison of a
/// time column keeps the other side as a <see cref="TimeExpr"/> so a judge can evaluate it for a day.
/// </summary>
public sealed record SqlCondition
{
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>= &lt;&gt; &lt; &gt; &lt;= &gt;= in, not in, between, not between, is null, is not null, is true, subquery, or, and, like …</summary>
    public required string Operator { get; init; }

    public IReadOnlyList<string> Constants { get; init; } = [];

    public ConditionContext Context { get; init; }

    public bool Negated { get; init; }

    public IReadOnlyList<SqlCondition> Parts { get; init; } = [];

    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>The table reference (range item id, one per query text) of each of <see cref="Columns"/>; -1 unknown; empty when not read.</summary>
    public IReadOnlyList<int> Rows { get; init; } = [];

    /// <summary>The table references of <see cref="OtherColumns"/>.</summary>
    public IReadOnlyList<int> OtherRows { get; init; } = [];

    /// <summary>Columns of the other side when two column expressions are compared (pr.merged_at::date = pr.created_at::date).</summary>
    public IReadOnlyList<string> OtherColumns { get; init; } = [];

    /// <summary>The condition is in a subquery, a derived table or a CTE (not the top-level statement's WHERE/ON/HAVING).</summary>
    public bool Nested { get; init; }

    /// <summary>The column compared is a time column.</summary>
    public bool Temporal { get; init; }

    /// <summary>The time bound (the other side of a temporal comparison; BETWEEN's lower), when it can be evaluated.</summary>
    public TimeExpr? Bound { get; init; }

    /// <summary>BETWEEN's upper time bound.</summary>
    public TimeExpr? Upper { get; init; }

    /// <summary>Two columns of different tables compared with '=': a join, not a condition on rows.</summary>
    public bool IsJoin =>
        Operator == "=" && !Negated && Constants.Count == 0 && Columns.Count == 1 && OtherColumns.Count == 1
        && Table(Columns[0]) != Table(OtherColumns[0]);

    public override string ToString() => Operator switch
    {
        "or" or "and" => "(" + string.Join($" {Operator.ToUpperInvariant()} ", Parts) + ")",
        "subquery" => $"{(Negated ? "NOT " : "")}{string.Join(", ", Columns)} IN/EXISTS (SELECT … FROM {string.Join(", ", Tables)})",
        "is null" or "is not null" or "is true" => $"{(Negated ? "NOT " : "")}{string.Join(", ", Columns)} {Operator.ToUpperInvariant()}",
        _ when OtherColumns.Count > 0 => $"{(Negated ? "NOT " : "")}{string.Join(", ", Columns)} {Operator} {string.Join(", ", OtherColumns)}",
        _ => $"{(Negated ? "NOT " : "")}{string.Join(", ", Columns)} {Operator} {string.Join(", ", Constants.Select(c => "'" + c + "'"))}",
    };

    public static string Table(string qualifiedColumn) =>
        qualifiedColumn.Contains('.') ? qualifiedColumn[..qualifiedColumn.LastIndexOf('.')] : "";
}

/// <summary>An aggregate call: its kind (count, sum, avg, min, max, median, p90 …) and the columns its argument reads (none for count(*)).</summary>
public sealed record AggregateUse(string Name, IReadOnlyList<string> Columns, bool Distinct);

/// <summary>A top-level ORDER BY key: direction, the columns it reads, whether it is an aggregate.</summary>
public sealed record OrderKey(string Direction, IReadOnlyList<string> Columns, bool Aggregate);

/// <summary>
/// What the SQL computes, read off the parse tree: grouping, aggregates, filters, time predicates,
/// ordering and limit (all query levels). The semantic judge compares it with the question.
/// </summary>
public sealed class QueryShape
{
    /// <summary>Grouping keys: "table.column" for columns, "date_trunc:month" and the like for time buckets.</summary>
    public List<string> GroupBy { get; } = [];

    /// <summary>The top-level SELECT aggregates (GROUP BY, HAVING or an aggregate in its select list): a row is a group, not a row of a table.</summary>
    public bool TopAggregated { get; set; }

    /// <summary>The top-level SELECT's own GROUP BY keys (same form as <see cref="GroupBy"/>).</summary>
    public List<string> TopGroupBy { get; } = [];

    /// <summary>Aggregates: count, sum, avg, min, max, median (percentile 0.5), p90, … </summary>
    public List<string> Aggregates { get; } = [];

    /// <summary>Aggregates with the columns of their arguments.</summary>
    public List<AggregateUse> AggregateUses { get; } = [];

    public List<FilterPredicate> Filters { get; } = [];

    /// <summary>Every condition of WHERE, JOIN … ON, HAVING, aggregate FILTER and CASE WHEN, at every query level.</summary>
    public List<SqlCondition> Conditions { get; } = [];

    /// <summary>Tables read anywhere in the query.</summary>
    public SortedSet<string> Tables { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level ORDER BY directions (asc/desc).</summary>
    public List<string> OrderDirections { get; } = [];

    /// <summary>Top-level ORDER BY keys.</summary>
    public List<OrderKey> OrderKeys { get; } = [];

    public long? Limit { get; set; }

    /// <summary>The row cut keeps the rows tied with the last one (<c>FETCH FIRST n ROWS WITH TIES</c>).</summary>
    public bool WithTies { get; set; }

    /// <summary>A division appears in the select list (ratios, rates).</summary>
    public bool HasDivision { get; set; }

    /// <summary>A division by an aggregate (a share of a total, <c>count(*) / sum(count(*)) OVER ()</c>, an average spelled as a division), not by a constant.</summary>
    public bool DividesByAggregate { get; set; }

    /// <summary>Output column names of the top-level select.</summary>
    public List<string> OutputColumns { get; } = [];

    /// <summary>
    /// Every number the SQL says, at any level (conditions, LIMIT, divisors, interval lengths such as '30 days'),
    /// in invariant round-trip form: a number of the question (a threshold, the N of a top N) must be one of them.
    /// </summary>
    public SortedSet<double> Numbers { get; } = [];
}
