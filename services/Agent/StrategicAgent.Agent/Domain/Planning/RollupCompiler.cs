using System.Globalization;
using System.Text;

namespace StrategicAgent.Agent.Domain.Planning;

/// <summary>
/// Compiles a plan over a pre-aggregated rollup of the replica (<see cref="Rollups"/>) when it fits one — every
/// filter, grouping and condition a key of the rollup (or read through the keys' joins), the window whole UTC days,
/// the measure a count, a sum or an average of a carried attribute — and otherwise leaves it to
/// <see cref="SqlCompiler"/>. The rollup is read under the entity's alias with the base column names, so the SQL
/// differs from the base SQL only in its table, a carried key read instead of its joins (<c>i.status_to</c> for
/// <c>sm.status_to</c>, with <c>i.status_to IS NOT NULL</c> for the joins' rows), the measure (<c>sum(i.n)</c> for <c>count(*)</c>,
/// <c>sum(x_sum) / sum(x_n)</c> for <c>avg(x)</c>) and the base conditions every rollup row already satisfies.
/// Both give the same rows (RollupEquivalenceTests).
/// </summary>
public static class RollupCompiler
{
    /// <summary>The rollup SQL when the plan fits a rollup, else the base SQL.</summary>
    public static CompiledQuery Compile(QueryPlan plan, long clientId, int rowCap = SqlCompiler.DefaultRowCap) =>
        TryCompile(plan, clientId, SemanticModel.Default, rowCap) ?? SqlCompiler.Compile(plan, clientId, rowCap);

    /// <summary>The rollup the plan can be answered from exactly, or null.</summary>
    public static RollupDef? Fit(QueryPlan plan, SemanticModel model)
    {
        var m = plan.Metric;
        if (m.Custom is not null || m.Defaults.Count > 0 || plan.Subset is not null || plan.Denominator is not null || plan.RateUnitDays is not null || plan.AveragePerGroup
            || m.Aggregation is not (Aggregation.Count or Aggregation.Sum or Aggregation.Avg)
            || Rollups.For(m.Entity, m.TimeAttribute) is not { } r)
        {
            return null;
        }
        if (plan.Window is { } w && !(WholeDay(w.From) && WholeDay(w.To)))
        {
            return null;
        }
        if (plan.Dimension != Dimension.None && !r.Dimensions.Contains(plan.Dimension)
            || plan.Filters.Any(f => !r.Filters.Contains(f.Kind))
            || plan.Conditions.Any(c => c.Predicate is not { } p || !r.Predicates.Contains(p)))
        {
            return null;
        }
        var measure = m.Attribute is { } a ? r.Measure(a) : null;
        if (m.Aggregation != Aggregation.Count && measure is null)
        {
            return null;
        }
        return Conditions(plan, model).All(c => r.Predicates.Contains(c) || r.Implied.Contains(c) || c == measure?.NotNullPredicate) ? r : null;
    }

