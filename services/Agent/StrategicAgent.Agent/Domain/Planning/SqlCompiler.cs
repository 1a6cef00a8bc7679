using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>
/// Parameterised SQL: <see cref="Sql"/> with <c>$1..$n</c> is what runs; <see cref="Parameters"/> are
/// its values ($1 is always the tenant's client id). <see cref="RenderLiteral"/> inlines them as
/// safely quoted literals for the validation service, whose EXPLAIN needs values.
/// </summary>
public sealed partial record CompiledQuery(string Sql, IReadOnlyList<object> Parameters)
{
    public string RenderLiteral() => ParameterRegex().Replace(Sql, m =>
    {
        var i = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1;
        if (i < 0 || i >= Parameters.Count)
        {
            throw new InvalidOperationException($"SQL refers to ${i + 1} but has {Parameters.Count} parameters.");
        }
        return Literal(Parameters[i]);
    });

    public static string Literal(object value) => value switch
    {
        string s => Quote(s),
        string[] a => "ARRAY[" + string.Join(", ", a.Select(Quote)) + "]::text[]",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset t => Quote(t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "+00") + "::timestamptz",
        _ => throw new ArgumentException($"No literal form for {value.GetType().Name}.", nameof(value)),
    };

    // standard_conforming_strings is on (the default since 9.1): only the quote needs doubling.
    private static string Quote(string s) => "'" + s.Replace("\0", "", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex ParameterRegex();
}

/// <summary>
/// Compiles a <see cref="QueryPlan"/> to parameterised SQL from the semantic layer's definitions —
/// generic over them: the entity gives the table, joins and base conditions, the metric its measure,
/// conditions and time column, the dimension its label, each filter and condition its predicate.
/// Every value from the question is a parameter; the only literals are the layer's own constants.
/// </summary>
public static class SqlCompiler
{
    public const int DefaultRowCap = 500;

    private sealed class Builder(long clientId, EntityDef entity)
    {
        public readonly List<string> Select = [];
        public readonly List<string> Joins = [];
        public readonly List<string> Where = [];
        public readonly List<string> GroupBy = [];
        public readonly List<object> Parameters = [clientId];

        public string P(object value)
        {
            Parameters.Add(value);
            return "$" + Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }

        public void Raw(string join)
        {
            if (!Joins.Contains(join))
            {
                Joins.Add(join);
            }
        }

        /// <summary>Adds a named join of the entity after the join it depends on.</summary>
        public void Need(IEnumerable<string> names)
        {
            foreach (var name in names)
            {
                var j = entity.Join(name) ?? throw new InvalidOperationException($"{entity.Name} has no join {name}.");
                if (j.After is { } after)
                {
                    Need([after]);
                }
                Raw(j.Sql);
            }
        }

        public void Condition(string sql)
        {
            if (!Where.Contains(sql))
            {
                Where.Add(sql);
            }
        }

        public void Predicate(string name)
        {
            var p = entity.Predicate(name) ?? throw new InvalidOperationException($"{entity.Name} has no predicate {name}.");
            Need(p.Joins);
            Condition(p.Sql);
        }
    }

    public static CompiledQuery Compile(QueryPlan plan, long clientId, int rowCap = DefaultRowCap) =>
        Compile(plan, clientId, SemanticModel.Default, rowCap);

