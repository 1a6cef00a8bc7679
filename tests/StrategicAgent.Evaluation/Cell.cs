using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StrategicAgent.Evaluation;

/// <summary>
/// A result value reduced to what the grader compares: a number (with the precision an answer showed
/// it at), a point in time (UTC; a date is its midnight), text, or null.
/// </summary>
public abstract record Cell
{
    public static Cell Null { get; } = new NullCell();

    /// <summary>A value as Npgsql returns it (gold rows, or rows the tests run themselves).</summary>
    public static Cell FromValue(object? value) => value switch
    {
        null or DBNull => Null,
        long or int or short or byte => new NumberCell(Convert.ToDouble(value, CultureInfo.InvariantCulture), null),
        // A numeric keeps its scale (round(x, 2) → 2 decimals): the precision a rounded value was shown at, as from JSON.
        decimal d => new NumberCell((double)d, d.Scale),
        double or float => new NumberCell(Convert.ToDouble(value, CultureInfo.InvariantCulture), null),
        DateTime t => new InstantCell(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc)),
        DateTimeOffset o => new InstantCell(o.UtcDateTime),
        DateOnly d => new InstantCell(d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)),
        TimeSpan s => new NumberCell(s.TotalSeconds, null),
        bool b => new TextCell(b ? "true" : "false"),
        _ => new TextCell(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    /// <summary>A value of an answer's JSON row. Numbers keep the number of decimals they were written with.</summary>
    public static Cell FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => Null,
        JsonValueKind.Number => new NumberCell(e.GetDouble(), DecimalsOf(e.GetRawText())),
        JsonValueKind.String => new TextCell(e.GetString() ?? ""),
        JsonValueKind.True => new TextCell("true"),
        JsonValueKind.False => new TextCell("false"),
        _ => new TextCell(e.GetRawText()),
    };

    /// <summary>Digits after the decimal point of a JSON number as written (1.50 → 2, 2e-3 → 3, 12 → 0).</summary>
    internal static int DecimalsOf(string raw)
    {
        var s = raw.ToLowerInvariant();
        var exponent = 0;
        var e = s.IndexOf('e');
        if (e >= 0)
        {
            exponent = int.Parse(s[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            s = s[..e];
        }
        var dot = s.IndexOf('.');
        var fraction = dot < 0 ? 0 : s.Length - dot - 1;
        return Math.Max(0, fraction - exponent);
    }
}

public sealed record NullCell : Cell
{
    public override string ToString() => "null";
}

/// <param name="Decimals">How many decimals the answer showed (null for gold values: full precision).</param>
public sealed record NumberCell(double Value, int? Decimals) : Cell
{
    public override string ToString() => Value.ToString("G10", CultureInfo.InvariantCulture);
}

public sealed record InstantCell(DateTime Utc) : Cell
{
    public override string ToString() => Utc.TimeOfDay == TimeSpan.Zero
        ? Utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
        : Utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

public sealed record TextCell(string Text) : Cell
{
    public override string ToString() => Text;
}

/// <summary>How two values are equal for the grader (rules in tests/corpus/agent/README.md).</summary>
public static partial class CellEquality
{
    /// <summary>Relative tolerance of numbers given at full precision.</summary>
    public const double RelativeTolerance = 1e-6;

    /// <summary>
    /// True when <paramref name="answer"/> is <paramref name="gold"/> (times <paramref name="scale"/> for numbers):
    /// numbers within 1e-6 relative, or equal to the gold rounded to the decimals the answer shows (at least one);
    /// times equal to the second, where text may be an ISO date or time, a month (2026-11), an ISO week
    /// (2026-W45, its Monday) or a quarter (2026-Q4); text equal after trimming.
    /// </summary>
    public static bool Equal(Cell gold, Cell answer, double scale = 1.0) => (gold, answer) switch
    {
        (NullCell, NullCell) => true,
        (NullCell, TextCell { Text: var t }) => string.IsNullOrWhiteSpace(t),
        (NumberCell g, NumberCell a) => NumbersEqual(g.Value * scale, a.Value, a.Decimals),
        (NumberCell g, TextCell a) => double.TryParse(a.Text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            && NumbersEqual(g.Value * scale, v, Cell.DecimalsOf(a.Text.Trim())),
        (InstantCell g, InstantCell a) => Math.Abs((g.Utc - a.Utc).TotalSeconds) < 1,
        (InstantCell g, TextCell a) => ParseInstant(a.Text) is { } t && Math.Abs((g.Utc - t).TotalSeconds) < 1,
        (TextCell g, TextCell a) => string.Equals(g.Text.Trim(), a.Text.Trim(), StringComparison.Ordinal),
        (TextCell g, NumberCell a) => double.TryParse(g.Text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var gv) && NumbersEqual(gv, a.Value, a.Decimals),
        _ => false,
    };

    private static bool NumbersEqual(double expected, double actual, int? decimals)
    {
        var diff = Math.Abs(expected - actual);
        if (diff <= 1e-9 || diff <= RelativeTolerance * Math.Max(Math.Abs(expected), Math.Abs(actual)))
        {
            return true;
        }
        // Rounded for display: right when it is the gold rounded to the shown precision (at least one decimal;
        // an integer answer to a fractional gold is a different number, not a rounding).
        return decimals is >= 1 and <= 12 && diff <= 0.5 * Math.Pow(10, -decimals.Value) * (1 + 1e-9);
    }

    /// <summary>A time as an answer may write it, in UTC; null when the text is not one.</summary>
    public static DateTime? ParseInstant(string text)
    {
        var s = text.Trim();
        if (IsoWeek().Match(s) is { Success: true } w)
        {
            var year = int.Parse(w.Groups[1].Value, CultureInfo.InvariantCulture);
            var week = int.Parse(w.Groups[2].Value, CultureInfo.InvariantCulture);
            return week is >= 1 and <= 53 ? DateTime.SpecifyKind(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday), DateTimeKind.Utc) : null;
        }
        if (Quarter().Match(s) is { Success: true } q)
        {
            var quarter = int.Parse(q.Groups[2].Value, CultureInfo.InvariantCulture);
            return quarter is >= 1 and <= 4 ? new DateTime(int.Parse(q.Groups[1].Value, CultureInfo.InvariantCulture), 3 * quarter - 2, 1, 0, 0, 0, DateTimeKind.Utc) : null;
        }
        if (DateTime.TryParseExact(s, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var month))
        {
            return month;
        }
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var o) && s.Length >= 10 && char.IsDigit(s[0])
            ? o.UtcDateTime
            : null;
    }

    [GeneratedRegex(@"^(\d{4})-?W(\d{1,2})$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoWeek();

    [GeneratedRegex(@"^(\d{4})-?Q([1-4])$", RegexOptions.IgnoreCase)]
    private static partial Regex Quarter();
}
