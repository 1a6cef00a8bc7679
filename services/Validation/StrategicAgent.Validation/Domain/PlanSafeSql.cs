using System.Globalization;
using System.Text;
using System.Text.Json;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Validation.Domain;

/// <summary>
/// The text the cost check plans instead of the caller's SQL, so that planning never evaluates an
/// expression the caller wrote. PostgreSQL's planner folds constant expressions while it plans
/// (<c>repeat('x', 1000000000)</c> is computed by a plain EXPLAIN: seconds of CPU and hundreds of MB),
/// and while it estimates a WHERE clause it even computes stable ones (<c>pg_backend_pid()</c>).
/// So here:
/// <list type="bullet">
/// <item>every literal becomes a parameter <c>$n</c> declared with the literal's own type (integer →
/// int4, larger integers → int8, decimals → numeric, strings → unknown as in SQL, booleans → bool,
/// bit strings → varbit, <c>DATE '…'</c>/<c>INTERVAL '…' DAY</c> → that type); the plan is a generic
/// plan (<c>plan_cache_mode = force_generic_plan</c>, <c>EXPLAIN EXECUTE</c> with NULLs), which binds
/// no value;</item>
/// <item>every call without arguments (<c>now()</c>, <c>pi()</c>, <c>pg_backend_pid()</c>) and every SQL
/// value function (<c>current_user</c>, <c>current_date</c>) is wrapped in a scalar sub-select, which
/// the planner never evaluates (it becomes an init plan).</item>
/// </list>
/// What stays as written computes nothing: integers that are positions or row counts
/// (<c>LIMIT</c>/<c>OFFSET</c>/<c>FETCH</c>, <c>GROUP BY 1</c>, <c>ORDER BY 1</c>,
/// <c>DISTINCT ON (1)</c> — a parameter there would mean something else or estimate 10% of the rows),
/// type modifiers (<c>varchar(10)</c>), <c>NULL</c> and keyword arguments such as EXTRACT's field.
/// A generic plan also keeps estimates from revealing another tenant's size: a parameter's selectivity
/// is the column's average, whatever tenant id the SQL names. Identical literals share one parameter
/// (an expression repeated in GROUP BY must still equal the one in the select list); when that makes
/// PostgreSQL deduce conflicting types, the cost check plans the unshared form instead.
/// </summary>
public sealed class PlanSafeSql
{
    private readonly List<Segment> _segments;
    private readonly SourceText _source;
    private readonly Dictionary<int, string> _literalOfParameter;

    private PlanSafeSql(string text, List<string> types, int userParameters, bool shared, List<Segment> segments,
        SourceText source, Dictionary<int, string> literalOfParameter, string? error)
    {
        Text = text;
        ParameterTypes = types;
        UserParameterCount = userParameters;
        SharedDuplicates = shared;
        _segments = segments;
        _source = source;
        _literalOfParameter = literalOfParameter;
        Error = error;
    }

    /// <summary>The text to PREPARE; empty when <see cref="Error"/> is set.</summary>
    public string Text { get; }

    /// <summary>Declared type of <c>$1</c>…<c>$N</c>: <c>unknown</c> for the caller's own parameters.</summary>
    public IReadOnlyList<string> ParameterTypes { get; }

    public int UserParameterCount { get; }

    /// <summary>At least two identical literals share one parameter.</summary>
    public bool SharedDuplicates { get; }

    /// <summary>Why no safe text could be made (a form the rewriter does not know); then nothing is planned.</summary>
    public string? Error { get; }

    /// <summary>The literal a parameter stands for (for messages), or null for the caller's own <c>$n</c>.</summary>
    public string? LiteralOf(int parameter) => _literalOfParameter.GetValueOrDefault(parameter);

    /// <summary>1-based line and column in the caller's SQL of a 1-based position.</summary>
    public (int Line, int Column) LineColumn(int position) => _source.LineColumn(position);

