using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StrategicAgent.Validation.Domain;

/// <summary>
/// The other side of a time comparison, kept symbolic so it can be evaluated for the asker's "today":
/// a literal instant, today (<c>current_date</c>, <c>now()</c>: time of day ignored), <c>date_trunc</c>
/// of one, or one shifted by an interval or a number of days. What it cannot read (parameters,
/// other functions) stays null: a judge then cannot check that bound.
/// </summary>
public abstract partial record TimeExpr
{
    public abstract DateTime Evaluate(DateOnly today);

    public sealed record Literal(DateTime Utc) : TimeExpr
    {
        public override DateTime Evaluate(DateOnly today) => Utc;
    }

    public sealed record Today : TimeExpr
    {
        public override DateTime Evaluate(DateOnly today) => today.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
    }

    public sealed record Trunc(string Unit, TimeExpr Inner) : TimeExpr
    {
        public override DateTime Evaluate(DateOnly today) => Truncate(Inner.Evaluate(today), Unit);
    }

    public sealed record Shift(TimeExpr Inner, int Months, double Days) : TimeExpr
    {
        public override DateTime Evaluate(DateOnly today) => Inner.Evaluate(today).AddMonths(Months).AddDays(Days);
    }

    public static DateTime Truncate(DateTime t, string unit) => unit switch
    {
        "year" => new DateTime(t.Year, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        "quarter" => new DateTime(t.Year, (t.Month - 1) / 3 * 3 + 1, 1, 0, 0, 0, DateTimeKind.Utc),
        "month" => new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc),
        "week" => t.Date.AddDays(-(((int)t.DayOfWeek + 6) % 7)),
        "day" => t.Date,
        _ => t,
    };

    /// <summary>Reads a parse-tree expression as a time, or null.</summary>
    public static TimeExpr? Read(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (e.Has("TypeCast"u8, out var cast) && cast.Has("arg"u8, out var arg))
        {
            var type = TypeName(cast);
            if (arg.Has("A_Const"u8, out var c) && c.Has("sval"u8, out var sv))
            {
                return type == "interval" ? null : ParseLiteral(sv.Str("sval"u8));
            }
            var inner = Read(arg);
            return inner is not null && type == "date" ? new Trunc("day", inner) : inner;
        }
        if (e.Has("A_Const"u8, out var constant))
        {
            return constant.Has("sval"u8, out var s) ? ParseLiteral(s.Str("sval"u8)) : null;
        }
        if (e.Has("SQLValueFunction"u8, out var svf))
        {
            return (svf.Str("op"u8) ?? "") switch
            {
                "SVFOP_CURRENT_DATE" or "SVFOP_CURRENT_TIMESTAMP" or "SVFOP_CURRENT_TIMESTAMP_N" or "SVFOP_LOCALTIMESTAMP" or "SVFOP_LOCALTIMESTAMP_N" => new Today(),
                _ => null,
            };
        }
        if (e.Has("FuncCall"u8, out var f))
        {
            var name = FunctionName(f);
            var args = f.Has("args"u8, out var a) ? a.EnumerateArray().ToList() : [];
            return name switch
            {
                "now" or "transaction_timestamp" or "statement_timestamp" or "clock_timestamp" => new Today(),
                "date_trunc" when args.Count >= 2 && args[0].Has("A_Const"u8, out var u) && u.Has("sval"u8, out var us)
                    && Read(args[1]) is { } x => new Trunc((us.Str("sval"u8) ?? "").ToLowerInvariant(), x),
                "date" or "timezone" when args.Count >= 1 && Read(args[^1]) is { } y => name == "date" ? new Trunc("day", y) : y,
                _ => null,
            };
        }
        if (e.Has("A_Expr"u8, out var op) && op.Str("kind"u8) is null or "AEXPR_OP"
            && op.Has("name"u8, out var names) && names.GetArrayLength() == 1 && names[0].StringNode() is "+" or "-" && op.Has("lexpr"u8, out var left) && op.Has("rexpr"u8, out var right))
        {
            var sign = names[0].StringNode() == "-" ? -1 : 1;
            if (Read(left) is { } baseTime && Interval(right) is { } interval)
            {
                return new Shift(baseTime, sign * interval.Months, sign * interval.Days);
            }
            if (sign == 1 && Read(right) is { } t2 && Interval(left) is { } i2)
            {
                return new Shift(t2, i2.Months, i2.Days);
            }
        }
        return null;
    }

    /// <summary>An interval as months and days: <c>interval '3 months'</c>, a whole number of days (date arithmetic), <c>n * interval '1 day'</c>.</summary>
    private static (int Months, double Days)? Interval(JsonElement e)
    {
        if (e.Has("A_Const"u8, out var c))
        {
            return c.Has("ival"u8, out var iv) ? (0, iv.Int("ival"u8, 0)) : c.Has("sval"u8, out var sv) ? ParseInterval(sv.Str("sval"u8)) : null;
        }
        if (e.Has("TypeCast"u8, out var cast) && cast.Has("arg"u8, out var arg) && arg.Has("A_Const"u8, out var ac) && ac.Has("sval"u8, out var s)
            && TypeName(cast) == "interval")
        {
            return ParseInterval(s.Str("sval"u8));
        }
        if (e.Has("A_Expr"u8, out var op) && op.Has("name"u8, out var names) && names.GetArrayLength() == 1 && names[0].StringNode() == "*"
            && op.Has("lexpr"u8, out var l) && op.Has("rexpr"u8, out var r))
        {
            var (n, unit) = l.Has("A_Const"u8, out _) ? (l, r) : (r, l);
            if (n.Has("A_Const"u8, out var nc) && (nc.Has("ival"u8, out var ni) ? ni.Int("ival"u8, 0) : (double?)null) is { } times && Interval(unit) is { } one)
            {
                return ((int)(one.Months * times), one.Days * times);
            }
        }
        return null;
    }

    private static (int Months, double Days)? ParseInterval(string? text)
    {
        var m = IntervalRegex().Match((text ?? "").Trim().ToLowerInvariant());
        if (!m.Success)
        {
            return null;
        }
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch
        {
            var u when u.StartsWith("y", StringComparison.Ordinal) => ((int)(12 * n), 0),
            var u when u.StartsWith("q", StringComparison.Ordinal) => ((int)(3 * n), 0),
            var u when u.StartsWith("mon", StringComparison.Ordinal) => ((int)n, 0),
            var u when u.StartsWith("w", StringComparison.Ordinal) => (0, 7 * n),
            var u when u.StartsWith("h", StringComparison.Ordinal) => (0, n / 24),
            _ => (0, n),
        };
    }

    private static Literal? ParseLiteral(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && text!.Length >= 8 && char.IsDigit(text[0])
            ? new Literal(t.UtcDateTime)
            : null;

    private static string TypeName(JsonElement cast) =>
        cast.Has("typeName"u8, out var tn) && tn.Has("names"u8, out var tns) && tns.GetArrayLength() > 0
            ? (tns[tns.GetArrayLength() - 1].StringNode() ?? "").ToLowerInvariant()
            : "";

    private static string FunctionName(JsonElement f) =>
        f.Has("funcname"u8, out var names) && names.GetArrayLength() > 0 ? (names[names.GetArrayLength() - 1].StringNode() ?? "").ToLowerInvariant() : "";

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(years?|yrs?|y|quarters?|mons?|months?|weeks?|w|days?|d|hours?|h)$")]
    private static partial Regex IntervalRegex();
}
