using StrategicAgent.Semantic;

namespace StrategicAgent.Validation.Domain.Judging;

/// <summary>
/// Reads SQL over a rollup of the replica (<see cref="Rollups"/>: issues per tenant, day and key) as the same SQL over
/// the base table it summarises, so the judge holds it to the question exactly as it holds the base SQL: the rollup's
/// keys and day column carry the base columns' names (<c>issues_completed_daily.project_id</c> is read as
/// <c>issues.project_id</c>), a carried key is the joined column it carries (<c>status_to</c> is
/// <c>status_mappings.status_to</c>, and <c>status_to IS NOT NULL</c> the inner joins that read it, no condition), <c>sum(n)</c> is <c>count(*)</c>, <c>sum(x_sum)</c> is <c>sum(x)</c>,
/// <c>sum(x_sum) / sum(x_n)</c> is <c>avg(x)</c>, a count column <c>x_n</c> elsewhere counts the rows with x set and
/// <c>x_n &gt; 0</c> is <c>x IS NOT NULL</c>. A rollup column that carries nothing of the base stays as it is (and
/// the judge finds no concept in it). SQL without a rollup is returned unchanged.
/// </summary>
public static class RollupShape
{
    public static QueryShape AsBase(QueryShape shape) => AsBase(shape, ConceptSql.Default);

    public static QueryShape AsBase(QueryShape shape, ConceptSql concepts)
    {
        var rollups = shape.Tables.Select(Rollups.ByTable).OfType<RollupDef>().ToList();
        if (rollups.Count == 0)
        {
            return shape;
        }
        var counts = new Dictionary<string, string>(StringComparer.Ordinal); // rollup.x_n → base.x
        var sums = new Dictionary<string, string>(StringComparer.Ordinal); // rollup.x_sum → base.x
        var renames = new Dictionary<string, string>(StringComparer.Ordinal); // rollup.key → base.key
        foreach (var r in rollups)
        {
            foreach (var m in r.Measures)
            {
                counts[$"{r.Table}.{m.CountColumn}"] = $"{r.BaseTable}.{m.BaseColumn}";
                sums[$"{r.Table}.{m.SumColumn}"] = $"{r.BaseTable}.{m.BaseColumn}";
            }
            foreach (var c in r.Keys.Append(r.TimeColumn).Append("client_id"))
            {
                renames[$"{r.Table}.{c}"] = $"{r.BaseTable}.{c}";
            }
            // The group's row count elsewhere than in sum(n) (avg(n), max(n)) measures no attribute of the base rows.
            renames[$"{r.Table}.{r.CountColumn}"] = $"{r.BaseTable}.id";
            foreach (var c in r.Carried)
            {
                renames[$"{r.Table}.{c.Column}"] = c.BaseColumn;
            }
        }
        var carried = rollups.SelectMany(r => r.Carried.Select(c => (Rollup: r, Key: c))).ToList();
        // carried IS NOT NULL is what the base SQL's inner joins to the carried key's tables do: no condition of the question.
        bool JoinsCarried(string column, string op, bool negated) =>
            op == "is not null" && !negated && carried.Any(c => column == $"{c.Rollup.Table}.{c.Key.Column}");
        string Column(string c) => renames.GetValueOrDefault(c) ?? sums.GetValueOrDefault(c) ?? counts.GetValueOrDefault(c) ?? c;
        IReadOnlyList<string> Columns(IReadOnlyList<string> cs) => cs.Select(Column).ToList();
        string Key(string key) => rollups.Aggregate(
            carried.Aggregate(key, (k, c) => k.Replace($"{c.Rollup.Table}.{c.Key.Column}", c.Key.BaseColumn, StringComparison.Ordinal)),
            (k, r) => k.Replace(r.Table + ".", r.BaseTable + ".", StringComparison.Ordinal));

        var result = new QueryShape
        {
            TopAggregated = shape.TopAggregated,
            Limit = shape.Limit,
            WithTies = shape.WithTies,
            HasDivision = shape.HasDivision,
            DividesByAggregate = shape.DividesByAggregate,
        };
        foreach (var t in shape.Tables)
        {
            result.Tables.Add(Rollups.ByTable(t)?.BaseTable ?? t);
        }
        result.GroupBy.AddRange(shape.GroupBy.Select(Key));
        result.TopGroupBy.AddRange(shape.TopGroupBy.Select(Key));
        result.OrderDirections.AddRange(shape.OrderDirections);
        result.OrderKeys.AddRange(shape.OrderKeys.Select(k => k with { Columns = Columns(k.Columns) }));
        result.OutputColumns.AddRange(shape.OutputColumns);
        foreach (var n in shape.Numbers)
        {
            result.Numbers.Add(n);
        }

        // Measures: sum(n) counts rows; a sum of x_sum divided by a sum of x_n is an average of x.
        var uses = shape.AggregateUses.ToList();
        var averaged = new HashSet<string>(StringComparer.Ordinal);
        if (shape.HasDivision)
        {
            // The compiler writes an average as sum(x_sum) / nullif(sum(x_n), 0) next to its row count sum(x_n): a sum of x_sum
            // with a single sum(x_n) is a sum and a count (what a dropped denominator leaves), not an average.
            foreach (var (count, of) in counts)
            {
                if (uses.Count(u => u.Name == "sum" && u.Columns.Count == 1 && u.Columns[0] == count) >= 2
                    && uses.Any(u => u.Name == "sum" && u.Columns.Count == 1 && sums.TryGetValue(u.Columns[0], out var b) && b == of))
                {
                    averaged.Add(of);
                }
            }
        }
        var averageTaken = new HashSet<string>(StringComparer.Ordinal);
        var denominatorTaken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in uses)
        {
            var single = u.Name == "sum" && u.Columns.Count == 1 ? u.Columns[0] : null;
            // count(n), count(*), max(n) … over a rollup count its rows (a day and a key each), not the base rows: no base aggregate.
            var rollupRows = u.Name != "sum" && (u.Columns.Count == 0 && u.Name == "count" || u.Columns.Count == 1 && rollups.Any(r => u.Columns[0] == $"{r.Table}.{r.CountColumn}"));
            AggregateUse? translated = rollupRows ? new AggregateUse(u.Name + " of the rollup's rows", [], false) : single switch
            {
                null => u with { Columns = Columns(u.Columns) },
                _ when rollups.Any(r => single == $"{r.Table}.{r.CountColumn}") => new AggregateUse("count", [], false),
                _ when sums.TryGetValue(single, out var b) && averaged.Contains(b) => averageTaken.Add(b) ? new AggregateUse("avg", [b], false) : null,
                _ when sums.TryGetValue(single, out var b) => new AggregateUse("sum", [b], false),
                // The average's denominator is part of the avg above; another sum of x_n counts the rows with x set.
                _ when counts.TryGetValue(single, out var b) && averaged.Contains(b) && denominatorTaken.Add(b) => null,
                _ when counts.TryGetValue(single, out var b) => new AggregateUse("count", [b], false),
                _ => u with { Columns = Columns(u.Columns) },
            };
            if (translated is not null)
            {
                result.AggregateUses.Add(translated);
                result.Aggregates.Add(translated.Name);
            }
        }
        // An average of an attribute without a unit conversion (story points) has no division of its own over the base rows.
        if (averaged.Count > 0)
        {
            result.DividesByAggregate = false; // the rollup's average is sum(x_sum) / sum(x_n)
        }
        if (averaged.Count > 0 && rollups.SelectMany(r => r.Measures.Where(m => averaged.Contains($"{r.BaseTable}.{m.BaseColumn}"))).All(m => m.Scale.Length == 0))
        {
            result.HasDivision = false;
        }

