using System.Text.Json;

namespace StrategicAgent.Validation.Domain;

// The query shape's conditions, aggregate arguments and ORDER BY keys for the semantic judge: every
// boolean condition read off the parse tree with its columns resolved through the analyzer's scopes.
public sealed partial class SqlAnalyzer
{
    /// <summary>Reads one conjunct as a condition (columns resolved in <paramref name="scope"/>).</summary>
    private SqlCondition ReadCondition(JsonElement e, Scope scope, ConditionContext context)
    {
        if (e.Has("BoolExpr"u8, out var b) && b.Has("args"u8, out var args))
        {
            var op = b.Str("boolop"u8);
            var parts = args.EnumerateArray().Select(a => ReadCondition(a, scope, context)).ToList();
            if (op == "NOT_EXPR" && parts.Count == 1)
            {
                return parts[0] with { Negated = !parts[0].Negated };
            }
            return new SqlCondition { Operator = op == "OR_EXPR" ? "or" : "and", Parts = parts, Context = context };
        }
        if (e.Has("NullTest"u8, out var nt))
        {
            var columns = nt.Has("arg"u8, out var arg) ? ColumnsIn(arg, scope) : [];
            return new SqlCondition
            {
                Operator = nt.Str("nulltesttype"u8) == "IS_NOT_NULL" ? "is not null" : "is null",
                Columns = columns,
                Rows = nt.Has("arg"u8, out var narg) ? RowsIn(narg, scope) : [],
                Context = context,
            };
        }
        if (e.Has("BooleanTest"u8, out var bt))
        {
            var test = bt.Str("booltesttype"u8) ?? "";
            return new SqlCondition
            {
                Operator = "is true",
                Columns = bt.Has("arg"u8, out var arg) ? ColumnsIn(arg, scope) : [],
                Negated = test is "IS_FALSE" or "IS_NOT_TRUE",
                Context = context,
            };
        }
        if (e.Has("SubLink"u8, out var sub))
        {
            var tables = new SortedSet<string>(StringComparer.Ordinal);
            if (sub.Has("subselect"u8, out var subselect))
            {
                CollectTables(subselect, tables);
            }
            return new SqlCondition
            {
                Operator = "subquery",
                Columns = sub.Has("testexpr"u8, out var test) ? ColumnsIn(test, scope) : [],
                Tables = [.. tables],
                Negated = sub.Str("subLinkType"u8) == "ALL_SUBLINK",
                Context = context,
            };
        }
        if (e.Has("ColumnRef"u8, out _) || e.Has("TypeCast"u8, out _))
        {
            return new SqlCondition { Operator = "is true", Columns = ColumnsIn(e, scope), Context = context };
        }
        if (e.Has("A_Expr"u8, out var ae))
        {
            return ReadComparison(ae, scope, context);
        }
        return new SqlCondition { Operator = "expression", Columns = ColumnsIn(e, scope), Context = context };
    }

