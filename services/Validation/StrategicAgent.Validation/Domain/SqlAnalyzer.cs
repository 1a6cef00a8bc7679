using System.Text.Json;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Validation.Domain;

public sealed class StaticAnalysisOptions
{
    /// <summary>Largest LIMIT a non-aggregated select may ask for.</summary>
    public int RowCap { get; set; } = 1000;

    /// <summary>missing_limit is an error (true) or a warning (false).</summary>
    public bool RequireLimit { get; set; } = true;

    /// <summary>Describe the query's shape (grouping, aggregates, filters…) for the semantic judge.</summary>
    public bool CollectShape { get; set; } = true;
}

public sealed class StaticAnalysis
{
    public List<Finding> Errors { get; } = [];
    public List<Finding> Warnings { get; } = [];
    public SortedSet<string> Tables { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> Columns { get; } = new(StringComparer.Ordinal);
    public QueryShape Shape { get; } = new();
    public int StatementCount { get; set; }
    /// <summary>Highest $n parameter number used (0: none).</summary>
    public int ParameterCount { get; set; }
}

/// <summary>
/// Static analysis of a libpg_query parse tree against a catalog: read-only single statement,
/// known tables and columns (with scopes: aliases, CTEs, subqueries, LATERAL, correlated
/// subqueries), forbidden functions, tenant filter, row limit; and the query's shape for the judge.
/// Not thread-safe: one instance per analysis.
/// </summary>
public sealed partial class SqlAnalyzer
{
    private static readonly HashSet<string> AggregateNames = new(StringComparer.Ordinal)
    {
        "count", "sum", "avg", "min", "max", "percentile_cont", "percentile_disc", "mode", "median",
        "array_agg", "string_agg", "bool_and", "bool_or", "every", "stddev", "stddev_pop", "stddev_samp",
        "variance", "var_pop", "var_samp", "corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept",
        "regr_count", "regr_r2", "regr_avgx", "regr_avgy", "regr_sxx", "regr_syy", "regr_sxy", "json_agg",
        "jsonb_agg", "json_object_agg", "jsonb_object_agg", "bit_and", "bit_or", "bit_xor", "xmlagg",
        "range_agg", "range_intersect_agg",
    };

    private static readonly HashSet<string> SystemColumns = new(StringComparer.Ordinal)
    {
        "ctid", "xmin", "xmax", "cmin", "cmax", "tableoid",
    };

    private readonly SchemaCatalog _catalog;
    private readonly SourceText _source;
    private readonly StaticAnalysisOptions _options;
    private readonly StaticAnalysis _result = new();
    private readonly List<RangeItem> _items = [];
    private readonly List<int> _parent = [];
    private readonly HashSet<(string, int, string)> _seen = [];
    private readonly List<string> _names = new(3);

    private SqlAnalyzer(SchemaCatalog catalog, SourceText source, StaticAnalysisOptions options)
    {
        _catalog = catalog;
        _source = source;
        _options = options;
    }

    public static StaticAnalysis Analyze(JsonElement root, SourceText source, SchemaCatalog catalog, StaticAnalysisOptions options)
    {
        var analyzer = new SqlAnalyzer(catalog, source, options);
        analyzer.Run(root);
        return analyzer._result;
    }