        result.Filters.AddRange(shape.Filters.Where(f => !JoinsCarried(f.Column, f.Operator, false)).Select(f => counts.TryGetValue(f.Column, out var b) && IsPositive(f.Operator, f.Constants)
            ? new FilterPredicate(b, "is not null", [], false)
            : f with { Column = Column(f.Column) }));
        result.Conditions.AddRange(shape.Conditions.Where(c => !(c.Columns.Count == 1 && c.OtherColumns.Count == 0 && JoinsCarried(c.Columns[0], c.Operator, c.Negated)))
            .Select(Condition));
        // The base SQL reads the carried key's tables (statuses, status_mappings) where the rollup SQL reads the key.
        foreach (var (r, c) in carried)
        {
            if (shape.Filters.Any(f => f.Column == $"{r.Table}.{c.Column}") || shape.Conditions.Any(x => x.Columns.Contains($"{r.Table}.{c.Column}"))
                || shape.GroupBy.Any(g => g.Contains($"{r.Table}.{c.Column}", StringComparison.Ordinal)))
            {
                foreach (var t in c.Tables)
                {
                    result.Tables.Add(t);
                }
            }
        }
        // What the table itself restricts the rows to (active issues; the completed rollup: completed ones) is a condition of
        // the SQL, as if written over the base rows: reading the completed rollup for open bugs adds "with a completion time".
        foreach (var r in rollups)
        {
            result.Conditions.AddRange(concepts.BaseConditions(r.Entity));
            result.Conditions.AddRange(r.Implied.SelectMany(p => concepts.Predicate(r.Entity, p)));
        }
        return result;

        SqlCondition Condition(SqlCondition c)
        {
            if (c.Columns.Count == 1 && c.OtherColumns.Count == 0 && counts.TryGetValue(c.Columns[0], out var b) && IsPositive(c.Operator, c.Constants) && !c.Negated)
            {
                return c with { Columns = [b], Operator = "is not null", Constants = [] };
            }
            return c with
            {
                Columns = Columns(c.Columns),
                OtherColumns = Columns(c.OtherColumns),
                Tables = c.Tables.Select(t => Rollups.ByTable(t)?.BaseTable ?? t).ToList(),
                Parts = c.Parts.Select(Condition).ToList(),
            };
        }
    }

    private static bool IsPositive(string op, IReadOnlyList<string> constants) =>
        op == ">" && constants is ["0"] || op == ">=" && constants is ["1"];
}