    public static CompiledQuery Compile(QueryPlan plan, long clientId, SemanticModel model, int rowCap = DefaultRowCap)
    {
        var m = plan.Metric;
        var e = model.Entity(m.Entity);
        var b = new Builder(clientId, e);
        var a = e.Alias;

        foreach (var j in e.BaseJoins)
        {
            b.Raw(j);
        }
        b.Where.Add($"{a}.client_id = $1");
        b.Where.AddRange(e.BaseConditions);
        foreach (var c in m.Conditions)
        {
            b.Predicate(c);
        }
        var attribute = m.Attribute is null ? null : e.Attribute(m.Attribute);
        if (attribute is not null && m.Aggregation != Aggregation.Value)
        {
            foreach (var r in attribute.Requires)
            {
                b.Predicate(r);
            }
        }

        // The metric's assumptions (environment = production) unless the question filters or groups by that dimension.
        var grouping = plan.Dimension == Dimension.None ? null : model.Dimension(plan.Dimension);
        foreach (var d in m.Defaults)
        {
            if (plan.Filters.Any(f => f.Kind == d.Kind) || grouping?.Filter == d.Kind)
            {
                continue;
            }
            var binding = model.DimensionOf(d.Kind).Bindings[m.Entity];
            b.Need(binding.Joins);
            b.Condition($"{binding.Expression} = {CompiledQuery.Literal(d.Value)}");
        }

        var time = e.Attribute(m.TimeAttribute)!.Expression;

        // Grouping label.
        string? label = null;
        string? groupKey = null;
        var dimColumn = grouping?.ColumnFor(m.Entity) ?? "";
        if (grouping is { IsTime: true })
        {
            label = $"(date_trunc('{grouping.TimeGrain}', {time} AT TIME ZONE 'UTC'))::date";
        }
        else if (grouping is not null && m.Custom is null)
        {
            var binding = grouping.Bindings[m.Entity];
            b.Need(binding.Joins);
            label = binding.Expression;
            // Two people of one name are two groups: grouped by what tells them apart, shown by name.
            groupKey = binding.Key;
            if (binding.Joins.Count == 0)
            {
                // A grouping leaves out the rows without a value (issues without priority).
                b.Condition($"{label} IS NOT NULL");
            }
        }

        // Filters on dimension values and conditions from the question, values always as parameters.
        foreach (var f in plan.Filters)
        {
            b.Where.Add(FilterSql(b, model, m.Entity, f));
        }
        foreach (var c in plan.Conditions)
        {
            if (c.Predicate is { } p)
            {
                b.Predicate(p);
                continue;
            }
            b.Where.Add(ConditionSql(b, e, c, requiresInWhere: true));
        }

        if (plan.Window is { } w)
        {
            b.Where.Add($"{time} >= {b.P(w.From)}");
            b.Where.Add($"{time} < {b.P(w.To)}");
        }

        if (label is not null && !plan.AveragePerGroup)
        {
            b.Select.Add($"{label} AS {dimColumn}");
            if (groupKey is not null)
            {
                b.GroupBy.Add(groupKey);
            }
            b.GroupBy.Add(label);
        }

        var keyColumn = AddMeasure(b, plan, model, e, attribute, grouping, time);

        var sql = new StringBuilder();
        sql.Append("SELECT ").AppendJoin(",\n       ", b.Select).Append('\n');
        sql.Append("FROM ").Append(e.Table).Append(' ').Append(a).Append('\n');
        foreach (var j in b.Joins)
        {
            sql.Append(j).Append('\n');
        }
        sql.Append("WHERE ").AppendJoin("\n  AND ", b.Where).Append('\n');
        if (b.GroupBy.Count > 0)
        {
            sql.Append("GROUP BY ").AppendJoin(", ", b.GroupBy).Append('\n');
        }
        // A ranking cut keeps its ties: "the repo with the most merged PRs" is every repo tied for first, "the top 5 authors" every
        // author tied with the fifth (the answer and the reading say so) — never an arbitrary few of equals picked by name or key.
        var withTies = plan.ShowsTies;
        // A listing of rows ranks by the attribute itself, not by its rounded display: rounding would make rows tie that are not
        // equal, and a cut WITH TIES would then show them all ("the 5 fastest stories" answered with 9).
        var rankedRaw = m.Aggregation == Aggregation.Value && attribute is { Type: AttributeType.Number } && !(attribute.Related is not null && plan is { ShowsTies: true, Order: SortOrder.Descending })
            ? attribute.Expression : null;
        var orderBy = plan.AveragePerGroup ? null : OrderBy(plan, withTies ? "" : keyColumn ?? dimColumn, rankedRaw);
        if (orderBy is not null)
        {
            sql.Append("ORDER BY ").Append(orderBy).Append('\n');
        }
        sql.Append(Cut(plan, rowCap));
        return new CompiledQuery(sql.ToString(), b.Parameters);
    }

