using System.Globalization;
using System.Text.RegularExpressions;

namespace StrategicAgent.Semantic;

/// <summary>A half-open period [From, To) in UTC; <see cref="Code"/> is the stable form sent as intent.</summary>
public sealed record TimeWindow(DateTimeOffset From, DateTimeOffset To, string Code, string Label)
{
    public double Days => (To - From).TotalDays;

    public static TimeWindow Between(DateOnly fromInclusive, DateOnly toExclusive, string code, string label) =>
        new(new DateTimeOffset(fromInclusive.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            new DateTimeOffset(toExclusive.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            code,
            $"{label} ({fromInclusive:yyyy-MM-dd} to {toExclusive.AddDays(-1):yyyy-MM-dd})");

    /// <summary>"last 90 days" ending today (inclusive), as a metric's default period.</summary>
    public static TimeWindow LastDays(int days, DateOnly today) =>
        Between(today.AddDays(-(days - 1)), today.AddDays(1), $"last_{days}_days", $"last {days} days");
}

/// <summary>
/// Turns the time phrases of a question into a [From, To) window in UTC days, relative to
/// <c>today</c> (from an injectable clock). "last N days" = the N calendar days ending today;
/// "last month/quarter/year" = the previous calendar period; "this …" = from its start to today.
/// </summary>
public static partial class TimeWindowParser
{
    private static readonly string[] MonthNames =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    public sealed record Match(TimeWindow Window, int Index, int Length);

    /// <summary>
    /// Every time phrase of the question, left to right (a question comparing two periods has two).
    /// Each found phrase is blanked before looking for the next, so none is read twice.
    /// </summary>
    public static IReadOnlyList<Match> ParseAll(string lower, DateOnly today)
    {
        var found = new List<Match>();
        var text = lower;
        for (var i = 0; i < 4; i++)
        {
            var m = Parse(text, today);
            if (m is null)
            {
                break;
            }
            found.Add(m);
            text = string.Concat(text.AsSpan(0, m.Index), new string(' ', m.Length), text.AsSpan(m.Index + m.Length));
        }
        found.Sort((a, b) => a.Index.CompareTo(b.Index));
        return found;
    }

    public static Match? Parse(string lower, DateOnly today)
    {
        Match? Found(System.Text.RegularExpressions.Match m, TimeWindow w) => new(w, m.Index, m.Length);
        var tomorrow = today.AddDays(1);

        // Explicit ranges first: they contain dates that the other rules would half-match.
        var m = RangeRegex().Match(lower);
        if (m.Success && TryDate(m.Groups["a"].Value, out var a) && TryDate(m.Groups["b"].Value, out var b) && b >= a)
        {
            return Found(m, TimeWindow.Between(a, b.AddDays(1), $"{a:yyyy-MM-dd}..{b:yyyy-MM-dd}", "date range"));
        }
        m = SinceRegex().Match(lower);
        if (m.Success && TryDate(m.Groups["a"].Value, out a) && a <= today)
        {
            return Found(m, TimeWindow.Between(a, tomorrow, $"{a:yyyy-MM-dd}..{today:yyyy-MM-dd}", "since " + a.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        }
        m = RollingRegex().Match(lower);
        if (m.Success)
        {
            var n = ParseCount(m.Groups["n"].Value);
            var unit = m.Groups["unit"].Value.TrimEnd('s');
            if (n is > 0 and <= 3650)
            {
                var from = unit switch
                {
                    "day" => today.AddDays(-(n.Value - 1)),
                    "week" => today.AddDays(-(7 * n.Value - 1)),
                    "month" => today.AddMonths(-n.Value).AddDays(1),
                    "quarter" => today.AddMonths(-3 * n.Value).AddDays(1),
                    _ => today.AddYears(-n.Value).AddDays(1),
                };
                var plural = n == 1 ? unit : unit + "s";
                return Found(m, TimeWindow.Between(from, tomorrow, $"last_{n}_{plural}", $"last {n} {plural}"));
            }
        }
        m = PreviousRegex().Match(lower);
        if (m.Success)
        {
            var unit = m.Groups["unit"].Value;
            var (start, _) = PeriodOf(unit, today);
            var (prevStart, prevEnd) = unit switch
            {
                "week" => (start.AddDays(-7), start),
                "month" => (start.AddMonths(-1), start),
                "quarter" => (start.AddMonths(-3), start),
                _ => (start.AddYears(-1), start),
            };
            return Found(m, TimeWindow.Between(prevStart, prevEnd, $"last_{unit}", $"last {unit}"));
        }
        m = CurrentRegex().Match(lower);
        if (m.Success)
        {
            var unit = m.Groups["unit"].Success && m.Groups["unit"].Value.Length > 0
                ? m.Groups["unit"].Value
                : m.Groups["abbr"].Value switch { "ytd" => "year", "mtd" => "month", "qtd" => "quarter", _ => "week" };
            var (start, _) = PeriodOf(unit, today);
            return Found(m, TimeWindow.Between(start, tomorrow, $"this_{unit}", $"this {unit}"));
        }
        m = QuarterRegex().Match(lower);
        if (m.Success)
        {
            var q = int.Parse(m.Groups["q"].Success && m.Groups["q"].Value.Length > 0 ? m.Groups["q"].Value : m.Groups["q2"].Value, CultureInfo.InvariantCulture);
            var y = int.Parse(m.Groups["y"].Success && m.Groups["y"].Value.Length > 0 ? m.Groups["y"].Value : m.Groups["y2"].Value, CultureInfo.InvariantCulture);
            var start = new DateOnly(y, 3 * (q - 1) + 1, 1);
            return Found(m, TimeWindow.Between(start, start.AddMonths(3), $"{y}-Q{q}", $"Q{q} {y}"));
        }
        m = MonthYearRegex().Match(lower);
        if (m.Success)
        {
            var month = Array.FindIndex(MonthNames, n => n.StartsWith(m.Groups["mon"].Value, StringComparison.Ordinal)) + 1;
            var y = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            var start = new DateOnly(y, month, 1);
            return Found(m, TimeWindow.Between(start, start.AddMonths(1), $"{y}-{month:00}", start.ToString("MMMM yyyy", CultureInfo.InvariantCulture)));
        }
        m = YearRegex().Match(lower);
        if (m.Success)
        {
            var y = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            var start = new DateOnly(y, 1, 1);
            return Found(m, TimeWindow.Between(start, start.AddYears(1), $"{y}", $"{y}"));
        }
        m = DayRegex().Match(lower);
        if (m.Success)
        {
            var day = m.Value == "yesterday" ? today.AddDays(-1) : today;
            return Found(m, TimeWindow.Between(day, day.AddDays(1), m.Value, m.Value));
        }
        return null;
    }

    /// <summary>Start of the calendar week (ISO, Monday), month, quarter or year containing today.</summary>
    private static (DateOnly Start, DateOnly End) PeriodOf(string unit, DateOnly today)
    {
        switch (unit)
        {
            case "week":
                var offset = ((int)today.DayOfWeek + 6) % 7;
                var monday = today.AddDays(-offset);
                return (monday, monday.AddDays(7));
            case "month":
                var m = new DateOnly(today.Year, today.Month, 1);
                return (m, m.AddMonths(1));
            case "quarter":
                var q = new DateOnly(today.Year, (today.Month - 1) / 3 * 3 + 1, 1);
                return (q, q.AddMonths(3));
            default:
                var y = new DateOnly(today.Year, 1, 1);
                return (y, y.AddYears(1));
        }
    }

    private static bool TryDate(string s, out DateOnly d) =>
        DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out d);

    public static int? ParseCount(string s) => s switch
    {
        "a" or "an" or "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "twelve" => 12,
        _ => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null,
    };

    private const string Num = "(?<n>\\d{1,4}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve)";

    [GeneratedRegex(@"\b(?:between|from)\s+(?<a>\d{4}-\d{2}-\d{2})\s+(?:and|to|until|till|through|-)\s+(?<b>\d{4}-\d{2}-\d{2})\b")]
    private static partial Regex RangeRegex();

    [GeneratedRegex(@"\b(?:since|after|from)\s+(?<a>\d{4}-\d{2}-\d{2})\b")]
    private static partial Regex SinceRegex();

    [GeneratedRegex(@"\b(?:in\s+the\s+|over\s+the\s+|during\s+the\s+|for\s+the\s+|the\s+)?(?:last|past|previous|trailing)\s+" + Num + @"\s+(?<unit>days?|weeks?|months?|quarters?|years?)\b")]
    private static partial Regex RollingRegex();

    [GeneratedRegex(@"\b(?:last|previous|prior|past)\s+(?<unit>week|month|quarter|year)\b")]
    private static partial Regex PreviousRegex();

    [GeneratedRegex(@"\b(?:(?:this|current|the\s+current)\s+(?<unit>week|month|quarter|year)|(?<unit>week|month|quarter|year)\s+to\s+date|so\s+far\s+this\s+(?<unit>week|month|quarter|year)|(?<abbr>ytd|mtd|qtd))\b")]
    private static partial Regex CurrentRegex();

    [GeneratedRegex(@"\b(?:q(?<q>[1-4])\s*(?:of\s+)?(?<y>20\d\d)|(?<y2>20\d\d)[\s-]*q(?<q2>[1-4]))\b")]
    private static partial Regex QuarterRegex();

    [GeneratedRegex(@"\b(?<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?<y>20\d\d)\b")]
    private static partial Regex MonthYearRegex();

    [GeneratedRegex(@"(?<![\w-])(?<y>20\d\d)(?![\w-])")]
    private static partial Regex YearRegex();

    [GeneratedRegex(@"\b(?:today|yesterday)\b")]
    private static partial Regex DayRegex();
}