    private void Run(JsonElement root)
    {
        if (!root.Has("stmts"u8, out var stmts))
        {
            return;
        }
        var count = stmts.GetArrayLength();
        _result.StatementCount = count;
        if (count > 1)
        {
            var second = stmts[1];
            Error(Codes.MultipleStatements,
                $"The text holds {count} statements; send exactly one SELECT statement (remove everything after the first statement's semicolon).",
                StatementStart(second.Int("stmt_location"u8, 0)));
        }
        var index = 0;
        foreach (var stmt in stmts.EnumerateArray())
        {
            var node = stmt.GetProperty("stmt");
            var location = StatementStart(stmt.Int("stmt_location"u8, 0));
            if (node.Has("SelectStmt"u8, out var select))
            {
                AnalyzeSelect(select, outer: null, top: index == 0);
            }
            else
            {
                var kind = node.EnumerateObject().First().Name;
                Error(Codes.NotReadOnly,
                    $"Only a read-only SELECT (or WITH … SELECT) is allowed; this statement is {Describe(kind)}.",
                    location);
            }
            index++;
        }
        CheckTenantFilters();
        if (_options.CollectShape)
        {
            _result.Shape.Tables.UnionWith(_result.Tables);
            var constants = new List<string>();
            CollectConstants(stmts, constants);
            foreach (var c in constants)
            {
                if (double.TryParse(c, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
                {
                    _result.Shape.Numbers.Add(n);
                }
                else if (IntervalLength().Match(c) is { Success: true } m
                         && double.TryParse(m.Groups[1].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var len))
                {
                    _result.Shape.Numbers.Add(len);
                }
            }
        }
    }

    /// <summary>An interval's text ('30 days', '2 weeks'): its length is a number the SQL says.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(?:min(?:ute)?s?|hours?|days?|weeks?|mons?|months?|years?|quarters?)\s*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex IntervalLength();

    /// <summary>A statement's location starts right after the previous semicolon: skip the whitespace.</summary>
    private int StatementStart(int byteOffset)
    {
        var text = _source.Text;
        var charIndex = _source.PositionOfByteOffset(byteOffset) - 1;
        var skipped = 0;
        while (charIndex + skipped < text.Length && text[charIndex + skipped] is ' ' or '\t' or '\n' or '\r' or '\f' or '\v')
        {
            skipped++;
        }
        // Whitespace is ASCII: one byte per character skipped.
        return byteOffset + skipped;
    }

    // ---------------------------------------------------------------- SELECT

    /// <summary>Analyzes one SELECT (the content of a SelectStmt node); returns its output columns, or null when unknown.</summary>
    private List<string>? AnalyzeSelect(JsonElement s, Scope? outer, bool top = false)
    {
        var scope = new Scope(outer);
        if (s.Has("withClause"u8, out var with))
        {
            AnalyzeWith(with, scope);
        }

        var op = s.Str("op"u8);
        if (op is not null && op != "SETOP_NONE")
        {
            var left = s.Has("larg"u8, out var larg) ? AnalyzeSelect(larg, scope) : null;
            if (s.Has("rarg"u8, out var rarg))
            {
                AnalyzeSelect(rarg, scope);
            }
            // ORDER BY / LIMIT of a set operation see its output columns.
            var output = new RangeItem(NewId(), null, null, left, null, 0);
            Register(output);
            scope.Items.Add(output);
            WalkField(s, "sortClause", scope, allowAliases: true);
            WalkField(s, "limitCount", scope);
            WalkField(s, "limitOffset", scope);
            CheckLocking(s);
            if (top)
            {
                if (_options.CollectShape)
                {
                    FillTopShape(s, scope);
                }
                CheckLimit(s);
            }
            return left;
        }

        if (s.Has("valuesLists"u8, out var values))
        {
            WalkExpr(values, scope, false);
            var width = values.GetArrayLength() > 0 && values[0].Has("List"u8, out var firstRow) && firstRow.Has("items"u8, out var firstItems)
                ? firstItems.GetArrayLength() : 0;
            if (top)
            {
                CheckLimit(s);
            }
            return Enumerable.Range(1, width).Select(i => "column" + i).ToList();
        }

        if (s.Has("fromClause"u8, out var from))
        {
            foreach (var item in from.EnumerateArray())
            {
                AddFrom(item, scope);
            }
        }

        // Select list.
        List<string>? outputNames = [];
        if (s.Has("targetList"u8, out var targets))
        {
            foreach (var t in targets.EnumerateArray())
            {
                if (!t.Has("ResTarget"u8, out var rt))
                {
                    continue;
                }
                if (rt.Has("val"u8, out var val))
                {
                    WalkExpr(val, scope, false);
                    var name = rt.Str("name"u8);
                    if (name is not null)
                    {
                        scope.OutputNames[name] = val;
                    }
                    if (outputNames is not null)
                    {
                        var names = OutputNamesOf(rt, val, scope);
                        if (names is null)
                        {
                            outputNames = null;
                        }
                        else
                        {
                            outputNames.AddRange(names);
                        }
                    }
                }
            }
        }

        if (s.Has("whereClause"u8, out var where))
        {
            WalkExpr(where, scope, false);
            ApplyConjuncts(where, scope, ConditionContext.Where);
        }
        WalkField(s, "groupClause", scope, allowAliases: true);
        if (s.Has("havingClause"u8, out var having))
        {
            WalkExpr(having, scope, true);
            ApplyConjuncts(having, scope, ConditionContext.Having);
        }
        WalkField(s, "windowClause", scope, allowAliases: true);
        WalkField(s, "distinctClause", scope, allowAliases: true);
        WalkField(s, "sortClause", scope, allowAliases: true);
        WalkField(s, "limitCount", scope);
        WalkField(s, "limitOffset", scope);

        if (s.Has("intoClause"u8, out var into))
        {
            var rel = into.Has("rel"u8, out var r) ? r : default;
            Error(Codes.NotReadOnly,
                "SELECT … INTO creates a table; remove the INTO clause and select the rows instead.",
                rel.ValueKind == JsonValueKind.Object ? rel.Int("location"u8, -1) : -1);
        }
        CheckLocking(s);
        if (_options.CollectShape)
        {
            CollectGrouping(s, scope);
        }

        if (top)
        {
            if (_options.CollectShape)
            {
                FillTopShape(s, scope);
                if (outputNames is not null)
                {
                    _result.Shape.OutputColumns.AddRange(outputNames);
                }
            }
            CheckLimit(s);
        }
        return outputNames;
    }

    private void AnalyzeWith(JsonElement with, Scope scope)
    {
        var recursive = with.Bool("recursive"u8);
        if (!with.Has("ctes"u8, out var ctes))
        {
            return;
        }
        foreach (var c in ctes.EnumerateArray())
        {
            if (!c.Has("CommonTableExpr"u8, out var cte))
            {
                continue;
            }
            var name = cte.Str("ctename"u8) ?? "";
            var aliasColumns = cte.Has("aliascolnames"u8, out var acn)
                ? acn.EnumerateArray().Select(n => n.StringNode() ?? "").ToList()
                : null;
            var def = new CteDef(name);
            var query = cte.GetProperty("ctequery");
            if (query.Has("SelectStmt"u8, out var select))
            {
                if (recursive)
                {
                    // The recursive term refers to the CTE itself: register it first with the columns
                    // of its alias list or of the non-recursive term.
                    def.Columns = aliasColumns ?? StaticOutputNames(select);
                    scope.Ctes[name] = def;
                }
                var before = _items.Count;
                var output = AnalyzeSelect(select, scope);
                def.Columns = aliasColumns ?? output;
                def.InnerTenant = TenantItemsSince(before);
            }
            else
            {
                var kind = query.EnumerateObject().First().Name;
                Error(Codes.NotReadOnly,
                    $"The WITH query \"{name}\" is {Describe(kind)}: data-modifying CTEs are not allowed; use only SELECT in WITH.",
                    cte.Int("location"u8, -1));
                // Not walked: the statement is refused as a whole; its columns would only add noise.
                def.Columns = aliasColumns;
            }
            scope.Ctes[name] = def;
        }
    }

    // ---------------------------------------------------------------- FROM

    /// <summary>Adds a FROM item's range items to the scope (as they appear, so LATERAL and ON see them).</summary>
    private void AddFrom(JsonElement node, Scope scope) => AddFromCore(node, scope);

    /// <summary>Adds a join side and returns its items (the join needs them for USING/NATURAL).</summary>
    private ArraySegment<RangeItem> AddJoinSide(JsonElement node, Scope scope)
    {
        var before = scope.Items.Count;
        AddFromCore(node, scope);
        var count = scope.Items.Count - before;
        if (count == 0)
        {
            return ArraySegment<RangeItem>.Empty;
        }
        var items = new RangeItem[count];
        scope.Items.CopyTo(before, items, 0, count);
        return items;
    }

    private void AddFromCore(JsonElement node, Scope scope)
    {
        var into = scope.Items;
        if (node.Has("RangeVar"u8, out var rv))
        {
            into.Add(FromRangeVar(rv, scope));
        }
        else if (node.Has("JoinExpr"u8, out var join))
        {
            var leftItems = join.Has("larg"u8, out var l) ? AddJoinSide(l, scope) : ArraySegment<RangeItem>.Empty;
            var rightItems = join.Has("rarg"u8, out var r) ? AddJoinSide(r, scope) : ArraySegment<RangeItem>.Empty;
            // ON sees everything joined so far (a superset of what PostgreSQL allows: fine for checks).
            if (join.Has("quals"u8, out var quals))
            {
                WalkExpr(quals, scope, false);
                ApplyConjuncts(quals, scope, ConditionContext.Join);
            }
            var shared = new List<string>();
            if (join.Has("usingClause"u8, out var usingClause))
            {
                shared.AddRange(usingClause.EnumerateArray().Select(n => n.StringNode() ?? ""));
            }
            else if (join.Bool("isNatural"u8))
            {
                shared.AddRange(leftItems.SelectMany(i => i.ColumnNames).Intersect(rightItems.SelectMany(i => i.ColumnNames)));
            }
            foreach (var column in shared)
            {
                var a = leftItems.FirstOrDefault(i => i.HasColumn(column));
                var b = rightItems.FirstOrDefault(i => i.HasColumn(column));
                if (a is null || b is null)
                {
                    Error(Codes.UnknownColumn,
                        $"Column \"{column}\" in USING must exist on both sides of the join.",
                        join.Int("location"u8, -1));
                    continue;
                }
                Union(a.Id, b.Id);
            }
            if (join.Has("alias"u8, out var alias) && alias.Str("aliasname"u8) is { } aliasName && leftItems.Count + rightItems.Count > 0)
            {
                var all = leftItems.Concat(rightItems).ToList();
                var columns = all.Any(i => i.Opaque) ? null : all.SelectMany(i => i.ColumnNames).Distinct().ToList();
                var item = new RangeItem(NewId(), aliasName, null, columns, null, join.Int("location"u8, 0));
                Register(item);
                Union(item.Id, all[0].Id);
                into.Add(item);
            }
        }
        else if (node.Has("RangeSubselect"u8, out var sub))
        {
            var lateral = sub.Bool("lateral"u8);
            // A non-LATERAL subquery sees CTEs and outer query levels, not its FROM siblings.
            var outer = lateral ? scope : new Scope(scope) { HideParentItems = true };
            var before = _items.Count;
            List<string>? output = null;
            if (sub.Has("subquery"u8, out var q) && q.Has("SelectStmt"u8, out var select))
            {
                output = AnalyzeSelect(select, outer);
            }
            var inner = TenantItemsSince(before);
            var alias = sub.Has("alias"u8, out var a) ? a : default;
            var name = alias.ValueKind == JsonValueKind.Object ? alias.Str("aliasname"u8) : null;
            var columns = AliasColumns(alias) ?? output;
            var item = new RangeItem(NewId(), name, null, columns, inner, 0);
            Register(item);
            into.Add(item);
        }
        else if (node.Has("RangeFunction"u8, out var rf))
        {
            string? funcName = null;
            if (rf.Has("functions"u8, out var functions))
            {
                foreach (var f in functions.EnumerateArray())
                {
                    // Each entry is [FuncCall, column definitions]; functions in FROM are implicitly LATERAL.
                    if (f.Has("List"u8, out var list) && list.Has("items"u8, out var items) && items.GetArrayLength() > 0)
                    {
                        WalkExpr(items[0], scope, false);
                        funcName ??= items[0].Has("FuncCall"u8, out var fc) ? FunctionName(fc) : null;
                    }
                }
            }
            var alias = rf.Has("alias"u8, out var a) ? a : default;
            var name = alias.ValueKind == JsonValueKind.Object ? alias.Str("aliasname"u8) : funcName;
            // Without a column list the function's columns are unknown here: accept any (permissive).
            var columns = AliasColumns(alias);
            var item = new RangeItem(NewId(), name, null, columns, null, 0);
            Register(item);
            into.Add(item);
        }
        else if (node.Has("RangeTableSample"u8, out var sample))
        {
            if (sample.Has("relation"u8, out var relation))
            {
                AddFrom(relation, scope);
            }
            WalkField(sample, "args", scope);
            WalkField(sample, "repeatable", scope);
        }
        else
        {
            // XMLTABLE and other exotic FROM items: walk for functions and columns, accept any column.
            WalkExpr(node, scope, false);
            var item = new RangeItem(NewId(), null, null, null, null, 0);
            Register(item);
            into.Add(item);
        }
    }

    private RangeItem FromRangeVar(JsonElement rv, Scope scope)
    {
        var relname = rv.Str("relname"u8) ?? "";
        var schema = rv.Str("schemaname"u8);
        var location = rv.Int("location"u8, -1);
        var alias = rv.Has("alias"u8, out var a) ? a : default;
        var aliasName = alias.ValueKind == JsonValueKind.Object ? alias.Str("aliasname"u8) : null;
        var aliasColumns = AliasColumns(alias);

        if (schema is null && scope.FindCte(relname) is { } cte)
        {
            var item = new RangeItem(NewId(), aliasName ?? relname, null, aliasColumns ?? cte.Columns, cte.InnerTenant, location);
            Register(item);
            return item;
        }
        if ((schema is null || schema == "public") && rv.Str("catalogname"u8) is null && _catalog.Find(relname) is { } table)
        {
            _result.Tables.Add(table.Name);
            List<string>? renamed = null;
            if (aliasColumns is not null)
            {
                renamed = table.Columns.Select((c, i) => i < aliasColumns.Count ? aliasColumns[i] : c.Name).ToList();
            }
            var item = new RangeItem(NewId(), aliasName ?? relname, table, renamed, null, location);
            Register(item);
            return item;
        }

        var qualified = schema is null ? relname : schema + "." + relname;
        var candidates = _catalog.Tables.Select(t => t.Name).Concat(scope.VisibleCteNames());
        var suggestions = Suggest.Closest(relname, candidates);
        var hint = suggestions.Count > 0
            ? $" Did you mean {Suggest.Quote(suggestions)}?"
            : $" Known tables: {string.Join(", ", _catalog.Tables.Select(t => t.Name))}.";
        var why = schema is not null && schema != "public"
            ? $"Table \"{qualified}\" is not readable: only tables in schema public that the query role can read are allowed."
            : $"Table \"{qualified}\" does not exist (or the query role cannot read it).";
        Error(Codes.UnknownTable, why + hint, location, suggestions);
        // Unknown relation: accept its columns so one mistake gives one finding.
        var unknown = new RangeItem(NewId(), aliasName ?? relname, null, null, null, location);
        Register(unknown);
        return unknown;
    }

    private static List<string>? AliasColumns(JsonElement alias) =>
        alias.ValueKind == JsonValueKind.Object && alias.Has("colnames"u8, out var cols)
            ? cols.EnumerateArray().Select(n => n.StringNode() ?? "").ToList()
            : null;

    // ---------------------------------------------------------------- expressions

    private void WalkField(JsonElement node, string field, Scope scope, bool allowAliases = false)
    {
        if (node.Has(field, out var value))
        {
            WalkExpr(value, scope, allowAliases);
        }
    }

    private void WalkExpr(JsonElement e, Scope scope, bool allowAliases)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                WalkExpr(x, scope, allowAliases);
            }
            return;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in e.EnumerateObject())
        {
            var v = p.Value;
            if (v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                continue;
            }
            // NameEquals compares UTF-8 in place; p.Name would allocate a string per property.
            // (Write statements cannot occur inside a SELECT's expressions: PostgreSQL's grammar
            // allows them only at the top level and in WITH, both checked elsewhere.)
            if (p.NameEquals("ColumnRef"u8))
            {
                ResolveColumnRef(v, scope, allowAliases);
            }
            else if (p.NameEquals("ParamRef"u8))
            {
                _result.ParameterCount = Math.Max(_result.ParameterCount, v.Int("number"u8, 0));
            }
            else if (p.NameEquals("FuncCall"u8))
            {
                AnalyzeFunction(v, scope, allowAliases);
            }
            else if (p.NameEquals("SubLink"u8))
            {
                if (v.Has("testexpr"u8, out var test))
                {
                    WalkExpr(test, scope, allowAliases);
                }
                if (v.Has("subselect"u8, out var subselect) && subselect.Has("SelectStmt"u8, out var sel))
                {
                    AnalyzeSelect(sel, scope);
                }
            }
            else if (p.NameEquals("SelectStmt"u8))
            {
                AnalyzeSelect(v, scope);
            }
            else
            {
                WalkExpr(v, scope, allowAliases);
            }
        }
    }