    private SqlCondition ReadComparison(JsonElement ae, Scope scope, ConditionContext context)
    {
        var kind = ae.Str("kind"u8) ?? "AEXPR_OP";
        var name = ae.Has("name"u8, out var nameList) && nameList.GetArrayLength() > 0 ? nameList[nameList.GetArrayLength() - 1].StringNode() ?? "" : "";
        var left = ae.Has("lexpr"u8, out var l) ? l : default;
        var right = ae.Has("rexpr"u8, out var r) ? r : default;
        var lcols = ColumnsIn(left, scope);
        var rcols = ColumnsIn(right, scope);
        var op = kind switch
        {
            "AEXPR_BETWEEN" or "AEXPR_BETWEEN_SYM" => "between",
            "AEXPR_NOT_BETWEEN" or "AEXPR_NOT_BETWEEN_SYM" => "not between",
            "AEXPR_IN" => name == "=" ? "in" : "not in",
            "AEXPR_OP_ANY" when name == "=" => "in",
            "AEXPR_OP_ALL" when name == "<>" => "not in",
            "AEXPR_LIKE" or "AEXPR_ILIKE" or "AEXPR_SIMILAR" => name.ToLowerInvariant(),
            "AEXPR_DISTINCT" => "<>",
            "AEXPR_NOT_DISTINCT" => "=",
            "AEXPR_NULLIF" => "nullif",
            _ => name,
        };
        if (lcols.Count > 0 && rcols.Count > 0)
        {
            return new SqlCondition { Operator = op, Columns = lcols, OtherColumns = rcols, Context = context, Rows = RowsIn(left, scope), OtherRows = RowsIn(right, scope) };
        }
        // Column side first: "5 < pr.changed_files" reads as "pr.changed_files > 5".
        var flipped = lcols.Count == 0 && rcols.Count > 0;
        var (columns, other) = flipped ? (rcols, left) : (lcols, right);
        if (flipped)
        {
            op = op switch { "<" => ">", ">" => "<", "<=" => ">=", ">=" => "<=", _ => op };
        }
        var constants = new List<string>();
        CollectConstants(other, constants);
        var temporal = columns.Count == 1 && IsTemporal(columns[0]);
        TimeExpr? bound = null, upper = null;
        if (temporal)
        {
            if (op is "between" or "not between" && other.Has("List"u8, out var list) && list.Has("items"u8, out var items) && items.GetArrayLength() == 2)
            {
                bound = TimeExpr.Read(items[0]);
                upper = TimeExpr.Read(items[1]);
            }
            else
            {
                bound = TimeExpr.Read(other);
            }
        }
        return new SqlCondition
        {
            Operator = op,
            Columns = columns,
            Rows = RowsIn(flipped ? right : left, scope),
            Constants = constants.Select(c => c.ToLowerInvariant()).ToList(),
            Context = context,
            Temporal = temporal,
            Bound = bound,
            Upper = upper,
        };
    }

    private bool IsTemporal(string qualified)
    {
        var dot = qualified.LastIndexOf('.');
        var table = dot > 0 ? qualified[..dot] : "";
        var column = qualified[(dot + 1)..];
        return _catalog.Find(table) is { } t && t.ColumnsByName.TryGetValue(column, out var c) ? c.IsTemporal : LooksTemporal(column);
    }

    /// <summary>The columns an expression reads, as "table.column" (or "alias.column"), not looking into subqueries.</summary>
    private List<string> ColumnsIn(JsonElement e, Scope scope) => [.. ColumnRefs(e, scope).Keys];

    /// <summary>
    /// The range items (table references) of the columns <see cref="ColumnsIn"/> returns, in the same order (-1 where a column
    /// resolves to none): which of two references to one table (an epic and its child issues) a condition is on.
    /// </summary>
    private List<int> RowsIn(JsonElement e, Scope scope) => [.. ColumnRefs(e, scope).Values];

    private SortedDictionary<string, int> ColumnRefs(JsonElement e, Scope scope)
    {
        var found = new SortedDictionary<string, int>(StringComparer.Ordinal);
        AddColumns(e, scope, found);
        return found;
    }