    /// <summary>The row cut: a ranking's first N rows with their ties, else the asked or capped number of rows.</summary>
    internal static string Cut(QueryPlan plan, int rowCap)
    {
        if (plan.ShowsTies)
        {
            var n = Math.Min(plan.Limit!.Value, rowCap);
            return n == 1 ? "FETCH FIRST 1 ROW WITH TIES" : $"FETCH FIRST {n.ToString(CultureInfo.InvariantCulture)} ROWS WITH TIES";
        }
        return "LIMIT " + Math.Min(plan.Limit ?? rowCap, rowCap).ToString(CultureInfo.InvariantCulture);
    }

    private static string FilterSql(Builder b, SemanticModel model, EntityKind entity, EntityFilter f)
    {
        var binding = model.DimensionOf(f.Kind).Bindings[entity];
        b.Need(binding.Joins);
        return $"{binding.Expression} = ANY({b.P(f.Values.ToArray())})";
    }

    private static string ConditionSql(Builder b, EntityDef e, Condition c, bool requiresInWhere)
    {
        if (c.Predicate is { } p)
        {
            var pd = e.Predicate(p) ?? throw new InvalidOperationException($"{e.Name} has no predicate {p}.");
            b.Need(pd.Joins);
            return pd.Sql;
        }
        var attr = e.Attribute(c.Attribute!) ?? throw new InvalidOperationException($"{e.Name} has no attribute {c.Attribute}.");
        b.Need(attr.Joins);
        if (requiresInWhere)
        {
            foreach (var r in attr.Requires)
            {
                b.Predicate(r);
            }
        }
        return c.Comparison switch
        {
            Comparison.GreaterThan => $"{attr.Expression} > {b.P(c.Values[0])}",
            Comparison.AtLeast => $"{attr.Expression} >= {b.P(c.Values[0])}",
            Comparison.LessThan => $"{attr.Expression} < {b.P(c.Values[0])}",
            Comparison.AtMost => $"{attr.Expression} <= {b.P(c.Values[0])}",
            Comparison.Between => $"{attr.Expression} BETWEEN {b.P(c.Values[0])} AND {b.P(c.Values[1])}",
            _ => $"{attr.Expression} = {b.P(c.Values[0])}",
        };
    }

    /// <summary>The predicates that say the subset's thresholded values were recorded (<see cref="AttributeDef.KnownWhen"/>).</summary>
    internal static IEnumerable<string> KnownWhen(EntityDef e, ShareSubset subset) =>
        subset.Conditions.Where(c => c.IsThreshold).Select(c => e.Attribute(c.Attribute!)?.KnownWhen).OfType<string>().Distinct();