    private void AnalyzeFunction(JsonElement f, Scope scope, bool allowAliases)
    {
        var name = FunctionName(f);
        var reason = FunctionDenylist.ReasonFor(name);
        if (reason is not null)
        {
            Error(Codes.ForbiddenFunction,
                $"Function {name}() is not allowed in generated SQL: it {reason}. Remove it.",
                f.Int("location"u8, -1));
        }
        foreach (var p in f.EnumerateObject())
        {
            if (!p.NameEquals("funcname"u8))
            {
                WalkExpr(p.Value, scope, allowAliases);
            }
        }
    }

    private static string FunctionName(JsonElement f)
    {
        if (!f.Has("funcname"u8, out var names))
        {
            return "";
        }
        var last = "";
        foreach (var n in names.EnumerateArray())
        {
            last = n.StringNode() ?? last;
        }
        return last.ToLowerInvariant();
    }

    private enum Lookup
    {
        Found,
        Permissive,
        UnknownColumn,
        UnknownQualifier,
    }

    private void ResolveColumnRef(JsonElement columnRef, Scope scope, bool allowAliases)
    {
        var location = columnRef.Int("location"u8, -1);
        var (status, item, names, column) = LookupColumn(columnRef, scope, allowAliases);
        switch (status)
        {
            case Lookup.Found:
                if (item?.Table is { } table && column is not null)
                {
                    _result.Columns.Add(table.Qualified(column));
                }
                break;
            case Lookup.UnknownQualifier:
            {
                var qualifier = names[^2];
                var visible = scope.VisibleItems().Where(i => i.Name is not null).Select(i => i.Name!).ToList();
                var suggestions = Suggest.Closest(qualifier, visible);
                if (suggestions.Count == 0)
                {
                    suggestions = visible.Distinct().Take(5).ToList();
                }
                var hint = visible.Count > 0 ? $" Tables in scope: {string.Join(", ", visible.Distinct())}." : "";
                Error(Codes.UnknownTable,
                    $"\"{qualifier}\" is not a table or alias in the FROM clause (missing FROM-clause entry).{hint}",
                    location, suggestions);
                break;
            }
            case Lookup.UnknownColumn:
            {
                var name = names[^1];
                string message;
                List<string> suggestions;
                if (item is not null)
                {
                    suggestions = Suggest.Closest(name, item.ColumnNames);
                    var what = item.Table is { } t && item.Name != t.Name ? $"{item.Name} ({t.Name})" : item.Name ?? "the subquery";
                    message = $"Column \"{name}\" does not exist in {what}.";
                    if (item.Name is not null)
                    {
                        suggestions = suggestions.Select(c => item.Name + "." + c).ToList();
                    }
                    message += suggestions.Count > 0
                        ? $" Did you mean {Suggest.Quote(suggestions)}?"
                        : $" Its columns: {string.Join(", ", item.ColumnNames)}.";
                }
                else
                {
                    var candidates = scope.VisibleItems()
                        .SelectMany(i => i.ColumnNames.Select(c => (Column: c, Qualified: i.Name is null ? c : i.Name + "." + c)))
                        .ToList();
                    var best = Suggest.Closest(name, candidates.Select(c => c.Column));
                    suggestions = best.SelectMany(b => candidates.Where(c => c.Column == b).Select(c => c.Qualified)).Distinct().Take(3).ToList();
                    message = $"Column \"{name}\" does not exist in any table of the FROM clause.";
                    message += suggestions.Count > 0
                        ? $" Did you mean {Suggest.Quote(suggestions)}?"
                        : scope.VisibleItems().Any() ? "" : " The query has no FROM clause.";
                }
                Error(Codes.UnknownColumn, message, location, suggestions);
                break;
            }
        }
    }