    private void AddColumns(JsonElement e, Scope scope, SortedDictionary<string, int> into)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                AddColumns(x, scope, into);
            }
            return;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in e.EnumerateObject())
        {
            if (p.NameEquals("SubLink"u8) || p.NameEquals("SelectStmt"u8))
            {
                continue;
            }
            if (p.NameEquals("ColumnRef"u8))
            {
                if (Qualified(p.Value, scope) is { } q)
                {
                    var (status, item, _, _) = LookupColumn(p.Value, scope, allowAliases: false);
                    into.TryAdd(q, status == Lookup.Found && item is not null ? item.Id : -1);
                }
                continue;
            }
            if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                AddColumns(p.Value, scope, into);
            }
        }
    }

    /// <summary>A column reference as "table.column"; an output alias is followed to its expression's single column.</summary>
    private string? Qualified(JsonElement columnRef, Scope scope)
    {
        var (status, item, names, column) = LookupColumn(columnRef, scope, allowAliases: false);
        if (status == Lookup.Found && item is not null && column is not null)
        {
            return item.Table is { } table ? table.Name + "." + column : (item.Name ?? "") + "." + column;
        }
        if (names.Count == 1 && scope.HasOutputNames && scope.OutputNames.TryGetValue(names[0], out var aliased))
        {
            var inner = ColumnsIn(aliased, scope);
            return inner.Count == 1 ? inner[0] : null;
        }
        return names.Count > 0 ? string.Join(".", names) : null;
    }

    private static void CollectTables(JsonElement e, SortedSet<string> into)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                CollectTables(x, into);
            }
            return;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in e.EnumerateObject())
        {
            if (p.NameEquals("RangeVar"u8) && p.Value.Str("relname"u8) is { } rel)
            {
                into.Add(rel);
            }
            else if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                CollectTables(p.Value, into);
            }
        }
    }

    /// <summary>An aggregate's kind, arguments and FILTER; CASE WHEN conditions inside it.</summary>
    private void RecordAggregate(JsonElement f, string name, Scope scope)
    {
        var columns = f.Has("args"u8, out var args) ? ColumnsIn(args, scope) : [];
        if (f.Has("agg_order"u8, out var order))
        {
            // percentile_cont(0.5) WITHIN GROUP (ORDER BY x): the measured column is in the ORDER BY.
            columns = [.. columns.Union(ColumnsIn(order, scope)).Order(StringComparer.Ordinal)];
        }
        _result.Shape.AggregateUses.Add(new AggregateUse(name, columns, f.Bool("agg_distinct"u8)));
        if (f.Has("agg_filter"u8, out var filter))
        {
            foreach (var c in Conjuncts(filter))
            {
                _result.Shape.Conditions.Add(ReadCondition(c, scope, ConditionContext.AggregateFilter));
            }
        }
        if (args.ValueKind == JsonValueKind.Array)
        {
            RecordCaseConditions(args, scope);
        }
    }

    private void RecordCaseConditions(JsonElement e, Scope scope)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                RecordCaseConditions(x, scope);
            }
            return;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in e.EnumerateObject())
        {
            if (p.NameEquals("SubLink"u8) || p.NameEquals("SelectStmt"u8))
            {
                continue;
            }
            if (p.NameEquals("CaseWhen"u8) && p.Value.Has("expr"u8, out var when))
            {
                foreach (var c in Conjuncts(when))
                {
                    _result.Shape.Conditions.Add(ReadCondition(c, scope, ConditionContext.Case));
                }
            }
            if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                RecordCaseConditions(p.Value, scope);
            }
        }
    }

    /// <summary>Top-level ORDER BY keys: an ordinal or an output alias is followed to its select-list expression.</summary>
    private void RecordOrderKeys(JsonElement sort, Scope scope, JsonElement select)
    {
        foreach (var item in sort.EnumerateArray())
        {
            if (!item.Has("SortBy"u8, out var sb) || !sb.Has("node"u8, out var node))
            {
                continue;
            }
            var expr = node;
            if (node.Has("A_Const"u8, out var c) && c.Has("ival"u8, out var iv) && select.Has("targetList"u8, out var targets))
            {
                var ordinal = iv.Int("ival"u8, 0);
                if (ordinal >= 1 && ordinal <= targets.GetArrayLength() && targets[ordinal - 1].Has("ResTarget"u8, out var rt) && rt.Has("val"u8, out var val))
                {
                    expr = val;
                }
            }
            else if (node.Has("ColumnRef"u8, out var cr) && cr.Has("fields"u8, out var fields) && fields.GetArrayLength() == 1
                     && fields[0].StringNode() is { } alias && scope.HasOutputNames && scope.OutputNames.TryGetValue(alias, out var aliased))
            {
                expr = aliased;
            }
            _result.Shape.OrderKeys.Add(new OrderKey(sb.Str("sortby_dir"u8) == "SORTBY_DESC" ? "desc" : "asc", ColumnsIn(expr, scope), HasAggregate(expr)));
        }
    }
}
