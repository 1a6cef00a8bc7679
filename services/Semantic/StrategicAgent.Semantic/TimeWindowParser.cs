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

    /// <summary>1–12 for the month a name or its prefix names ("sep", "september"), 0 for none.</summary>
    public static int MonthNumber(string nameOrPrefix) =>
        Array.FindIndex(MonthNames, n => n.StartsWith(nameOrPrefix, StringComparison.Ordinal)) + 1;

    /// <summary>A month's full name in lower case ("december").</summary>
    public static bool IsMonthName(string word) => Array.IndexOf(MonthNames, word) >= 0;

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
            m = Before(text, m) ?? m;
            found.Add(m);
            text = string.Concat(text.AsSpan(0, m.Index), new string(' ', m.Length), text.AsSpan(m.Index + m.Length));
        }
        found.Sort((a, b) => a.Index.CompareTo(b.Index));
        if (found.Count == 1 && ComparedWithBareLast(lower, found[0]) is { } bare)
        {
            return [bare];
        }
        return found.Count == 2 && Compared(lower, found[0], found[1]) is { } both ? [both] : found;
    }

    /// <summary>
    /// "MoM (this month vs last)", "this week compared with the previous": the current period compared with the one before it, its
    /// unit said once — the same one window over both periods as <see cref="Compared"/>, one row per period. Only "last" /
    /// "previous" / "prior" closing the phrase (end, punctuation or a bracket) count: "this month vs last year" stays two periods.
    /// </summary>
    private static Match? ComparedWithBareLast(string lower, Match current)
    {
        var unit = current.Window.Code.Split('_') is ["this", var u] ? u : null;
        if (unit is not ("week" or "month" or "quarter"))
        {
            return null;
        }
        var rest = BareLastRegex().Match(lower[(current.Index + current.Length)..]);
        if (!rest.Success)
        {
            return null;
        }
        var last = Parse($"last {unit}", DateOnly.FromDateTime(current.Window.From.UtcDateTime).AddDays(1));
        if (last is null || !last.Window.Code.Equals($"last_{unit}", StringComparison.Ordinal))
        {
            return null;
        }
        var from = DateOnly.FromDateTime(last.Window.From.UtcDateTime);
        var to = DateOnly.FromDateTime(current.Window.To.UtcDateTime);
        return new Match(TimeWindow.Between(from, to, ComparedPrefix + unit, $"last {unit} and this {unit}, one row each"), current.Index,
            current.Length + rest.Length);
    }

    [GeneratedRegex(@"^\s*(?:vs\.?|versus|(?:as\s+)?compared\s+(?:with|to)|against)\s+(?:the\s+)?(?:last|previous|prior)(?=\s*(?:$|[)?.,;!]))")]
    private static partial Regex BareLastRegex();

    /// <summary>The first day of a window that is open towards the past ("created before this year").</summary>
    public static readonly DateOnly Earliest = new(1970, 1, 1);

    /// <summary>
    /// "before this year", "prior to last quarter", "earlier than the start of this month": every day before the period
    /// named (its first day excluded from nothing: the window ends where the period begins). Said of a date, the
    /// <see cref="BeforeDate"/> rule in <see cref="Parse"/> reads it.
    /// </summary>
    private static Match? Before(string text, Match period)
    {
        var cue = BeforeCueRegex().Match(text[..period.Index]);
        if (!cue.Success || period.Window.Code.StartsWith(ComparedPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var to = DateOnly.FromDateTime(period.Window.From.UtcDateTime);
        return new Match(BeforeWindow(to, period.Window.Code, period.Window.Label.Split(" (")[0]), cue.Index, period.Index + period.Length - cue.Index);
    }

    private static TimeWindow BeforeWindow(DateOnly to, string code, string label) =>
        new(new DateTimeOffset(Earliest.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), new DateTimeOffset(to.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            "before_" + code, $"before {label} (before {to:yyyy-MM-dd})");

    [GeneratedRegex(@"\b(?:before|prior\s+to|earlier\s+than)\s+(?:the\s+(?:start|beginning)\s+of\s+)?$")]
    private static partial Regex BeforeCueRegex();

    /// <summary>The prefix of a window's code that compares two adjacent periods; the rest is the unit ("compared_month").</summary>
    public const string ComparedPrefix = "compared_";

    /// <summary>
    /// "this month vs last month", "last week versus this week so far", "this quarter compared with last quarter": two adjacent
    /// calendar periods of one unit with only a comparison word between them are one window over both, answered one row per
    /// period (the reader and the judge group by the unit; the current period is partial and the reading says so). Anything
    /// else between them, periods of two units or periods apart ("this month vs the same month last year") stay two periods.
    /// </summary>
    private static Match? Compared(string lower, Match first, Match second)
    {
        var unit = first.Window.Code.Split('_') is [_, var u] ? u : null;
        string[] pair = [first.Window.Code, second.Window.Code];
        if (unit is not ("week" or "month" or "quarter")
            || !pair.Order(StringComparer.Ordinal).SequenceEqual([$"last_{unit}", $"this_{unit}"])
            || !ComparisonCueRegex().IsMatch(lower[(first.Index + first.Length)..second.Index]))
        {
            return null;
        }
        var (last, current) = first.Window.Code.StartsWith("last_", StringComparison.Ordinal) ? (first.Window, second.Window) : (second.Window, first.Window);
        var from = DateOnly.FromDateTime(last.From.UtcDateTime);
        var to = DateOnly.FromDateTime(current.To.UtcDateTime);
        return new Match(TimeWindow.Between(from, to, ComparedPrefix + unit, $"last {unit} and this {unit}, one row each"), first.Index,
            second.Index + second.Length - first.Index);
    }

    [GeneratedRegex(@"^[\s,:;]*(?:(?:as\s+)?(?:compared?|comparing|compares)\s+(?:with|to|against)|vs\.?|versus|against)[\s,:;]*(?:the\s+)?$")]
    private static partial Regex ComparisonCueRegex();

    public static Match? Parse(string lower, DateOnly today)
    {
        Match? Found(System.Text.RegularExpressions.Match m, TimeWindow w) => new(w, m.Index, m.Length);
        var tomorrow = today.AddDays(1);

        // Explicit ranges first: they contain dates that the other rules would half-match.
        var m = Range.Match(lower);
        // A range's ends carry their year: "between March and June" would need the end of June, not its first day.
        if (m.Success && !new[] { "am5", "am6", "bm5", "bm6" }.Any(g => m.Groups[g].Success)
            && DateOf(m, "a", today) is { } a && DateOf(m, "b", today) is { } b && b >= a)
        {
            return Found(m, TimeWindow.Between(a, b.AddDays(1), $"{a:yyyy-MM-dd}..{b:yyyy-MM-dd}", "date range"));
        }
        m = BeforeDate.Match(lower);
        if (m.Success && DateOf(m, "a", today) is { } before && before <= tomorrow && before > Earliest)
        {
            return Found(m, BeforeWindow(before, before.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), before.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        }
        m = Since.Match(lower);
        if (m.Success && DateOf(m, "a", today) is { } since && since <= today)
        {
            return Found(m, TimeWindow.Between(since, tomorrow, $"{since:yyyy-MM-dd}..{today:yyyy-MM-dd}", "since " + since.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        }
        // "March last year", "January this year": one month, before "last year" / "this year" are read alone.
        m = MonthYearRegex().Match(lower);
        if (m.Success && m.Groups["rel"].Success)
        {
            return MonthOf(m, today);
        }
        // "the last 3 complete months", "3 full months before this one": whole calendar periods before the current one.
        m = CompleteRegex().Match(lower);
        if (m.Success && ParseCount(m.Groups["n"].Value) is { } count and > 0 and <= 120)
        {
            var unit = Unit(m.Groups["unit"].Value);
            var (start, _) = PeriodOf(unit, today);
            var from = unit switch
            {
                "week" => start.AddDays(-7 * count),
                "month" => start.AddMonths(-count),
                _ => start.AddMonths(-3 * count),
            };
            var plural = count == 1 ? unit : unit + "s";
            return Found(m, TimeWindow.Between(from, start, $"last_{count}_complete_{plural}", $"the last {count} complete {plural}"));
        }
        m = RollingRegex().Match(lower);
        if (m.Success)
        {
            var n = m.Groups["n"].Success ? ParseCount(m.Groups["n"].Value) : 1;
            var unit = Unit(m.Groups["unit"].Value);
            if (unit == "fortnight")
            {
                // "the past fortnight", "last 2 fortnights": 14 days per fortnight, ending today.
                (unit, n) = ("day", n * 14);
            }
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
            var unit = Unit(m.Groups["unit"].Value);
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
                ? Unit(m.Groups["unit"].Value)
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
        // "in Q3", "in September": the latest such quarter or month that has begun.
        m = QuarterOnlyRegex().Match(lower);
        if (m.Success)
        {
            var q = int.Parse(m.Groups["q"].Value, CultureInfo.InvariantCulture);
            var start = new DateOnly(today.Year, 3 * (q - 1) + 1, 1);
            start = start > today ? start.AddYears(-1) : start;
            return Found(m, TimeWindow.Between(start, start.AddMonths(3), $"{start.Year}-Q{q}", $"Q{q} {start.Year}"));
        }
        m = MonthOnlyRegex().Match(lower);
        if (m.Success)
        {
            var month = MonthNumber(m.Groups["mon"].Value);
            var start = new DateOnly(today.Year, month, 1);
            start = start > today ? start.AddYears(-1) : start;
            return Found(m, TimeWindow.Between(start, start.AddMonths(1), $"{start.Year}-{month:00}", start.ToString("MMMM yyyy", CultureInfo.InvariantCulture)));
        }
        m = MonthYearRegex().Match(lower);
        if (m.Success)
        {
            return MonthOf(m, today);
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

    private static Match MonthOf(System.Text.RegularExpressions.Match m, DateOnly today)
    {
        var month = MonthNumber(m.Groups["mon"].Value);
        var y = m.Groups["y"].Success ? int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture) : RelativeYear(m.Groups["rel"].Value, today);
        var start = new DateOnly(y, month, 1);
        return new(TimeWindow.Between(start, start.AddMonths(1), $"{y}-{month:00}", start.ToString("MMMM yyyy", CultureInfo.InvariantCulture)), m.Index, m.Length);
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

    /// <summary>The canonical unit of a unit word or its abbreviation: "qtrs" → quarter, "wk" → week, "mo" → month, "yr" → year; glued to
    /// the number ("last 30d", "past 2w") "d" → day, "w" → week.</summary>
    private static string Unit(string word)
    {
        var w = word.TrimEnd('s');
        return w switch
        {
            "day" or "d" => "day",
            "week" or "wk" or "w" => "week",
            "fortnight" => "fortnight",
            "month" or "mo" or "mth" => "month",
            "quarter" or "qtr" => "quarter",
            _ => "year",
        };
    }

    /// <summary>"this year" / "last year" in a date ("January this year").</summary>
    private static int RelativeYear(string word, DateOnly today) => word.StartsWith("last", StringComparison.Ordinal) ? today.Year - 1 : today.Year;

    private static readonly string[] OrdinalWords =
    [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth",
        "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth",
    ];

    /// <summary>A day of the month in digits ("1", "1st") or as an ordinal word ("first", "twenty-first", "thirtieth").</summary>
    private static int DayNumber(string s)
    {
        var digits = s.TrimEnd('s', 't', 'n', 'd', 'r', 'h');
        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }
        var w = s.Replace('-', ' ');
        var tens = w.StartsWith("twenty ", StringComparison.Ordinal) ? 20 : w.StartsWith("thirty ", StringComparison.Ordinal) ? 30 : 0;
        if (tens > 0)
        {
            return tens + Array.IndexOf(OrdinalWords, w[7..]) + 1;
        }
        return w == "thirtieth" ? 30 : Array.IndexOf(OrdinalWords, w) + 1;
    }

    /// <summary>Day-of-month ordinals as words, longest first: "twenty-first" before "first".</summary>
    private static readonly string OrdinalDay =
        string.Join("|", new[] { "thirty[- ]first", "thirtieth" }
            .Concat(OrdinalWords.Take(9).Select(w => "twenty[- ]" + w))
            .Concat(OrdinalWords.Reverse()));

    private static bool TryDate(string s, out DateOnly d) =>
        DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out d);

    private const string Months = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec";

    /// <summary>A month's name or its usual abbreviation, whole ("mar" but never "marketing").</summary>
    private const string MonthWords = "january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|september|sept|sep|october|oct|november|nov|december|dec";

    /// <summary>A calendar date: 2026-09-01, September 1, 2026, 1 Sep 2026, 1st of September 2026, June 2026 (its first day), January 1st this year.</summary>
    private static string Date(string p) =>
        $@"(?:(?<{p}iso>\d{{4}}-\d{{2}}-\d{{2}})" +
        $@"|(?<{p}m1>{Months})[a-z]*\.?\s+(?:the\s+)?(?<{p}d1>\d{{1,2}}(?:st|nd|rd|th)?|{OrdinalDay}),?\s+(?<{p}y1>20\d\d|(?:this|last)\s+year)" +
        $@"|(?:the\s+)?(?<{p}d2>\d{{1,2}}(?:st|nd|rd|th)?|{OrdinalDay})\s+(?:of\s+)?(?<{p}m2>{Months})[a-z]*\.?,?\s+(?<{p}y2>20\d\d|(?:this|last)\s+year)" +
        $@"|(?:the\s+(?:beginning|start)\s+of\s+)?(?<{p}m3>{Months})[a-z]*\.?\s+(?:of\s+)?(?<{p}y3>20\d\d|(?:this|last)\s+year)" +
        $@"|(?:the\s+(?:beginning|start)\s+of\s+)(?<{p}y4>20\d\d)" +
        // Without a year ("since June", "since September 1st", "from 1 September"): the latest such day not after today.
        $@"|(?<{p}m5>{MonthWords})\.?(?:\s+(?:the\s+)?(?<{p}d5>\d{{1,2}}(?:st|nd|rd|th)?|{OrdinalDay}))?(?![\w-])" +
        $@"|(?:the\s+)?(?<{p}d6>\d{{1,2}}(?:st|nd|rd|th)?|{OrdinalDay})\s+(?:of\s+)?(?<{p}m6>{Months})[a-z]*\.?(?![\w-]))";

    private static readonly Regex Range = new(
        $@"\b(?:between|from)\s+{Date("a")}\s+(?:and|to|until|till|through|-)\s+{Date("b")}\b", RegexOptions.CultureInvariant);

    private static readonly Regex Since = new(
        $@"\b(?:since|after|from|(?:starting|beginning)(?:\s+(?:from|in|on))?)\s+{Date("a")}(?:\s+(?:onwards?|on|to\s+(?:date|now|today)))?\b", RegexOptions.CultureInvariant);

    /// <summary>"before 1 March", "prior to June 2026", "earlier than 2026-03-01": every day before that date.</summary>
    private static readonly Regex BeforeDate = new(
        $@"\b(?:before|prior\s+to|earlier\s+than)\s+{Date("a")}\b", RegexOptions.CultureInvariant);

    private static DateOnly? DateOf(System.Text.RegularExpressions.Match m, string p, DateOnly today)
    {
        if (m.Groups[p + "iso"].Success)
        {
            return TryDate(m.Groups[p + "iso"].Value, out var d) ? d : null;
        }
        int Month(string g) => MonthNumber(m.Groups[g].Value);
        int Year(string g) => m.Groups[g].Value.StartsWith("this", StringComparison.Ordinal) || m.Groups[g].Value.StartsWith("last", StringComparison.Ordinal)
            ? RelativeYear(m.Groups[g].Value, today)
            : int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        DateOnly? Make(int y, int mo, int day) => mo is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(y, mo) ? new DateOnly(y, mo, day) : null;
        if (m.Groups[p + "m1"].Success)
        {
            return Make(Year(p + "y1"), Month(p + "m1"), DayNumber(m.Groups[p + "d1"].Value));
        }
        if (m.Groups[p + "m2"].Success)
        {
            return Make(Year(p + "y2"), Month(p + "m2"), DayNumber(m.Groups[p + "d2"].Value));
        }
        if (m.Groups[p + "m3"].Success)
        {
            return Make(Year(p + "y3"), Month(p + "m3"), 1);
        }
        if (m.Groups[p + "y4"].Success)
        {
            return new DateOnly(int.Parse(m.Groups[p + "y4"].Value, CultureInfo.InvariantCulture), 1, 1);
        }
        // A month (and day) without a year: this year's, or last year's when that is still to come.
        var (mg, dg) = m.Groups[p + "m5"].Success ? (p + "m5", p + "d5") : (p + "m6", p + "d6");
        if (!m.Groups[mg].Success)
        {
            return null;
        }
        var dayOfMonth = m.Groups[dg].Success ? DayNumber(m.Groups[dg].Value) : 1;
        var thisYear = Make(today.Year, Month(mg), dayOfMonth);
        return thisYear is { } t && t > today ? Make(today.Year - 1, Month(mg), dayOfMonth) : thisYear;
    }

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
        "eleven" => 11,
        "twelve" => 12,
        "fourteen" => 14,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "sixty" => 60,
        "ninety" => 90,
        _ => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null,
    };

    private const string Num = "(?<n>\\d{1,4}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|twenty|thirty|sixty|ninety)";



    /// <summary>"(not this one)", ", leaving out the current month", "excluding the current quarter": the partial current period left out.</summary>
    private const string LeavingOutCurrent =
        @"\s*[,(]?\s*(?:not\s+counting|not\s+including|not|excluding|except(?:\s+for)?|without|leaving\s+out|leave\s+out|but\s+not)\s+(?:the\s+)?(?:current|this)(?:\s+(?:one|month|week|quarter))?\b\)?";

    [GeneratedRegex(@"\b(?:(?:in\s+)?each\s+of\s+)?(?:in\s+the\s+|over\s+the\s+|during\s+the\s+|for\s+the\s+|the\s+)?(?:last|past|previous|prior|trailing)\s+" + Num + @"\s+(?:(?:complete|full|whole|finished|entire|calendar)\s+(?<unit>weeks?|wks?|months?|mos?|mths?|quarters?|qtrs?)\b(?:" + LeavingOutCurrent + @")?|(?<unit>weeks?|wks?|months?|mos?|mths?|quarters?|qtrs?)\b" + LeavingOutCurrent + @")|\b" + Num + @"\s+(?:complete|full|whole|finished|entire|calendar)\s+(?<unit>weeks?|wks?|months?|mos?|mths?|quarters?|qtrs?)\s+(?:before|prior\s+to)\s+(?:this\s+one|the\s+current\s+(?:one|month|week|quarter)|this\s+(?:month|week|quarter))\b")]
    private static partial Regex CompleteRegex();

    [GeneratedRegex(@"\b(?:in\s+the\s+|over\s+the\s+|during\s+the\s+|for\s+the\s+|the\s+)?(?:last|past|previous|trailing)\s+(?:" + Num + @"\s+(?<unit>days?|weeks?|wks?|fortnights?|months?|mos?|mths?|quarters?|qtrs?|years?|yrs?)|(?<unit>fortnight)|(?<n>\d{1,4})(?<unit>d|w|wks?))\b")]
    private static partial Regex RollingRegex();

    [GeneratedRegex(@"\b(?:over\s+the\s+)?(?:last|previous|prior|past)\s+(?<unit>week|wk|month|mo|mth|quarter|qtr|year|yr)\b")]
    private static partial Regex PreviousRegex();

    [GeneratedRegex(@"\b(?:(?:since|from)\s+the\s+(?:start|beginning)\s+of\s+(?:the|this)\s+(?<unit>week|month|quarter|year)|(?:this|current|the\s+current)\s+(?<unit>week|wk|month|mo|mth|quarter|qtr|year|yr)|(?<unit>week|month|quarter|year)\s+to\s+date|so\s+far\s+this\s+(?<unit>week|wk|month|mo|mth|quarter|qtr|year|yr)|(?<abbr>ytd|mtd|qtd))\b")]
    private static partial Regex CurrentRegex();

    [GeneratedRegex(@"\b(?:q(?<q>[1-4])\s*(?:of\s+)?(?<y>20\d\d)|(?<y2>20\d\d)[\s-]*q(?<q2>[1-4]))\b")]
    private static partial Regex QuarterRegex();

    [GeneratedRegex(@"\b(?:in|during|for|over|through(?:out)?)\s+(?:the\s+)?q(?<q>[1-4])\b(?!\s*(?:of\s+)?20\d\d)")]
    private static partial Regex QuarterOnlyRegex();

    [GeneratedRegex(@"\b(?:in|during|for|over|through(?:out)?)\s+(?:the\s+month\s+of\s+)?(?<mon>" + MonthWords + @")\b(?!\s*\d)(?!\s+(?:of\s+)?(?:this|last)\s+year)")]
    private static partial Regex MonthOnlyRegex();

    [GeneratedRegex(@"\b(?<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:of\s+)?(?:(?<y>20\d\d)|(?<rel>this|last)\s+year)\b")]
    private static partial Regex MonthYearRegex();

    [GeneratedRegex(@"(?<![\w-])(?<y>20\d\d)(?![\w-])")]
    private static partial Regex YearRegex();

    [GeneratedRegex(@"\b(?:today|yesterday)\b")]
    private static partial Regex DayRegex();
}