    /// <summary>1-based UTF-16 position in the caller's SQL of a 0-based UTF-16 index into <see cref="Text"/>.</summary>
    public int OriginalPosition(int index)
    {
        if (index < 0)
        {
            return 0;
        }
        var original = index;
        foreach (var s in _segments)
        {
            if (index < s.OutStart)
            {
                break;
            }
            original = index < s.OutStart + s.OutLength
                ? s.InStart
                : s.InStart + s.InLength + (index - s.OutStart - s.OutLength);
        }
        return Math.Min(original, _source.Text.Length) + 1;
    }

    public static PlanSafeSql Create(string sql, bool shareDuplicates = true)
    {
        using var parsed = PgParser.Parse(sql);
        return Create(parsed, shareDuplicates);
    }

    /// <summary>The same from a parse the caller already has (the validator parses each SQL once for all its stages).</summary>
    public static PlanSafeSql Create(ParsedSql parsed, bool shareDuplicates = true)
    {
        if (parsed.Error is { } syntax)
        {
            return Failed(parsed.Source, "the SQL does not parse: " + syntax.Message);
        }
        var walker = new Walker(parsed.Source);
        walker.Walk(parsed.Tree!.RootElement);
        return walker.Build(shareDuplicates);
    }

    private static PlanSafeSql Failed(SourceText source, string error) =>
        new("", [], 0, false, [], source, [], error);

    private readonly record struct Segment(int OutStart, int OutLength, int InStart, int InLength);

    private enum EditKind
    {
        Literal,
        TypedLiteral,
        Wrap,
    }

    /// <summary>One change to the text: [Start, End) replaced by a parameter, or wrapped in (SELECT …).</summary>
    private sealed record Edit(EditKind Kind, int Start, int End, string Type);

    private sealed class Walker(SourceText source)
    {
        private readonly string _s = source.Text;
        private readonly HashSet<int> _kept = [];
        private readonly List<Edit> _edits = [];
        private int _maxUserParameter;
        private string? _error;

        private int Index(int byteOffset) => source.PositionOfByteOffset(byteOffset) - 1;

