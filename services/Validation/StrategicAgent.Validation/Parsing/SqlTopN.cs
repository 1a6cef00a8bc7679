using System.Globalization;
using System.Text.Json;

namespace StrategicAgent.Validation.Parsing;

/// <summary>
/// The top-level cut of a SELECT — <c>ORDER BY k1, k2 … LIMIT n</c> or <c>FETCH FIRST n ROWS ONLY | WITH TIES</c> — located on
/// libpg_query's parse tree (the top-level statement's <c>sortClause</c>, <c>limitCount</c> and <c>limitOption</c> and their node
/// locations) and on PostgreSQL's own tokens (clause keywords and key boundaries at parenthesis depth 0), with the rewrites its
/// users need: the judge's tie probe, the grader's tie-closed gold and the mutation test's row-count mutants. One place that
/// knows where a top N's order and cut are in the text; no hand-written scanner (quotes, comments, nesting are the scanner's).
/// Null from <see cref="Find"/> when the text is not one SELECT with an ORDER BY and a literal row count ≥ 1, or has an OFFSET,
/// a locking clause or anything after the cut.
/// </summary>
public sealed class SqlTopN
{
    private readonly string _sql;
    private readonly List<(int Start, int End)> _keys;
    private readonly List<KeyTarget> _targets;
    private readonly int _orderStart;
    private readonly int _clauseStart;
    private readonly int _countStart;
    private readonly int _countEnd;
    private readonly int? _selectListEnd;

    /// <summary>What a key of the ORDER BY names: an output column (by position or name) or an expression (its text without ASC/DESC/NULLS).</summary>
    private readonly record struct KeyTarget(int? OutputColumn, string Expression);

    private SqlTopN(string sql, long count, bool withTies, bool hasParameters, int orderStart, List<(int, int)> keys, List<KeyTarget> targets,
        int clauseStart, int countStart, int countEnd, int? selectListEnd)
    {
        _sql = sql;
        Count = count;
        WithTies = withTies;
        HasParameters = hasParameters;
        _orderStart = orderStart;
        _keys = keys;
        _targets = targets;
        _clauseStart = clauseStart;
        _countStart = countStart;
        _countEnd = countEnd;
        _selectListEnd = selectListEnd;
    }

    /// <summary>n of <c>LIMIT n</c> / <c>FETCH FIRST n ROWS …</c>.</summary>
    public long Count { get; }

    /// <summary>The cut keeps the rows tied with the n-th (<c>FETCH FIRST n ROWS WITH TIES</c>).</summary>
    public bool WithTies { get; }

    /// <summary>The statement has <c>$n</c> parameters (it cannot run without their values).</summary>
    public bool HasParameters { get; }

    /// <summary>The ordering keys as written (with ASC/DESC/NULLS …).</summary>
    public IReadOnlyList<string> Keys => _keys.Select(k => _sql[k.Start..k.End]).ToList();

    /// <summary>The query with its ORDER BY and no cut (every row, in order).</summary>
    public string Uncut => _sql[.._clauseStart];

    /// <summary>The top <see cref="Count"/> by the first <paramref name="keys"/> ordering keys (all by default), every row tied with the n-th kept.</summary>
    public string KeepingTies(int? keys = null) =>
        _sql[.._keys[Math.Clamp(keys ?? _keys.Count, 1, _keys.Count) - 1].End] + " FETCH FIRST " + N(Count) + " ROWS WITH TIES";

    /// <summary>Exactly <paramref name="n"/> rows by the query's whole ordering (<c>LIMIT n</c>): ties at the n-th settled by whatever else orders the rows.</summary>
    public string CutTo(long n) => Uncut + " LIMIT " + N(n);

    /// <summary>The same cut with another row count.</summary>
    public string WithCount(long n) => _sql[.._countStart] + N(n) + _sql[_countEnd..];

    /// <summary>The ORDER BY removed, the row count kept as a bare <c>LIMIT n</c>: arbitrary rows.</summary>
    public string WithoutOrder() => _sql[.._orderStart] + " LIMIT " + N(Count);