    /// <summary>The rollup SQL, or null when the plan does not fit a rollup.</summary>
    public static CompiledQuery? TryCompile(QueryPlan plan, long clientId, SemanticModel model, int rowCap = SqlCompiler.DefaultRowCap)
    {
        if (Fit(plan, model) is not { } r)
        {
            return null;
        }
        var m = plan.Metric;
        var e = model.Entity(m.Entity);
        var a = e.Alias;
        var parameters = new List<object> { clientId };
        string P(object value)
        {
            parameters.Add(value);
            return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
        }
        var joins = new List<string>();
        var carried = new List<RollupCarried>();
        void Need(IEnumerable<string> names)
        {
            foreach (var name in names)
            {
                // A join to what the rollup carries as a key of its own (the status category) is not written: the key is read instead.
                if (r.CarriedBy(name) is { } c)
                {
                    if (!carried.Contains(c))
                    {
                        carried.Add(c);
                    }
                    continue;
                }
                var j = e.Join(name)!;
                if (j.After is { } after)
                {
                    Need([after]);
                }
                if (!joins.Contains(j.Sql))
                {
                    joins.Add(j.Sql);
                }
            }
        }
        string Carry(string sql) => r.Carried.Aggregate(sql, (x, c) => x.Replace(c.Expression, $"{a}.{c.Column}", StringComparison.Ordinal));
        var where = new List<string> { $"{a}.client_id = $1" };
        void Condition(string sql)
        {
            if (!where.Contains(sql))
            {
                where.Add(sql);
            }
        }
        var measure = m.Attribute is { } attr ? r.Measure(attr) : null;
        var conditions = Conditions(plan, model).ToList();
        // Every row of an average (and of a measure said only of rows with the attribute set) has it: its count column says how many.
        var countsSet = measure is not null && (m.Aggregation == Aggregation.Avg || conditions.Contains(measure.NotNullPredicate ?? ""));
        foreach (var c in conditions)
        {
            if (c == measure?.NotNullPredicate)
            {
                continue;
            }
            var p = e.Predicate(c)!;
            Need(p.Joins);
            Condition(Carry(p.Sql));
        }
        if (countsSet)
        {
            Condition($"{a}.{measure!.CountColumn} > 0");
        }

        var time = e.Attribute(m.TimeAttribute)!.Expression;
        var grouping = plan.Dimension == Dimension.None ? null : model.Dimension(plan.Dimension);
        string? label = null;
        var dimColumn = grouping?.ColumnFor(m.Entity) ?? "";
        if (grouping is { IsTime: true })
        {
            label = $"(date_trunc('{grouping.TimeGrain}', {time} AT TIME ZONE 'UTC'))::date";
        }
        else if (grouping is not null)
        {
            var binding = grouping.Bindings[m.Entity];
            Need(binding.Joins);
            label = Carry(binding.Expression);
        }
        foreach (var f in plan.Filters)
        {
            var binding = model.DimensionOf(f.Kind).Bindings[m.Entity];
            Need(binding.Joins);
            where.Add($"{Carry(binding.Expression)} = ANY({P(f.Values.ToArray())})");
        }
        foreach (var c in plan.Conditions)
        {
            var p = e.Predicate(c.Predicate!)!;
            Need(p.Joins);
            Condition(Carry(p.Sql));
        }
        // The base SQL's inner joins keep only the rows whose carried key exists (a status mapped to a category).
        foreach (var c in carried)
        {
            Condition($"{a}.{c.Column} IS NOT NULL");
        }
        if (plan.Window is { } w)
        {
            where.Add($"{time} >= {P(w.From)}");
            where.Add($"{time} < {P(w.To)}");
        }

        var select = new List<string>();
        if (label is not null)
        {
            select.Add($"{label} AS {dimColumn}");
        }
        var rows = $"coalesce(sum({a}.{r.CountColumn}), 0)";
        switch (m.Aggregation)
        {
            case Aggregation.Count:
                select.Add($"{rows} AS {m.Name}");
                break;
            case Aggregation.Sum:
                select.Add($"coalesce(sum({a}.{measure!.SumColumn}){measure.Scale}, 0) AS {m.Name}");
                select.Add($"{(countsSet ? $"coalesce(sum({a}.{measure.CountColumn}), 0)" : rows)} AS {e.CountColumn}");
                break;
            default:
                var avg = $"sum({a}.{measure!.SumColumn}){measure.Scale} / nullif(sum({a}.{measure.CountColumn}), 0)";
                select.Add($"round(({avg})::numeric, {m.Digits.ToString(CultureInfo.InvariantCulture)}) AS {m.Name}");
                select.Add($"coalesce(sum({a}.{measure.CountColumn}), 0) AS {e.CountColumn}");
                break;
        }

        var sql = new StringBuilder();
        sql.Append("SELECT ").AppendJoin(",\n       ", select).Append('\n');
        sql.Append("FROM ").Append(r.Table).Append(' ').Append(a).Append('\n');
        foreach (var j in joins)
        {
            sql.Append(j).Append('\n');
        }
        sql.Append("WHERE ").AppendJoin("\n  AND ", where).Append('\n');
        if (label is not null)
        {
            sql.Append("GROUP BY ").Append(label).Append('\n');
        }
        if (SqlCompiler.OrderBy(plan, plan.ShowsTies ? "" : dimColumn) is { } orderBy)
        {
            sql.Append("ORDER BY ").Append(orderBy).Append('\n');
        }
        sql.Append(SqlCompiler.Cut(plan, rowCap));
        return new CompiledQuery(sql.ToString(), parameters);
    }

    /// <summary>The metric's conditions and, for a measure of an attribute, the attribute's own (lead time: done, completed, with a lead time).</summary>
    private static IEnumerable<string> Conditions(QueryPlan plan, SemanticModel model)
    {
        var m = plan.Metric;
        var attribute = m.Attribute is null || m.Aggregation == Aggregation.Count ? null : model.Entity(m.Entity).Attribute(m.Attribute);
        return m.Conditions.Concat(attribute?.Requires ?? []).Distinct();
    }

    private static bool WholeDay(DateTimeOffset t) => t.Offset == TimeSpan.Zero && t.TimeOfDay == TimeSpan.Zero;
}