    private static string Round(string expr, int digits) => $"round(({expr})::numeric, {digits.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>The value column (and its companions); returns the row key column of a listing or custom measure.</summary>
    private static string? AddMeasure(Builder b, QueryPlan plan, SemanticModel model, EntityDef e, AttributeDef? attribute, DimensionDef? grouping, string time)
    {
        var m = plan.Metric;
        var name = m.Name;
        var count = $"count(*) AS {e.CountColumn}";
        switch (m.Aggregation)
        {
            case Aggregation.Count when plan.AveragePerGroup && grouping is not null:
            {
                // The rows with a group ÷ the distinct groups (told apart by their key: two people may share a name).
                var binding = grouping.Bindings[m.Entity];
                var groups = $"count(DISTINCT {binding.Key ?? binding.Expression})";
                var column = grouping.ColumnFor(m.Entity);
                b.Select.Add($"{Round($"count(*)::numeric / nullif({groups}, 0)", 2)} AS {name}_per_{column}");
                b.Select.Add($"{groups} AS {column}_count");
                b.Select.Add($"count(*) AS {name}");
                return null;
            }
            case Aggregation.Count:
                b.Select.Add($"count(*) AS {name}");
                return null;
            case Aggregation.Sum:
                b.Select.Add($"coalesce(sum({attribute!.Expression}), 0) AS {name}");
                b.Select.Add(count);
                return null;
            case Aggregation.Avg or Aggregation.Median or Aggregation.P90 or Aggregation.Min or Aggregation.Max:
            {
                var x = attribute!.Expression;
                if (attribute.Requires.Count == 0)
                {
                    b.Condition($"{x} IS NOT NULL");
                }
                var agg = m.Aggregation switch
                {
                    Aggregation.Median => $"percentile_cont(0.5) WITHIN GROUP (ORDER BY {x})",
                    Aggregation.P90 => $"percentile_cont(0.9) WITHIN GROUP (ORDER BY {x})",
                    Aggregation.Min => $"min({x})",
                    Aggregation.Max => $"max({x})",
                    _ => $"avg({x})",
                };
                b.Select.Add($"{Round(agg, m.Digits)} AS {name}");
                b.Select.Add(count);
                return null;
            }
            case Aggregation.Share:
            {
                string subset;
                if (m.ShareOf is { } shareOf)
                {
                    var p = e.Predicate(shareOf)!;
                    b.Need(p.Joins);
                    subset = p.Sql;
                }
                else
                {
                    var s = plan.Subset ?? throw new InvalidOperationException("A share without a named predicate needs the plan's subset.");
                    subset = string.Join(" AND ", s.Filters.Select(f => FilterSql(b, model, m.Entity, f)).Concat(s.Conditions.Select(c => ConditionSql(b, e, c, requiresInWhere: false))));
                    // A threshold's share is of the rows whose value is known (a row without one is neither inside nor outside it),
                    // unless the question counts the unknown rows outside ("…, counting unknown as not over 10").
                    foreach (var known in s.UnknownOutside ? [] : KnownWhen(e, s))
                    {
                        b.Predicate(known);
                    }
                }
                var part = $"count(*) FILTER (WHERE {subset})";
                b.Select.Add($"{Round($"100.0 * {part} / nullif(count(*), 0)", m.Digits)} AS {name}");
                b.Select.Add($"{part} AS {m.ShareColumn ?? m.ShareOf + "_" + e.CountColumn}");
                b.Select.Add(count);
                return null;
            }
            case Aggregation.Ratio when m.PerAttribute is { } perName:
            {
                // "lines deleted per line added": the totals' ratio over the same rows (not an average of per-row ratios).
                var per = e.Attribute(perName)!;
                foreach (var r in per.Requires)
                {
                    b.Predicate(r);
                }
                b.Need(attribute!.Joins);
                b.Need(per.Joins);
                var num = $"sum({attribute.Expression})";
                var den = $"sum({per.Expression})";
                b.Select.Add($"{Round($"{num}::numeric / nullif({den}, 0)", m.Digits)} AS {name}");
                b.Select.Add($"{num} AS {attribute.Name}_total");
                b.Select.Add($"{den} AS {per.Name}_total");
                b.Select.Add(count);
                return null;
            }
            case Aggregation.Ratio:
            {
                string Of(ShareSubset s) => string.Join(" AND ", s.Filters.Select(f => FilterSql(b, model, m.Entity, f)).Concat(s.Conditions.Select(c => ConditionSql(b, e, c, requiresInWhere: false))));
                var num = $"count(*) FILTER (WHERE {Of(plan.Subset!)})";
                var den = $"count(*) FILTER (WHERE {Of(plan.Denominator!)})";
                b.Select.Add($"{Round($"{num}::numeric / nullif({den}, 0)", m.Digits)} AS {name}");
                b.Select.Add($"{num} AS numerator");
                b.Select.Add($"{den} AS denominator");
                return null;
            }
            case Aggregation.RatePerDay:
            {
                // Rows per day of the period (or per unit: "per week" = rows per 7 days).
                var unit = plan.RateUnitDays ?? 1;
                var scale = unit == 1 ? "" : $" * {unit.ToString(CultureInfo.InvariantCulture)}";
                var perDay = grouping?.TimeGrain switch
                {
                    "week" => unit == 7 ? "count(*)" : "count(*) / 7.0" + scale,
                    "month" => $"count(*){scale} / extract(day FROM ((date_trunc('month', {time} AT TIME ZONE 'UTC'))::date + interval '1 month' - interval '1 day'))",
                    "quarter" => $"count(*){scale} / extract(day FROM ((date_trunc('quarter', {time} AT TIME ZONE 'UTC')) + interval '3 months' - date_trunc('quarter', {time} AT TIME ZONE 'UTC')))",
                    _ => $"count(*) / {b.P((decimal)Math.Round(plan.Window!.Days / unit, 6))}",
                };
                b.Select.Add($"{Round(perDay, m.Digits)} AS {name}");
                b.Select.Add(count);
                return null;
            }
            case Aggregation.Value:
            {
                b.Need(e.KeyJoins);
                b.Select.Add($"{e.Key.Expression} AS {e.Key.Column}");
                if (e.Title is { } title)
                {
                    b.Select.Add($"{title.Expression} AS {title.Column}");
                }
                b.Select.AddRange(e.Details.Select(d => $"{d.Expression} AS {d.Column}"));
                if (attribute!.Related is { } related && plan is { ShowsTies: true, Order: SortOrder.Descending })
                {
                    // "The open epic with the most open child issues", "the top 5 epics by done children": the rows joined to
                    // their related rows, grouped by key and counted — the form the validation service's judge reads as a
                    // listing (a correlated count in the select list reads as an aggregate). Only for the highest first:
                    // the join leaves out rows with none, which a ranking from the top never reaches while any has one.
                    b.Raw(related.Join);
                    foreach (var j in related.Joins)
                    {
                        b.Raw(j);
                    }
                    if (related.Condition is { } rc)
                    {
                        b.Condition(rc);
                    }
                    b.Select.Add(related.Sum is { } summed ? $"coalesce(sum({summed}), 0) AS {name}" : $"count(*) AS {name}");
                    b.GroupBy.Add(e.Key.Expression);
                    if (e.Title is { } t)
                    {
                        b.GroupBy.Add(t.Expression);
                    }
                    b.GroupBy.AddRange(e.Details.Select(d => d.Expression));
                    return e.Key.Column;
                }
                b.Need(attribute.Joins);
                b.Condition($"{attribute.Expression} IS NOT NULL");
                b.Select.Add(attribute.Type == AttributeType.Number
                    ? $"{Round(attribute.Expression, m.Digits)} AS {name}"
                    : $"{attribute.Expression} AS {name}");
                return e.Key.Column;
            }
            case Aggregation.Custom:
            {
                var c = m.Custom!;
                foreach (var j in c.Joins)
                {
                    b.Raw(j);
                }
                b.Need(c.EntityJoins);
                foreach (var w in c.Conditions)
                {
                    b.Condition(w);
                }
                b.Select.AddRange(c.Columns.Select(x => $"{x.Expression} AS {x.Column}"));
                b.GroupBy.AddRange(c.GroupBy);
                return c.LabelColumn;
            }
            default:
                throw new InvalidOperationException($"No compiler rule for {m.Aggregation}.");
        }
    }

    internal static string? OrderBy(QueryPlan plan, string keyColumn, string? valueExpression = null)
    {
        var value = valueExpression ?? plan.Metric.Name;
        var tie = keyColumn.Length == 0 ? "" : ", " + keyColumn;
        if (plan.Order != SortOrder.Default)
        {
            return $"{value} {(plan.Order == SortOrder.Descending ? "DESC" : "ASC")} NULLS LAST{tie}";
        }
        if (plan.Metric.Custom is { } custom)
        {
            return $"{value} {(custom.DefaultOrder == SortOrder.Ascending ? "ASC" : "DESC")} NULLS LAST{tie}";
        }
        return plan.Dimension switch
        {
            Dimension.None => null,
            Dimension.Week or Dimension.Month or Dimension.Quarter => keyColumn,
            // Worst first for bad things and durations, biggest first for volumes.
            _ => $"{value} DESC NULLS LAST{tie}",
        };
    }
}