    /// <summary>Resolves a ColumnRef in a scope chain without reporting anything.</summary>
    private (Lookup Status, RangeItem? Item, List<string> Names, string? Column) LookupColumn(JsonElement columnRef, Scope scope, bool allowAliases)
    {
        // One buffer per analysis: callers read it before the next lookup.
        var names = _names;
        names.Clear();
        var star = false;
        if (columnRef.Has("fields"u8, out var fields))
        {
            foreach (var f in fields.EnumerateArray())
            {
                if (f.StringNode() is { } s)
                {
                    names.Add(s);
                }
                else if (f.Has("A_Star"u8, out _))
                {
                    star = true;
                }
            }
        }
        if (names.Count == 0)
        {
            // SELECT *: the columns of everything in scope.
            foreach (var i in scope.Items)
            {
                if (i.Table is { } t)
                {
                    foreach (var c in t.Columns)
                    {
                        _result.Columns.Add(t.Qualified(c.Name));
                    }
                }
            }
            return (Lookup.Permissive, null, names, null);
        }

        if (names.Count == 1 && !star)
        {
            var column = names[0];
            var permissive = false;
            var hide = false;
            for (var level = scope; level is not null; level = level.Parent)
            {
                var s = (Level: level, VisibleItemsAtLevel: hide ? [] : level.Items);
                hide = level.HideParentItems;
                RangeItem? found = null;
                foreach (var i in s.VisibleItemsAtLevel)
                {
                    if (i.Opaque)
                    {
                        permissive = true;
                    }
                    else if (i.HasColumn(column))
                    {
                        found ??= i;
                    }
                }
                if (found is not null)
                {
                    return (Lookup.Found, found, names, column);
                }
                if (permissive)
                {
                    return (Lookup.Permissive, null, names, column);
                }
                if (allowAliases && s.Level == scope && s.Level.HasOutputNames && s.Level.OutputNames.ContainsKey(column))
                {
                    return (Lookup.Permissive, null, names, column);
                }
            }
            // A bare table name or alias is a whole-row reference (row_to_json(t)); system columns exist on every table.
            if (scope.VisibleItems().Any(i => i.Name == column))
            {
                return (Lookup.Permissive, null, names, column);
            }
            return (Lookup.UnknownColumn, null, names, column);
        }

        // Qualified: [schema.]table.column or table.*
        var qualifier = star ? names[^1] : names[^2];
        var col = star ? null : names[^1];
        foreach (var s in scope.Chain())
        {
            foreach (var i in s.VisibleItemsAtLevel)
            {
                if (i.Name != qualifier)
                {
                    continue;
                }
                if (col is null)
                {
                    if (i.Table is { } t)
                    {
                        foreach (var c in t.Columns)
                        {
                            _result.Columns.Add(t.Qualified(c.Name));
                        }
                    }
                    return (Lookup.Found, i, names, null);
                }
                if (i.Opaque || SystemColumns.Contains(col))
                {
                    return (Lookup.Permissive, i, names, col);
                }
                return i.HasColumn(col) ? (Lookup.Found, i, names, col) : (Lookup.UnknownColumn, i, names, col);
            }
        }
        if (star)
        {
            names.Add("*");
        }
        // record.field on a composite column, e.g. (t.col).field, parses differently; a.b where a is a
        // column of a row-typed item can't be proven wrong if anything in scope is opaque.
        if (scope.VisibleItems().Any(i => i.Opaque && i.Name is null))
        {
            return (Lookup.Permissive, null, names, col);
        }
        return (Lookup.UnknownQualifier, null, names, col);
    }

