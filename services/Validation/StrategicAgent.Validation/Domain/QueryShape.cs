namespace StrategicAgent.Validation.Domain;

/// <summary>A comparison in WHERE/ON/HAVING: the column, the operator and the constants on the other side.</summary>
public sealed record FilterPredicate(string Column, string Operator, IReadOnlyList<string> Constants, bool Temporal);

/// <summary>
/// What the SQL computes, read off the parse tree: grouping, aggregates, filters, time predicates,
/// ordering and limit (all query levels). The offline judge compares it with the planner's intent.
/// </summary>
public sealed class QueryShape
{
    /// <summary>Grouping keys: "table.column" for columns, "date_trunc:month" and the like for time buckets.</summary>
    public List<string> GroupBy { get; } = [];

    /// <summary>Aggregates: count, sum, avg, min, max, median (percentile 0.5), p90, … </summary>
    public List<string> Aggregates { get; } = [];

    public List<FilterPredicate> Filters { get; } = [];

    /// <summary>Top-level ORDER BY directions (asc/desc).</summary>
    public List<string> OrderDirections { get; } = [];

    public long? Limit { get; set; }

    /// <summary>A division appears in the select list (ratios, rates).</summary>
    public bool HasDivision { get; set; }

    /// <summary>Output column names of the top-level select.</summary>
    public List<string> OutputColumns { get; } = [];
}