        public void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item);
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
                        Constant(p.Value);
                        break;
                    case "typeName" or "TypeName":
                        // Type modifiers (varchar(10), interval fields) stay as written.
                        break;
                    case "TypeCast":
                        TypeCast(p.Value);
                        break;
                    case "FuncCall":
                        FuncCall(p.Value);
                        Walk(p.Value);
                        break;
                    case "SQLValueFunction":
                        Wrap(p.Value, keywordOnly: true);
                        break;
                    case "ParamRef":
                        if (p.Value.TryGetProperty("number", out var n))
                        {
                            _maxUserParameter = Math.Max(_maxUserParameter, n.GetInt32());
                        }
                        break;
                    case "SelectStmt":
                        KeepPositions(p.Value);
                        Walk(p.Value);
                        break;
                    default:
                        Walk(p.Value);
                        break;
                }
            }
        }

        /// <summary>LIMIT/OFFSET counts and GROUP BY/ORDER BY/DISTINCT ON positions stay literal.</summary>
        private void KeepPositions(JsonElement select)
        {
            foreach (var name in (ReadOnlySpan<string>)["limitCount", "limitOffset"])
            {
                if (select.TryGetProperty(name, out var v))
                {
                    KeepConstant(v);
                }
            }
            foreach (var name in (ReadOnlySpan<string>)["groupClause", "distinctClause"])
            {
                if (select.TryGetProperty(name, out var items) && items.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in items.EnumerateArray())
                    {
                        KeepConstant(item);
                        if (item.TryGetProperty("GroupingSet", out var set) && set.TryGetProperty("content", out var content))
                        {
                            foreach (var c in content.EnumerateArray())
                            {
                                KeepConstant(c);
                            }
                        }
                    }
                }
            }
            if (select.TryGetProperty("sortClause", out var sorts) && sorts.ValueKind == JsonValueKind.Array)
            {
                foreach (var s in sorts.EnumerateArray())
                {
                    if (s.TryGetProperty("SortBy", out var by) && by.TryGetProperty("node", out var node))
                    {
                        KeepConstant(node);
                    }
                }
            }
        }

        private void KeepConstant(JsonElement node)
        {
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("A_Const", out var c) && Location(c) is { } at)
            {
                _kept.Add(at);
            }
        }

        private static int? Location(JsonElement node) =>
            node.TryGetProperty("location", out var l) && l.GetInt32() >= 0 ? l.GetInt32() : null;

        private void Constant(JsonElement c)
        {
            if (Location(c) is not { } at || _kept.Contains(at) || c.TryGetProperty("isnull", out _))
            {
                return;
            }
            var start = Index(at);
            var end = Scanner.LiteralEnd(_s, start);
            if (end < 0)
            {
                return; // a keyword argument (EXTRACT(year FROM …)): not a literal the caller typed
            }
            string type;
            if (c.TryGetProperty("ival", out _))
            {
                type = "int4";
            }
            else if (c.TryGetProperty("fval", out var f))
            {
                var digits = f.GetProperty("fval").GetString() ?? "";
                type = long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? "int8" : "numeric";
            }
            else if (c.TryGetProperty("boolval", out _))
            {
                type = "bool";
            }
            else if (c.TryGetProperty("bsval", out _))
            {
                type = "varbit";
            }
            else
            {
                type = "unknown";
            }
            _edits.Add(new Edit(EditKind.Literal, start, end, type));
        }

        /// <summary><c>DATE '2024-01-01'</c>, <c>INTERVAL '1' DAY</c>: the type name comes first, so the whole form becomes one parameter of that type.</summary>
        private void TypeCast(JsonElement cast)
        {
            if (cast.TryGetProperty("arg", out var arg) && arg.TryGetProperty("A_Const", out var c) && Location(c) is { } at
                && cast.TryGetProperty("typeName", out var typeName) && Location(typeName) is { } typeAt && typeAt < at
                && !c.TryGetProperty("isnull", out _))
            {
                var typeStart = Index(typeAt);
                var literalStart = Index(at);
                var end = Scanner.LiteralEnd(_s, literalStart);
                if (end < 0)
                {
                    _error ??= $"the typed literal at position {typeStart + 1} has a form the cost check does not know";
                    return;
                }
                var type = _s[typeStart..literalStart].Trim();
                if (type is "N" or "n")
                {
                    type = "bpchar"; // N'…' (national character)
                }
                // INTERVAL '1' DAY: the field list after the literal belongs to the type (its typmods point there).
                var lastTypmod = -1;
                if (typeName.TryGetProperty("typmods", out var typmods))
                {
                    foreach (var m in typmods.EnumerateArray())
                    {
                        if (m.TryGetProperty("A_Const", out var mc) && Location(mc) is { } ml)
                        {
                            lastTypmod = Math.Max(lastTypmod, Index(ml));
                        }
                    }
                }
                if (lastTypmod >= end)
                {
                    var suffixEnd = Scanner.IntervalFieldsEnd(_s, end);
                    type += " " + _s[end..suffixEnd].Trim();
                    end = suffixEnd;
                }
                _edits.Add(new Edit(EditKind.TypedLiteral, typeStart, end, type));
                return;
            }
            Walk(cast);
        }

        private void FuncCall(JsonElement call)
        {
            var hasArgs = call.TryGetProperty("args", out var args) && args.GetArrayLength() > 0;
            var name = call.TryGetProperty("funcname", out var names) && names[names.GetArrayLength() - 1].TryGetProperty("String", out var last)
                ? last.GetProperty("sval").GetString()
                : null;
            // EXTRACT('epoch' FROM x): the field is part of the syntax, a parameter cannot stand there.
            if (hasArgs && name == "extract" && call.TryGetProperty("funcformat", out var format) && format.GetString() == "COERCE_SQL_SYNTAX")
            {
                KeepConstant(args[0]);
            }
            // generate_series(1, 1000000000): its planner support estimates the row count from numeric
            // bounds (with parameters it would assume 1000 rows). The series itself is never computed
            // while planning, and a number is no expression: its bounds stay as written.
            if (hasArgs && name == "generate_series")
            {
                foreach (var a in args.EnumerateArray())
                {
                    if (a.TryGetProperty("A_Const", out var c) && (c.TryGetProperty("ival", out _) || c.TryGetProperty("fval", out _)))
                    {
                        KeepConstant(a);
                    }
                }
            }
            // Aggregates and window functions (count(*), row_number() OVER …) are not computed while planning.
            if (hasArgs || call.TryGetProperty("agg_star", out _) || call.TryGetProperty("over", out _)
                || call.TryGetProperty("agg_order", out _) || call.TryGetProperty("agg_filter", out _))
            {
                return;
            }
            Wrap(call, keywordOnly: false);
        }

        private void Wrap(JsonElement node, bool keywordOnly)
        {
            if (Location(node) is not { } at)
            {
                return;
            }
            var start = Index(at);
            var end = Scanner.CallEnd(_s, start, requireParentheses: !keywordOnly);
            if (end < 0)
            {
                _error ??= $"the call at position {start + 1} has a form the cost check does not know";
                return;
            }
            _edits.Add(new Edit(EditKind.Wrap, start, end, ""));
        }

        public PlanSafeSql Build(bool shareDuplicates)
        {
            if (_error is not null)
            {
                return Failed(source, _error);
            }
            _edits.Sort((a, b) => a.Start.CompareTo(b.Start));
            var types = Enumerable.Repeat("unknown", _maxUserParameter).ToList();
            var literals = new Dictionary<int, string>();
            var byLiteral = new Dictionary<(string Type, string Text), int>();
            var segments = new List<Segment>();
            var text = new StringBuilder(_s.Length + 16);
            var shared = false;
            var at = 0;
            foreach (var e in _edits)
            {
                if (e.Start < at)
                {
                    return Failed(source, $"overlapping constants at position {e.Start + 1}");
                }
                text.Append(_s, at, e.Start - at);
                if (e.Kind == EditKind.Wrap)
                {
                    segments.Add(new Segment(text.Length, 8, e.Start, 0));
                    text.Append("(SELECT ");
                    text.Append(_s, e.Start, e.End - e.Start);
                    segments.Add(new Segment(text.Length, 1, e.End, 0));
                    text.Append(')');
                }
                else
                {
                    var literal = _s[e.Start..e.End];
                    int number;
                    if (shareDuplicates && byLiteral.TryGetValue((e.Type, literal), out var existing))
                    {
                        number = existing;
                        shared = true;
                    }
                    else
                    {
                        types.Add(e.Type);
                        number = types.Count;
                        byLiteral[(e.Type, literal)] = number;
                        literals[number] = literal;
                    }
                    var parameter = "$" + number.ToString(CultureInfo.InvariantCulture);
                    // A space keeps "x-$1" from becoming a comment or an operator the caller did not write.
                    var pad = text.Length > 0 && !char.IsWhiteSpace(text[^1]) && text[^1] is not ('(' or ',') ? " " : "";
                    segments.Add(new Segment(text.Length, pad.Length + parameter.Length, e.Start, e.End - e.Start));
                    text.Append(pad).Append(parameter);
                }
                at = e.End;
            }
            text.Append(_s, at, _s.Length - at);
            var result = text.ToString();
            using (var check = PgParser.Parse(result))
            {
                if (check.Error is { } error)
                {
                    return Failed(source, "the parameterised form does not parse: " + error.Message);
                }
            }
            return new PlanSafeSql(result, types, _maxUserParameter, shared, segments, source, literals, null);
        }
    }

    /// <summary>Just enough of PostgreSQL's lexer to find where a literal or a call ends.</summary>
    internal static class Scanner
    {
        public static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_' || c > 127;

        private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' || c > 127;

        public static int SkipTrivia(string s, int i)
        {
            while (i < s.Length)
            {
                if (char.IsWhiteSpace(s[i]))
                {
                    i++;
                }
                else if (s[i] == '-' && i + 1 < s.Length && s[i + 1] == '-')
                {
                    while (i < s.Length && s[i] != '\n')
                    {
                        i++;
                    }
                }
                else if (s[i] == '/' && i + 1 < s.Length && s[i + 1] == '*')
                {
                    var depth = 0;
                    do
                    {
                        if (s[i] == '/' && i + 1 < s.Length && s[i + 1] == '*')
                        {
                            depth++;
                            i += 2;
                        }
                        else if (s[i] == '*' && i + 1 < s.Length && s[i + 1] == '/')
                        {
                            depth--;
                            i += 2;
                        }
                        else
                        {
                            i++;
                        }
                    }
                    while (depth > 0 && i < s.Length);
                }
                else
                {
                    break;
                }
            }
            return i;
        }

        /// <summary>End (exclusive) of the literal token at <paramref name="i"/>, or -1 when there is none.</summary>
        public static int LiteralEnd(string s, int i)
        {
            if (i < 0 || i >= s.Length)
            {
                return -1;
            }
            var c = s[i];
            char Next(int k) => i + k < s.Length ? s[i + k] : '\0';
            if (c == '-')
            {
                return NumberEnd(s, SkipTrivia(s, i + 1));
            }
            if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Next(1))))
            {
                return NumberEnd(s, i);
            }
            if (c == '\'')
            {
                return QuotedEnd(s, i, backslashEscapes: false, continuation: true);
            }
            if (c is 'e' or 'E' && Next(1) == '\'')
            {
                return QuotedEnd(s, i + 1, backslashEscapes: true, continuation: true);
            }
            if (c is 'b' or 'B' or 'x' or 'X' or 'n' or 'N' && Next(1) == '\'')
            {
                return QuotedEnd(s, i + 1, backslashEscapes: false, continuation: true);
            }
            if (c is 'u' or 'U' && Next(1) == '&' && Next(2) == '\'')
            {
                var end = QuotedEnd(s, i + 2, backslashEscapes: false, continuation: true);
                if (end < 0)
                {
                    return -1;
                }
                var j = SkipTrivia(s, end);
                var word = WordOrNumberEnd(s, j);
                if (word > j && s.AsSpan(j, word - j).Equals("uescape", StringComparison.OrdinalIgnoreCase))
                {
                    var k = SkipTrivia(s, word);
                    return k < s.Length && s[k] == '\'' ? QuotedEnd(s, k, false, false) : -1;
                }
                return end;
            }
            if (c == '$')
            {
                return DollarQuotedEnd(s, i);
            }
            if (IsIdentifierStart(c))
            {
                // TRUE/FALSE are literals; any other word (EXTRACT's field, NULL) is not.
                var end = WordOrNumberEnd(s, i);
                var word = s.AsSpan(i, end - i);
                return word.Equals("true", StringComparison.OrdinalIgnoreCase) || word.Equals("false", StringComparison.OrdinalIgnoreCase) ? end : -1;
            }
            return -1;
        }

        private static readonly HashSet<string> IntervalFields = new(StringComparer.OrdinalIgnoreCase) { "year", "month", "day", "hour", "minute", "second", "to" };

        /// <summary>End of an interval qualifier (<c>DAY</c>, <c>HOUR TO MINUTE</c>, <c>SECOND(3)</c>) starting at or after <paramref name="i"/>.</summary>
        public static int IntervalFieldsEnd(string s, int i)
        {
            var end = i;
            while (true)
            {
                var j = SkipTrivia(s, end);
                var word = WordOrNumberEnd(s, j);
                if (word == j || !IntervalFields.Contains(s[j..word]))
                {
                    return end;
                }
                end = word;
                var k = SkipTrivia(s, end);
                if (s[j..word].Equals("second", StringComparison.OrdinalIgnoreCase) && k < s.Length && s[k] == '(')
                {
                    var close = s.IndexOf(')', k);
                    if (close > 0)
                    {
                        end = close + 1;
                    }
                }
            }
        }

        public static int WordOrNumberEnd(string s, int i)
        {
            while (i < s.Length && IsIdentifierPart(s[i]))
            {
                i++;
            }
            return i;
        }

        private static int NumberEnd(string s, int i)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i < s.Length && s[i] == '.' && !(i + 1 < s.Length && s[i + 1] == '.'))
            {
                i++;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
            }
            if (i == start || (i == start + 1 && s[start] == '.'))
            {
                return -1;
            }
            if (i < s.Length && s[i] is 'e' or 'E')
            {
                var j = i + 1;
                if (j < s.Length && s[j] is '+' or '-')
                {
                    j++;
                }
                if (j < s.Length && char.IsAsciiDigit(s[j]))
                {
                    while (j < s.Length && char.IsAsciiDigit(s[j]))
                    {
                        j++;
                    }
                    i = j;
                }
            }
            return i;
        }

        private static int QuotedEnd(string s, int i, bool backslashEscapes, bool continuation)
        {
            var j = i + 1;
            while (j < s.Length)
            {
                if (backslashEscapes && s[j] == '\\')
                {
                    j += 2;
                }
                else if (s[j] == '\'')
                {
                    if (j + 1 < s.Length && s[j + 1] == '\'')
                    {
                        j += 2;
                        continue;
                    }
                    var end = j + 1;
                    if (!continuation)
                    {
                        return end;
                    }
                    // 'a'<newline>'b' is one literal.
                    var k = end;
                    var newline = false;
                    while (k < s.Length && char.IsWhiteSpace(s[k]))
                    {
                        newline |= s[k] == '\n';
                        k++;
                    }
                    if (newline && k < s.Length && s[k] == '\'')
                    {
                        j = k + 1;
                        continue;
                    }
                    return end;
                }
                else
                {
                    j++;
                }
            }
            return -1;
        }

        private static int DollarQuotedEnd(string s, int i)
        {
            var j = i + 1;
            if (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                return -1; // $1 is a parameter
            }
            while (j < s.Length && s[j] != '$')
            {
                if (!IsIdentifierPart(s[j]) || s[j] == '$')
                {
                    return -1;
                }
                j++;
            }
            if (j >= s.Length)
            {
                return -1;
            }
            var tag = s[i..(j + 1)];
            var close = s.IndexOf(tag, j + 1, StringComparison.Ordinal);
            return close < 0 ? -1 : close + tag.Length;
        }

        /// <summary>End of <c>name()</c> / <c>schema.name ( )</c>, or of a keyword such as <c>current_time(3)</c>.</summary>
        public static int CallEnd(string s, int i, bool requireParentheses)
        {
            var j = i;
            while (true)
            {
                int end;
                if (j < s.Length && s[j] == '"')
                {
                    end = s.IndexOf('"', j + 1);
                    while (end >= 0 && end + 1 < s.Length && s[end + 1] == '"')
                    {
                        end = s.IndexOf('"', end + 2);
                    }
                    if (end < 0)
                    {
                        return -1;
                    }
                    end++;
                }
                else
                {
                    end = WordOrNumberEnd(s, j);
                    if (end == j)
                    {
                        return -1;
                    }
                }
                var next = SkipTrivia(s, end);
                if (next < s.Length && s[next] == '.')
                {
                    j = SkipTrivia(s, next + 1);
                    continue;
                }
                if (next < s.Length && s[next] == '(')
                {
                    var close = s.IndexOf(')', next + 1);
                    if (close < 0)
                    {
                        return -1;
                    }
                    // Only a precision (current_time(3)) or nothing may stand between the parentheses.
                    var inside = s.AsSpan(next + 1, close - next - 1).Trim();
                    foreach (var ch in inside)
                    {
                        if (!char.IsAsciiDigit(ch))
                        {
                            return -1;
                        }
                    }
                    if (requireParentheses && inside.Length > 0)
                    {
                        return -1;
                    }
                    return close + 1;
                }
                return requireParentheses ? -1 : end;
            }
        }
    }
}