    // ---------------------------------------------------------------- tenant filter (union-find over range items)

    private int NewId() => _items.Count;

    private void Register(RangeItem item)
    {
        _items.Add(item);
        _parent.Add(item.Id);
    }

    private int Find(int x)
    {
        while (_parent[x] != x)
        {
            _parent[x] = _parent[_parent[x]];
            x = _parent[x];
        }
        return x;
    }

    private void Union(int a, int b)
    {
        var ra = Find(a);
        var rb = Find(b);
        if (ra != rb)
        {
            _parent[ra] = rb;
            if (_items[ra].Anchored)
            {
                _items[rb].Anchored = true;
            }
        }
    }

    private void Anchor(int id) => _items[Find(id)].Anchored = true;

    private bool IsAnchored(int id) => _items[Find(id)].Anchored;

    private List<int> TenantItemsSince(int before)
    {
        var list = new List<int>();
        for (var i = before; i < _items.Count; i++)
        {
            if (_items[i].Table?.TenantColumn is not null)
            {
                list.Add(i);
            }
        }
        return list;
    }

    /// <summary>Applies the AND-ed comparisons of a WHERE/ON/HAVING to the tenant graph and the query shape.</summary>
    private void ApplyConjuncts(JsonElement expr, Scope scope, ConditionContext context)
    {
        foreach (var c in Conjuncts(expr))
        {
            if (_options.CollectShape)
            {
                _result.Shape.Conditions.Add(ReadCondition(c, scope, context) with { Nested = scope.Parent is not null });
            }
            if (!c.Has("A_Expr"u8, out var ae))
            {
                continue;
            }
            var kind = ae.Str("kind"u8) ?? "AEXPR_OP";
            var op = ae.Has("name"u8, out var nameList) && nameList.GetArrayLength() > 0 ? nameList[nameList.GetArrayLength() - 1].StringNode() ?? "" : "";
            var left = ae.Has("lexpr"u8, out var l) ? l : default;
            var right = ae.Has("rexpr"u8, out var r) ? r : default;
            var lc = AsColumn(left, scope);
            var rc = AsColumn(right, scope);

            if (kind is "AEXPR_OP" or "AEXPR_OP_ANY" or "AEXPR_IN" && op == "=")
            {
                if (lc is not null && rc is not null)
                {
                    Union(lc.Value.Item.Id, rc.Value.Item.Id);
                }
                else if (lc is { } x && !ContainsColumnRef(right) && x.Column == x.Item.TenantKey)
                {
                    Anchor(x.Item.Id);
                }
                else if (rc is { } y && !ContainsColumnRef(left) && y.Column == y.Item.TenantKey)
                {
                    Anchor(y.Item.Id);
                }
            }

            if (!_options.CollectShape)
            {
                continue;
            }
            // Shape: a column compared with constants.
            var (col, other) = lc is not null && rc is null ? (lc, right) : rc is not null && lc is null ? (rc, left) : (null, default);
            if (col is { } cc && !ContainsColumnRef(other))
            {
                var constants = new List<string>();
                CollectConstants(other, constants);
                var qualified = (cc.Item.Table?.Name ?? cc.Item.Name ?? "") + "." + cc.Column;
                var temporal = cc.Item.Table?.ColumnsByName.GetValueOrDefault(cc.Column)?.IsTemporal
                               ?? LooksTemporal(cc.Column);
                var opName = kind switch
                {
                    "AEXPR_BETWEEN" => "between",
                    "AEXPR_NOT_BETWEEN" => "not between",
                    "AEXPR_IN" => op == "=" ? "in" : "not in",
                    "AEXPR_LIKE" => op,
                    "AEXPR_ILIKE" => op,
                    _ => op,
                };
                _result.Shape.Filters.Add(new FilterPredicate(qualified, opName, constants, temporal));
            }
        }
    }

    private static bool LooksTemporal(string column) =>
        column.EndsWith("_at", StringComparison.Ordinal) || column is "created" or "updated" || column.Contains("date", StringComparison.Ordinal);