    /// <summary>
    /// The tie-closed rows with their ordering keys: <see cref="KeepingTies"/> over every key, each key that is not an output column
    /// appended to the select list as a hidden column <c>_tie_key{i}</c>. <paramref name="KeyColumns"/> are the result columns that
    /// hold the keys, in ORDER BY order; rows with equal values there tie. Null when a key cannot be read off the rows (a position
    /// into <c>*</c>, an expression key of a set operation).
    /// </summary>
    public (string Sql, IReadOnlyList<int> KeyColumns)? KeepingTiesWithKeys(int outputColumns)
    {
        var columns = new List<int>();
        var appended = new List<string>();
        foreach (var t in _targets)
        {
            if (t.OutputColumn is { } c)
            {
                if (c >= outputColumns)
                {
                    return null;
                }
                columns.Add(c);
                continue;
            }
            if (_selectListEnd is null)
            {
                return null;
            }
            columns.Add(outputColumns + appended.Count);
            appended.Add($"{t.Expression} AS _tie_key{appended.Count + 1}");
        }
        var text = KeepingTies();
        if (appended.Count > 0)
        {
            var at = _selectListEnd!.Value;
            text = text[..at] + ", " + string.Join(", ", appended) + text[at..];
        }
        return (text, columns);
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    public static SqlTopN? Find(string sql)
    {
        using var parsed = PgParser.Parse(sql);
        return Find(parsed);
    }

    /// <summary>The same from a parse the caller already has (the validator parses each SQL once for all its stages).</summary>
    public static SqlTopN? Find(ParsedSql parsed)
    {
        var sql = parsed.Source.Text;
        if (parsed.Tree is not { } tree || !tree.RootElement.TryGetProperty("stmts", out var stmts) || stmts.GetArrayLength() != 1
            || !stmts[0].TryGetProperty("stmt", out var stmt) || !stmt.TryGetProperty("SelectStmt", out var select)
            || !select.TryGetProperty("sortClause", out var sort) || !select.TryGetProperty("limitCount", out var limit)
            || select.TryGetProperty("limitOffset", out _) || select.TryGetProperty("lockingClause", out _)
            || !limit.TryGetProperty("A_Const", out var count) || !count.TryGetProperty("ival", out var ival)
            || !count.TryGetProperty("location", out var countLocation))
        {
            return null;
        }
        var n = ival.TryGetProperty("ival", out var v) ? v.GetInt64() : 0;
        var tokens = PgParser.Scan(sql);
        if (n < 1 || tokens is null)
        {
            return null;
        }
        var source = parsed.Source;
        var depth = new int[tokens.Count];
        for (int i = 0, d = 0; i < tokens.Count; i++)
        {
            var text = Text(sql, tokens[i]);
            d -= text == ")" ? 1 : 0;
            depth[i] = d;
            d += text == "(" ? 1 : 0;
        }
        var countAt = source.PositionOfByteOffset(countLocation.GetInt32()) - 1;
        var countToken = Index(tokens, t => t.Start == countAt);
        var firstKeyAt = source.PositionOfByteOffset(MinLocation(sort[0])) - 1;
        if (countToken < 0 || firstKeyAt < 0)
        {
            return null;
        }
        bool Top(int i, string word) => depth[i] == 0 && tokens[i].Keyword && Text(sql, tokens[i]).Equals(word, StringComparison.OrdinalIgnoreCase);
        var clause = LastIndex(countToken, i => Top(i, "LIMIT") || Top(i, "FETCH"));
        var order = LastIndex(tokens.Count, i => tokens[i].Start < firstKeyAt && Top(i, "ORDER"));
        if (clause < 0 || order < 0 || order + 1 >= clause || !Top(order + 1, "BY"))
        {
            return null;
        }
        // The clause ends at the count (LIMIT n) or after ROW(S) ONLY / WITH TIES; only a ';' or comments may follow.
        var last = countToken;
        while (last + 1 < tokens.Count && Text(sql, tokens[last + 1]).ToUpperInvariant() is "ROW" or "ROWS" or "ONLY" or "WITH" or "TIES")
        {
            last++;
        }
        for (var i = last + 1; i < tokens.Count; i++)
        {
            if (Text(sql, tokens[i]) != ";" && !IsComment(sql, tokens[i]))
            {
                return null;
            }
        }
        // Keys: from the token after BY (or a depth-0 comma) to the last code token before the next comma or the clause.
        var keys = new List<(int, int)>();
        var first = order + 2;
        for (var i = order + 2; i <= clause; i++)
        {
            if (i == clause || depth[i] == 0 && Text(sql, tokens[i]) == ",")
            {
                keys.Add((tokens[Math.Min(first, i)].Start, CodeEnd(i)));
                first = i + 1;
            }
        }
        if (keys.Count != sort.GetArrayLength() || keys.Any(k => k.Item1 >= k.Item2))
        {
            return null;
        }
        var setOperation = select.TryGetProperty("op", out var op) && op.GetString() is { } o && o != "SETOP_NONE";
        var outputs = setOperation ? [] : OutputNames(select);
        var targets = new List<KeyTarget>();
        for (var k = 0; k < keys.Count; k++)
        {
            if (!sort[k].TryGetProperty("SortBy", out var by) || by.TryGetProperty("useOp", out _) || !by.TryGetProperty("node", out var node))
            {
                return null;
            }
            targets.Add(Target(node, Expression(sql, tokens, keys[k]), outputs));
        }
        int? selectListEnd = null;
        if (!setOperation)
        {
            var selectWord = Enumerable.Range(0, tokens.Count).FirstOrDefault(i => Top(i, "SELECT"), -1);
            var ends = new[] { "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "FETCH", "OFFSET" };
            var listEnd = selectWord < 0 ? -1 : Enumerable.Range(selectWord + 1, tokens.Count - selectWord - 1).FirstOrDefault(i => ends.Any(w => Top(i, w)), -1);
            selectListEnd = listEnd < 0 ? null : CodeEnd(listEnd);
        }
        var withTies = select.TryGetProperty("limitOption", out var option) && option.GetString() == "LIMIT_OPTION_WITH_TIES";
        return new SqlTopN(sql, n, withTies, HasNode(stmt, "ParamRef"), CodeEnd(order), keys, targets,
            CodeEnd(clause), tokens[countToken].Start, tokens[countToken].End, selectListEnd);

        // The end of the last token before token i that is not a comment (text cut there never ends inside a "--" comment).
        int CodeEnd(int i)
        {
            while (--i >= 0 && IsComment(sql, tokens[i]))
            {
            }
            return i < 0 ? 0 : tokens[i].End;
        }

        int LastIndex(int before, Func<int, bool> test)
        {
            for (var i = before - 1; i >= 0; i--)
            {
                if (test(i))
                {
                    return i;
                }
            }
            return -1;
        }
    }

    /// <summary>A key's expression: its text without the trailing ASC / DESC / NULLS FIRST / NULLS LAST.</summary>
    private static string Expression(string sql, IReadOnlyList<SqlToken> tokens, (int Start, int End) key)
    {
        var end = key.End;
        foreach (var t in tokens.Where(t => t.Start >= key.Start && t.End <= key.End).Reverse())
        {
            if (!t.Keyword || Text(sql, t).ToUpperInvariant() is not ("ASC" or "DESC" or "NULLS" or "FIRST" or "LAST"))
            {
                break;
            }
            end = t.Start;
        }
        return sql[key.Start..end].Trim();
    }

    /// <summary>An integer key is a position in the select list; a bare name that is an output column's name is that column (PostgreSQL's rule).</summary>
    private static KeyTarget Target(JsonElement node, string expression, IReadOnlyList<string?>? outputs)
    {
        if (node.TryGetProperty("A_Const", out var c) && c.TryGetProperty("ival", out var p))
        {
            var position = p.TryGetProperty("ival", out var pv) ? pv.GetInt32() : 0;
            return new KeyTarget(outputs is null ? int.MaxValue : position - 1, expression);
        }
        if (node.TryGetProperty("ColumnRef", out var column) && column.GetProperty("fields") is { } fields && fields.GetArrayLength() == 1
            && fields[0].TryGetProperty("String", out var name) && outputs is not null)
        {
            var index = outputs.ToList().IndexOf(name.GetProperty("sval").GetString());
            if (index >= 0)
            {
                return new KeyTarget(index, expression);
            }
        }
        return new KeyTarget(null, expression);
    }

    /// <summary>The select list's column names (alias, or a column's own name); null when it has a <c>*</c> (positions unknown).</summary>
    private static IReadOnlyList<string?>? OutputNames(JsonElement select)
    {
        var names = new List<string?>();
        foreach (var item in select.GetProperty("targetList").EnumerateArray())
        {
            var target = item.GetProperty("ResTarget");
            if (HasNode(target, "A_Star"))
            {
                return null;
            }
            names.Add(target.TryGetProperty("name", out var alias) ? alias.GetString()
                : target.GetProperty("val").TryGetProperty("ColumnRef", out var c) && c.GetProperty("fields").EnumerateArray().LastOrDefault() is { ValueKind: JsonValueKind.Object } f
                  && f.TryGetProperty("String", out var s) ? s.GetProperty("sval").GetString() : null);
        }
        return names;
    }

    private static int MinLocation(JsonElement node)
    {
        var min = int.MaxValue;
        Walk(node);
        return min == int.MaxValue ? -1 : min;

        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name == "location" && p.Value.ValueKind == JsonValueKind.Number && p.Value.GetInt32() is var l and >= 0)
                    {
                        min = Math.Min(min, l);
                    }
                    Walk(p.Value);
                }
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var x in e.EnumerateArray())
                {
                    Walk(x);
                }
            }
        }
    }

    private static bool HasNode(JsonElement e, string name) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Any(p => p.Name == name || HasNode(p.Value, name)),
        JsonValueKind.Array => e.EnumerateArray().Any(x => HasNode(x, name)),
        _ => false,
    };

    private static int Index(IReadOnlyList<SqlToken> tokens, Func<SqlToken, bool> test)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (test(tokens[i]))
            {
                return i;
            }
        }
        return -1;
    }

    private static string Text(string sql, SqlToken t) => sql[t.Start..t.End];

    private static bool IsComment(string sql, SqlToken t) => t.End - t.Start >= 2 && (sql[t.Start] == '-' && sql[t.Start + 1] == '-' || sql[t.Start] == '/' && sql[t.Start + 1] == '*');
}