    private (RangeItem Item, string Column)? AsColumn(JsonElement node, Scope scope)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (node.Has("TypeCast"u8, out var cast) && cast.Has("arg"u8, out var arg))
        {
            return AsColumn(arg, scope);
        }
        if (!node.Has("ColumnRef"u8, out var cr))
        {
            return null;
        }
        var (status, item, _, column) = LookupColumn(cr, scope, false);
        return status == Lookup.Found && item is not null && column is not null ? (item, column) : null;
    }

    private static List<JsonElement> Conjuncts(JsonElement expr)
    {
        var list = new List<JsonElement>(4);
        AddConjuncts(expr, list);
        return list;
    }

    private static void AddConjuncts(JsonElement expr, List<JsonElement> into)
    {
        if (expr.Has("BoolExpr"u8, out var b) && b.TryGetProperty("boolop"u8, out var op) && op.ValueEquals("AND_EXPR"u8) && b.Has("args"u8, out var args))
        {
            foreach (var a in args.EnumerateArray())
            {
                AddConjuncts(a, into);
            }
        }
        else
        {
            into.Add(expr);
        }
    }

    private static bool ContainsColumnRef(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                if (ContainsColumnRef(x))
                {
                    return true;
                }
            }
            return false;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        foreach (var p in e.EnumerateObject())
        {
            if (p.NameEquals("ColumnRef"u8) || p.NameEquals("SubLink"u8))
            {
                return true;
            }
            if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && ContainsColumnRef(p.Value))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Constants and time functions of an expression, as text: "90 days", "2025-01-01", "now()", "current_date".</summary>
    private static void CollectConstants(JsonElement e, List<string> into)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                CollectConstants(x, into);
            }
            return;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in e.EnumerateObject())
        {
            switch (p.Name)
            {
                case "A_Const":
                    if (p.Value.Has("sval"u8, out var sv))
                    {
                        into.Add(sv.Str("sval"u8) ?? "");
                    }
                    else if (p.Value.Has("ival"u8, out var iv))
                    {
                        into.Add(iv.Int("ival"u8, 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else if (p.Value.Has("fval"u8, out var fv))
                    {
                        into.Add(fv.Str("fval"u8) ?? "");
                    }
                    else if (p.Value.Has("boolval"u8, out var bv))
                    {
                        into.Add(bv.Bool("boolval"u8) ? "true" : "false");
                    }
                    break;
                case "FuncCall":
                    into.Add(FunctionName(p.Value) + "()");
                    CollectConstants(p.Value, into);
                    break;
                case "SQLValueFunction":
                    into.Add((p.Value.Str("op"u8) ?? "").Replace("SVFOP_", "", StringComparison.Ordinal).ToLowerInvariant());
                    break;
                case "ParamRef":
                    into.Add("$" + p.Value.Int("number"u8, 0));
                    break;
                default:
                    if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        CollectConstants(p.Value, into);
                    }
                    break;
            }
        }
    }

    private void CheckTenantFilters()
    {
        // Derived tables (subqueries, CTEs) count as filtered when every tenant table inside them is;
        // iterate because one derived table can make another's join partner filtered.
        bool changed;
        do
        {
            changed = false;
            foreach (var item in _items)
            {
                if (item.InnerTenant is { Count: > 0 } inner && !IsAnchored(item.Id) && inner.All(IsAnchored))
                {
                    Anchor(item.Id);
                    changed = true;
                }
            }
        }
        while (changed);

        var reported = new HashSet<string>();
        foreach (var item in _items)
        {
            if (item.Table?.TenantColumn is not { } key || IsAnchored(item.Id))
            {
                continue;
            }
            var label = item.Name == item.Table.Name ? item.Table.Name : $"{item.Table.Name} (alias {item.Name})";
            if (!reported.Add(label))
            {
                continue;
            }
            Warning(Codes.MissingTenantFilter,
                $"Table {label} has no tenant filter: add {item.Name}.{key} = <client id> or join it to a filtered table. " +
                "Row-level security still limits rows to the caller's tenant.",
                item.Location);
        }
    }

    // ---------------------------------------------------------------- limit, locking, shape

    private void CheckLocking(JsonElement s)
    {
        if (s.Has("lockingClause"u8, out var locking) && locking.GetArrayLength() > 0)
        {
            var strength = locking[0].Has("LockingClause"u8, out var lc) ? lc.Str("strength"u8) ?? "" : "";
            var what = strength switch
            {
                "LCS_FORKEYSHARE" => "FOR KEY SHARE",
                "LCS_FORSHARE" => "FOR SHARE",
                "LCS_FORNOKEYUPDATE" => "FOR NO KEY UPDATE",
                _ => "FOR UPDATE",
            };
            Error(Codes.NotReadOnly, $"{what} locks rows; remove the locking clause (generated SQL only reads).", -1);
        }
    }

    private void CheckLimit(JsonElement s)
    {
        if (IsAggregated(s))
        {
            return;
        }
        var cap = _options.RowCap;
        string? problem = null;
        if (!s.Has("limitCount"u8, out var limit))
        {
            problem = $"The query returns rows without a LIMIT; add LIMIT {cap} or less (or aggregate).";
        }
        else if (limit.Has("A_Const"u8, out var c))
        {
            if (c.Bool("isnull"u8))
            {
                problem = $"LIMIT ALL has no row cap; use LIMIT {cap} or less.";
            }
            else
            {
                long value = c.Has("ival"u8, out var iv) ? iv.Int("ival"u8, 0)
                    : c.Has("fval"u8, out var fv) && double.TryParse(fv.Str("fval"u8), System.Globalization.CultureInfo.InvariantCulture, out var d) ? (long)Math.Min(d, long.MaxValue)
                    : 0;
                if (value > cap)
                {
                    problem = $"LIMIT {value} is above the row cap of {cap}; use LIMIT {cap} or less.";
                }
            }
        }
        if (problem is null)
        {
            return;
        }
        if (_options.RequireLimit)
        {
            Error(Codes.MissingLimit, problem, -1);
        }
        else
        {
            Warning(Codes.MissingLimit, problem, -1);
        }
    }

    private bool IsAggregated(JsonElement s)
    {
        var op = s.Str("op"u8);
        if (op is not null && op != "SETOP_NONE")
        {
            return s.Has("larg"u8, out var l) && s.Has("rarg"u8, out var r) && IsAggregated(l) && IsAggregated(r);
        }
        if (s.Has("valuesLists"u8, out var values))
        {
            return values.GetArrayLength() <= _options.RowCap;
        }
        if (!s.Has("fromClause"u8, out _))
        {
            return true;
        }
        if (s.Has("groupClause"u8, out var group) && group.GetArrayLength() > 0)
        {
            // Grouped: one row per group, what "aggregated" means for the row-cap policy.
            return true;
        }
        return s.Has("targetList"u8, out var targets) && HasAggregate(targets);
    }

    private static bool HasAggregate(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                if (HasAggregate(x))
                {
                    return true;
                }
            }
            return false;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        foreach (var p in e.EnumerateObject())
        {
            if (p.NameEquals("SubLink"u8) || p.NameEquals("SelectStmt"u8))
            {
                continue;
            }
            if (p.NameEquals("FuncCall"u8) && !p.Value.Has("over"u8, out _) && AggregateNames.Contains(FunctionName(p.Value)))
            {
                return true;
            }
            if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && HasAggregate(p.Value))
            {
                return true;
            }
        }
        return false;
    }

    private void CollectGrouping(JsonElement s, Scope scope)
    {
        if (s.Has("targetList"u8, out var targets))
        {
            CollectAggregates(targets, scope);
        }
        if (s.Has("havingClause"u8, out var having))
        {
            CollectAggregates(having, scope);
        }
        if (!s.Has("groupClause"u8, out var group))
        {
            return;
        }
        foreach (var g in group.EnumerateArray())
        {
            var key = GroupKey(g, scope, s);
            if (key is not null)
            {
                _result.Shape.GroupBy.Add(key);
            }
        }
    }

    private string? GroupKey(JsonElement g, Scope scope, JsonElement select)
    {
        if (g.Has("A_Const"u8, out var c) && c.Has("ival"u8, out var iv) && select.Has("targetList"u8, out var targets))
        {
            var ordinal = iv.Int("ival"u8, 0);
            if (ordinal >= 1 && ordinal <= targets.GetArrayLength() && targets[ordinal - 1].Has("ResTarget"u8, out var rt) && rt.Has("val"u8, out var val))
            {
                return GroupKey(val, scope, default);
            }
            return null;
        }
        if (g.Has("ColumnRef"u8, out var cr))
        {
            var (status, item, names, column) = LookupColumn(cr, scope, false);
            if (status == Lookup.Found && item is not null)
            {
                return item.Table is { } table && column is not null ? table.Qualified(column) : (item.Name ?? "") + "." + column;
            }
            var single = names.Count == 1 ? names[0] : null;
            var last = names.Count > 0 ? names[^1] : null;
            // An output alias: group key is what it names.
            if (single is not null && scope.HasOutputNames && scope.OutputNames.TryGetValue(single, out var aliased))
            {
                return GroupKey(aliased, scope, default) ?? single;
            }
            return last;
        }
        if (g.Has("TypeCast"u8, out var cast) && cast.Has("arg"u8, out var arg))
        {
            var inner = GroupKey(arg, scope, default);
            var type = cast.Has("typeName"u8, out var tn) && tn.Has("names"u8, out var tns) ? tns[tns.GetArrayLength() - 1].StringNode() : null;
            return type == "date" && inner is not null ? "date_trunc:day(" + inner + ")" : inner;
        }
        if (g.Has("FuncCall"u8, out var f))
        {
            var name = FunctionName(f);
            var constants = new List<string>();
            CollectConstants(f.Has("args"u8, out var fa) ? fa : default, constants);
            var unit = constants.FirstOrDefault(x => !x.EndsWith("()", StringComparison.Ordinal))?.ToLowerInvariant() ?? "";
            var column = f.Has("args"u8, out var args) ? args.EnumerateArray().Select(a => GroupKey(a, scope, default)).FirstOrDefault(k => k is not null && k.Contains('.')) : null;
            return name is "date_trunc" or "extract" or "date_part" or "to_char"
                ? $"{(name == "date_trunc" ? "date_trunc" : name)}:{unit}({column})"
                : name + "(" + column + ")";
        }
        return null;
    }

    private void CollectAggregates(JsonElement e, Scope scope)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                CollectAggregates(x, scope);
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
            if (p.NameEquals("A_Expr"u8) && p.Value.Has("name"u8, out var n) && n.GetArrayLength() > 0 && n[0].StringNode() == "/")
            {
                _result.Shape.HasDivision = true;
                if (p.Value.Has("rexpr"u8, out var divisor) && HasAggregate(divisor))
                {
                    _result.Shape.DividesByAggregate = true;
                }
            }
            if (p.NameEquals("FuncCall"u8) && !p.Value.Has("over"u8, out _))
            {
                var name = FunctionName(p.Value);
                if (AggregateNames.Contains(name))
                {
                    if (name is "percentile_cont" or "percentile_disc")
                    {
                        var constants = new List<string>();
                        CollectConstants(p.Value.Has("args"u8, out var a) ? a : default, constants);
                        var fraction = constants.FirstOrDefault();
                        name = fraction switch
                        {
                            "0.5" or ".5" => "median",
                            null => name,
                            _ when double.TryParse(fraction, System.Globalization.CultureInfo.InvariantCulture, out var q) => "p" + Math.Round(q * 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
                            _ => name,
                        };
                    }
                    _result.Shape.Aggregates.Add(name);
                    RecordAggregate(p.Value, name, scope);
                }
            }
            if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                CollectAggregates(p.Value, scope);
            }
        }
    }

    private void FillTopShape(JsonElement s, Scope scope)
    {
        if (s.Has("limitCount"u8, out var limit) && limit.Has("A_Const"u8, out var lc) && lc.Has("ival"u8, out var li))
        {
            _result.Shape.Limit = li.Int("ival"u8, 0);
            _result.Shape.WithTies = s.Str("limitOption"u8) == "LIMIT_OPTION_WITH_TIES";
        }
        // What one row of the answer is: the top level's own grouping (inner queries have theirs in GroupBy too).
        _result.Shape.TopAggregated = s.Has("groupClause"u8, out _) || s.Has("targetList"u8, out var targets) && HasAggregate(targets)
                                      || s.Has("havingClause"u8, out _);
        if (s.Has("groupClause"u8, out var group))
        {
            foreach (var g in group.EnumerateArray())
            {
                if (GroupKey(g, scope, s) is { } key)
                {
                    _result.Shape.TopGroupBy.Add(key);
                }
            }
        }
        if (s.Has("sortClause"u8, out var sort))
        {
            foreach (var item in sort.EnumerateArray())
            {
                if (item.Has("SortBy"u8, out var sb))
                {
                    _result.Shape.OrderDirections.Add(sb.Str("sortby_dir"u8) == "SORTBY_DESC" ? "desc" : "asc");
                }
            }
            RecordOrderKeys(sort, scope, s);
        }
    }

    // ---------------------------------------------------------------- output names

    private List<string>? OutputNamesOf(JsonElement rt, JsonElement val, Scope scope)
    {
        if (rt.Str("name"u8) is { } name)
        {
            return [name];
        }
        if (val.Has("ColumnRef"u8, out var cr) && cr.Has("fields"u8, out var fields))
        {
            var last = fields[fields.GetArrayLength() - 1];
            if (last.Has("A_Star"u8, out _))
            {
                if (fields.GetArrayLength() == 1)
                {
                    var items = scope.Items;
                    return items.Any(i => i.Opaque) ? null : items.SelectMany(i => i.ColumnNames).ToList();
                }
                var qualifier = fields[fields.GetArrayLength() - 2].StringNode();
                var item = scope.VisibleItems().FirstOrDefault(i => i.Name == qualifier);
                return item is null || item.Opaque ? null : item.ColumnNames.ToList();
            }
            return [last.StringNode() ?? "?column?"];
        }
        return [ImplicitName(val)];
    }

    private static string ImplicitName(JsonElement val)
    {
        if (val.Has("FuncCall"u8, out var f))
        {
            return FunctionName(f);
        }
        if (val.Has("TypeCast"u8, out var cast) && cast.Has("arg"u8, out var arg))
        {
            var inner = ImplicitName(arg);
            if (inner != "?column?")
            {
                return inner;
            }
            return cast.Has("typeName"u8, out var tn) && tn.Has("names"u8, out var names) ? names[names.GetArrayLength() - 1].StringNode() ?? "?column?" : "?column?";
        }
        if (val.Has("ColumnRef"u8, out var cr) && cr.Has("fields"u8, out var fields))
        {
            return fields[fields.GetArrayLength() - 1].StringNode() ?? "?column?";
        }
        if (val.Has("CaseExpr"u8, out _))
        {
            return "case";
        }
        if (val.Has("CoalesceExpr"u8, out _))
        {
            return "coalesce";
        }
        return "?column?";
    }

    /// <summary>Output names of a select without analyzing it (for a recursive CTE's own references).</summary>
    private static List<string>? StaticOutputNames(JsonElement select)
    {
        var s = select;
        while (s.Str("op"u8) is { } op && op != "SETOP_NONE" && s.Has("larg"u8, out var l))
        {
            s = l;
        }
        if (!s.Has("targetList"u8, out var targets))
        {
            return null;
        }
        var names = new List<string>();
        foreach (var t in targets.EnumerateArray())
        {
            if (!t.Has("ResTarget"u8, out var rt) || !rt.Has("val"u8, out var val))
            {
                continue;
            }
            if (val.Has("ColumnRef"u8, out var cr) && cr.Has("fields"u8, out var f) && f[f.GetArrayLength() - 1].Has("A_Star"u8, out _))
            {
                return null;
            }
            names.Add(rt.Str("name"u8) ?? ImplicitName(val));
        }
        return names;
    }

    // ---------------------------------------------------------------- findings

    private void Error(string code, string message, int byteOffset, IReadOnlyList<string>? suggestions = null) =>
        Add(_result.Errors, code, message, byteOffset, suggestions);

    private void Warning(string code, string message, int byteOffset) =>
        Add(_result.Warnings, code, message, byteOffset, null);

    private void Add(List<Finding> list, string code, string message, int byteOffset, IReadOnlyList<string>? suggestions)
    {
        var position = byteOffset >= 0 ? _source.PositionOfByteOffset(byteOffset) : 0;
        if (!_seen.Add((code, position, message)))
        {
            return;
        }
        var (line, column) = _source.LineColumn(position);
        list.Add(new Finding(code, message, position, line, column, suggestions));
    }

    private static string Describe(string nodeType) => nodeType switch
    {
        "InsertStmt" => "an INSERT",
        "UpdateStmt" => "an UPDATE",
        "DeleteStmt" => "a DELETE",
        "MergeStmt" => "a MERGE",
        "CopyStmt" => "a COPY",
        "VariableSetStmt" => "a SET",
        "VariableShowStmt" => "a SHOW",
        "CallStmt" => "a CALL",
        "DoStmt" => "a DO block",
        "ExplainStmt" => "an EXPLAIN (send the SELECT itself)",
        "CreateStmt" => "a CREATE TABLE",
        "CreateTableAsStmt" => "a CREATE TABLE AS / SELECT INTO",
        "DropStmt" => "a DROP",
        "TruncateStmt" => "a TRUNCATE",
        "AlterTableStmt" => "an ALTER TABLE",
        "GrantStmt" => "a GRANT/REVOKE",
        "TransactionStmt" => "transaction control",
        "LockStmt" => "a LOCK",
        "VacuumStmt" => "a VACUUM/ANALYZE",
        "IndexStmt" => "a CREATE INDEX",
        "ViewStmt" => "a CREATE VIEW",
        "PrepareStmt" => "a PREPARE",
        "ExecuteStmt" => "an EXECUTE",
        "DeclareCursorStmt" => "a DECLARE CURSOR",
        "CreateFunctionStmt" => "a CREATE FUNCTION",
        "RuleStmt" => "a CREATE RULE",
        "ListenStmt" => "a LISTEN",
        "NotifyStmt" => "a NOTIFY",
        _ => "a " + nodeType.Replace("Stmt", "", StringComparison.Ordinal).ToUpperInvariant() + " statement",
    };

    // ---------------------------------------------------------------- scope types

    private sealed class RangeItem(int id, string? name, CatalogTable? table, List<string>? columns, List<int>? innerTenant, int location)
    {
        public int Id { get; } = id;
        public string? Name { get; } = name;
        public CatalogTable? Table { get; } = table;
        /// <summary>Column names when not (only) the table's own: derived tables, renamed columns.</summary>
        private List<string>? Columns { get; } = columns;
        public List<int>? InnerTenant { get; } = innerTenant;
        public int Location { get; } = location;
        public bool Anchored { get; set; }

        /// <summary>Columns unknown (function, unknown table, SELECT * over something unknown): accept any.</summary>
        public bool Opaque => Table is null && Columns is null;

        public string? TenantKey => Table?.TenantColumn;

        public bool HasColumn(string column) =>
            Columns is not null ? Columns.Contains(column) || (Table is not null && SystemColumns.Contains(column))
            : Table is not null ? Table.HasColumn(column) || SystemColumns.Contains(column)
            : true;

        public IEnumerable<string> ColumnNames =>
            Columns ?? (IEnumerable<string>?)Table?.Columns.Select(c => c.Name) ?? [];
    }

    private sealed class CteDef(string name)
    {
        public string Name { get; } = name;
        public List<string>? Columns { get; set; }
        public List<int> InnerTenant { get; set; } = [];
    }

    private sealed class Scope(Scope? parent)
    {
        public Scope? Parent { get; } = parent;
        public List<RangeItem> Items { get; } = [];
        private Dictionary<string, CteDef>? _ctes;
        private Dictionary<string, JsonElement>? _outputNames;

        /// <summary>Allocated on first use: most scopes have neither.</summary>
        public Dictionary<string, CteDef> Ctes => _ctes ??= new(StringComparer.Ordinal);

        public Dictionary<string, JsonElement> OutputNames => _outputNames ??= new(StringComparer.Ordinal);

        public bool HasCtes => _ctes is { Count: > 0 };

        public bool HasOutputNames => _outputNames is { Count: > 0 };
        /// <summary>A bridge for non-LATERAL subqueries in FROM: the parent's items are not visible, its CTEs are.</summary>
        public bool HideParentItems { get; init; }

        public CteDef? FindCte(string name)
        {
            for (var s = this; s is not null; s = s.Parent)
            {
                if (s.HasCtes && s.Ctes.TryGetValue(name, out var def))
                {
                    return def;
                }
            }
            return null;
        }

        public IEnumerable<string> VisibleCteNames()
        {
            for (var s = this; s is not null; s = s.Parent)
            {
                foreach (var k in s.HasCtes ? s.Ctes.Keys : Enumerable.Empty<string>())
                {
                    yield return k;
                }
            }
        }

        /// <summary>Scope levels from the innermost out, with the items visible at each.</summary>
        public IEnumerable<(Scope Level, IReadOnlyList<RangeItem> VisibleItemsAtLevel)> Chain()
        {
            var hide = false;
            for (var s = this; s is not null; s = s.Parent)
            {
                yield return (s, hide ? [] : s.Items);
                hide = s.HideParentItems;
            }
        }

        public IEnumerable<RangeItem> VisibleItems() => Chain().SelectMany(c => c.VisibleItemsAtLevel);
    }
}
