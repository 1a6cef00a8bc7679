using System.Globalization;
using System.Text.RegularExpressions;
using StrategicAgent.Semantic;

namespace StrategicAgent.Validation.Domain.Judging;

/// <summary>
/// The judge's own additions to the semantic layer's lexicon: plain verb forms and negations ("complete",
/// "haven't been finished"), spellings the layer lacks ("roll back", "missing an estimate", "time from change to
/// production"), number words before units ("last thirty days") and date phrases ("since September 1, 2026",
/// "from 1 Sep 2026 onwards", "the last 3 full months") — so a question the planner reads one way is read by the
/// judge on its own terms.
/// </summary>
public static partial class JudgeWords
{
    private sealed record Extra(string Pattern, ConceptKind Kind, string Target, EntityKind[] Entities, string Label, FilterKind? Filter = null);

    private static readonly Extra[] Extras =
    [
        new(@"complete|completes|completing|close|closes|closing|finish|finishes|finishing|resolve|resolves|resolving|fix|fixes|fixing|deliver|delivers|delivering|ship|ships|shipping|got done|get done|gets done|wrap(?:s|ped)? up",
            ConceptKind.Event, "completed", [EntityKind.Issue, EntityKind.Epic], "completed"),
        new(@"resolve|resolves|resolving|fix|fixes|fixing|close|closes|closing|mitigate|mitigates|mitigating|restore|restores|restoring|recover|recovers|recovering",
            ConceptKind.Event, "resolved", [EntityKind.Incident], "resolved"),
        new(@"(?:haven't|have not|hasn't|has not|aren't|are not|isn't|is not|weren't|were not|not) (?:been |yet |even )*(?:finished|done|closed|completed|resolved|delivered)(?: yet)?",
            ConceptKind.Filter, "not_done", [EntityKind.Issue, EntityKind.Epic], "not done (open)"),
        new(@"missing (?:an? )?(?:estimates?|story points|points)|with no estimates?|without (?:an? )?estimates?",
            ConceptKind.Filter, "unestimated", [EntityKind.Issue, EntityKind.Epic], "without story points"),
        // "did we close without merging": the layer's closed-unmerged state and closing event say it in the past tense only.
        new(@"(?:close|closes|closing) (?:them |it )?(?:without (?:being |a )?merg(?:ed|ing|e)|unmerged)", ConceptKind.Filter, "closed_unmerged", [EntityKind.PullRequest], "closed without merging"),
        new(@"(?:close|closes|closing) (?:them |it )?(?:without (?:being |a )?merg(?:ed|ing|e)|unmerged)", ConceptKind.Event, "closed", [EntityKind.PullRequest], "closed"),
        new(@"roll(?:ed)? ?back|had to roll back|rolled-back", ConceptKind.Filter, "rolled_back", [EntityKind.Deployment], "status rolled back", FilterKind.Status),
        new(@"sev ?-?1s|sev ones", ConceptKind.Filter, "sev1", [EntityKind.Incident], "severity sev1", FilterKind.Severity),
        new(@"sev ?-?2s|sev twos", ConceptKind.Filter, "sev2", [EntityKind.Incident], "severity sev2", FilterKind.Severity),
        new(@"sev ?-?3s", ConceptKind.Filter, "sev3", [EntityKind.Incident], "severity sev3", FilterKind.Severity),
        new(@"sev ?-?4s", ConceptKind.Filter, "sev4", [EntityKind.Incident], "severity sev4", FilterKind.Severity),
        new(@"whose", ConceptKind.Grouping, "whose", [EntityKind.Issue, EntityKind.PullRequest], "whose"),
        new(@"(?:the )?time from (?:a )?(?:change|commit|code) (?:to|until|reaching) (?:production|prod)|dora lead times?|time for a change to reach production|change to reach production",
            ConceptKind.Metric, "change_lead_time_median_hours", [EntityKind.Deployment], "lead time for changes"),
    ];

    private static readonly (Regex Regex, Extra Extra)[] Compiled =
        Extras.Select(e => (new Regex(@"(?<![\p{L}\p{N}_-])(?:" + e.Pattern + @")(?![\p{L}\p{N}_])", RegexOptions.CultureInvariant), e)).ToArray();

    private static readonly Dictionary<string, int> Numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8, ["nine"] = 9, ["ten"] = 10,
        ["eleven"] = 11, ["twelve"] = 12, ["thirteen"] = 13, ["fourteen"] = 14, ["fifteen"] = 15, ["eighteen"] = 18, ["twenty"] = 20, ["thirty"] = 30,
        ["forty"] = 40, ["fifty"] = 50, ["sixty"] = 60, ["ninety"] = 90,
    };

    /// <summary>
    /// Words that change what is counted — negations, comparatives, superlatives, positions in a sequence, repetition —
    /// and are never function words: one the judge's reading did not place (no phrase of the lexicon, no date, no name
    /// holds it) is a meaning the judge cannot find in the SQL, so it does not vouch for it. The reader may have read it
    /// rightly, but then both would have to share one blind spot for a wrong answer; a refusal costs less.
    /// </summary>
    private static readonly HashSet<string> Signals = new(StringComparer.Ordinal)
    {
        "not", "no", "never", "without", "none", "nobody", "nothing", "neither", "non", "excluding", "except", "exclude", "excluded", "unless", "besides",
        "isn't", "aren't", "wasn't", "weren't", "haven't", "hasn't", "hadn't", "didn't", "doesn't", "don't", "won't", "can't", "cannot",
        "more", "less", "fewer", "greater", "higher", "lower", "longer", "shorter", "bigger", "smaller", "larger", "faster", "slower", "quicker",
        "older", "newer", "earlier", "later", "worse", "better",
        "first", "last", "next", "previous", "prior", "again", "twice", "reopened", "before", "after", "until", "till",
        "other", "another", "else", "same", "different", "distinct", "unique",
    };

    /// <summary>A rate per day asked in so many words ("per day", "daily", "a day"): then (or for a metric defined per day) a weekly grouping may divide by the week's days.</summary>
    public static bool AsksPerDay(string text) => PerDayRegex().IsMatch(text);

    [GeneratedRegex(@"\b(?:per|a|each|every) day\b|\bdaily\b|/ ?day\b")]
    private static partial Regex PerDayRegex();

    /// <summary>A rate per week asked in so many words ("per week", "weekly", "a week"): a weekly count, never divided by the week's days.</summary>
    public static bool AsksPerWeek(string text) => PerWeekRegex().IsMatch(text);

    [GeneratedRegex(@"\b(?:per|a|each|every) (?:week|wk)\b|\bweekly\b|/ ?(?:week|wk)\b")]
    private static partial Regex PerWeekRegex();

    /// <summary>Comparatives: in a yes/no question ("do bigger stories take longer?") they relate two values, which a grouping shows.</summary>
    private static readonly HashSet<string> Comparatives = new(StringComparer.Ordinal)
    {
        "more", "less", "fewer", "greater", "higher", "lower", "longer", "shorter", "bigger", "smaller", "larger", "faster", "slower", "quicker",
        "older", "newer", "earlier", "later", "worse", "better",
    };

    public static bool IsComparative(string token) => Comparatives.Contains(token);

    /// <summary>"do bigger stories take longer?", "are larger PRs slower to merge?": a question about how one value moves with another.</summary>
    public static bool AsksRelation(string text) => RelationRegex().IsMatch(text);

    [GeneratedRegex(@"^(?:do|does|did|are|is|were|was)\s")]
    private static partial Regex RelationRegex();

    /// <summary>Spans of "not counting …", "excluding …": what follows is left out of a period, which the period's bounds show.</summary>
    public static IEnumerable<(int Start, int End)> ExclusionSpans(string text) =>
        Excluded().Matches(text).Select(m => (m.Index, m.Index + m.Length));

    /// <summary>Words ending in -est that are no superlatives.</summary>
    private static readonly HashSet<string> NotSuperlatives = new(StringComparer.Ordinal)
    {
        "request", "interest", "test", "rest", "digest", "suggest", "manifest", "harvest", "contest", "guest", "west", "honest", "modest", "forest",
        "quest", "invest", "protest", "arrest", "latest", "earliest", "nest", "chest", "best", "est",
    };

    /// <summary>A word the judge must place before it vouches for the SQL (see <see cref="Signals"/>), or a superlative.</summary>
    public static bool IsSignal(string token) =>
        Signals.Contains(token) || token.Length > 5 && token.EndsWith("est", StringComparison.Ordinal) && !NotSuperlatives.Contains(token) && token.All(char.IsLetter);

    /// <summary>The unit a duration is asked in ("in hours", "how many days", "days to merge"), by the divisor from seconds that expresses it.</summary>
    public static double? AskedUnit(string text) => AskedUnitRegex().Match(text) is { Success: true } m
        ? m.Groups["u"].Value switch { "hour" => 3600, "day" => 86400, "week" => 604800, _ => null }
        : null;

    [GeneratedRegex(@"\b(?:in|as|into|measured in|expressed in|how many|number of|count of|average|avg|mean|median|total) (?<u>hour|day|week)s\b(?! ago)|\b(?<u>hour|day|week)s (?:it )?(?:takes?|took|needed|spent)? ?(?:to|until|before|from)\b(?! (?:today|now|date))")]
    private static partial Regex AskedUnitRegex();

    /// <summary>"last thirty days" → "last 30 days" (a number word before a unit of time).</summary>
    public static string Digits(string question) =>
        NumberBeforeUnit().Replace(
            Hundreds().Replace(question, m => ((m.Groups[1].Value is "a" or "one" or "" ? 1 : Numbers[m.Groups[1].Value])
                                               * (m.Groups[2].Value.StartsWith("thousand", StringComparison.OrdinalIgnoreCase) ? 1000 : 100)).ToString(CultureInfo.InvariantCulture)),
            m => Numbers[m.Groups[1].Value].ToString(CultureInfo.InvariantCulture));

    /// <summary>"five hundred", "a thousand", "2 hundred": the number, so a threshold of the question reads as written.</summary>
    [GeneratedRegex(@"\b(a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty)\s+(hundred|thousand)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Hundreds();

    /// <summary>Other words for a fixed value the question may use ("deploy failure percentage" asks for status failed).</summary>
    public static IEnumerable<string> ValueWords(string value) => value switch
    {
        "failed" => ["failed", "failure", "failures", "fail", "fails", "failing"],
        "rolled_back" => ["rolled back", "rollback", "rollbacks"],
        _ => [value],
    };

    /// <summary>The lexicon's hits plus the judge's own; the judge's reading of a date phrase replaces the window parser's.</summary>
    public static List<LexiconHit> Adjust(List<LexiconHit> hits, string text, DateOnly today)
    {
        foreach (var (regex, e) in Compiled)
        {
            foreach (Match m in regex.Matches(text))
            {
                foreach (var entity in e.Entities)
                {
                    hits.Add(new LexiconHit(new LexiconEntry(e.Kind, e.Target, e.Pattern) { Entity = entity, Filter = e.Filter, Label = e.Label }, m.Index, m.Length, m.Value));
                }
            }
        }
        // "severity 1 or 2": the second value too.
        foreach (Match m in SeverityList().Matches(text))
        {
            foreach (Capture c in m.Groups["n"].Captures.Skip(1))
            {
                hits.Add(new LexiconHit(new LexiconEntry(ConceptKind.Filter, "sev" + c.Value, "") { Entity = EntityKind.Incident, Filter = FilterKind.Severity, Label = "severity sev" + c.Value },
                    c.Index, c.Length, c.Value));
            }
        }
        // "not counting the current month": not a period of the question.
        foreach (Match m in Excluded().Matches(text))
        {
            hits.RemoveAll(h => h.Entry.Kind == ConceptKind.Window && h.Start >= m.Index && h.Start <= m.Index + m.Length + 1);
        }
        foreach (var (index, length, window) in Windows(text, today))
        {
            hits.RemoveAll(h => h.Entry.Kind == ConceptKind.Window && h.Start < index + length && index < h.End);
            hits.Add(new LexiconHit(new LexiconEntry(ConceptKind.Window, window.Code, "") { Label = window.Label }, index, length, text.Substring(index, length)) { Window = window });
        }
        hits.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length));
        return hits;
    }

    private static IEnumerable<(int Index, int Length, TimeWindow Window)> Windows(string text, DateOnly today)
    {
        var tomorrow = today.AddDays(1);
        foreach (Match m in SinceDate().Matches(text))
        {
            if (ParseDate(m) is { } from && from <= today)
            {
                yield return (m.Index, m.Length, TimeWindow.Between(from, tomorrow, $"{from:yyyy-MM-dd}..{today:yyyy-MM-dd}", "since " + from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
            }
        }
        foreach (Match m in FullPeriods().Matches(text))
        {
            var n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            var unit = m.Groups["u"].Value.TrimEnd('s');
            if (n is < 1 or > 120)
            {
                continue;
            }
            var end = unit switch
            {
                "week" => today.AddDays(-(((int)today.DayOfWeek + 6) % 7)),
                "quarter" => new DateOnly(today.Year, (today.Month - 1) / 3 * 3 + 1, 1),
                _ => new DateOnly(today.Year, today.Month, 1),
            };
            var start = unit switch
            {
                "week" => end.AddDays(-7 * n),
                "quarter" => end.AddMonths(-3 * n),
                _ => end.AddMonths(-n),
            };
            yield return (m.Index, m.Length, TimeWindow.Between(start, end, $"{start:yyyy-MM-dd}..{end.AddDays(-1):yyyy-MM-dd}", $"the last {n} complete {unit}s"));
        }
    }

    private static DateOnly? ParseDate(Match m)
    {
        if (m.Groups["iso"].Success)
        {
            return DateOnly.TryParseExact(m.Groups["iso"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        }
        var month = TimeWindowParser.MonthNumber(m.Groups["mon"].Value);
        var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
        var day = m.Groups["d"].Success ? int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture) : m.Groups["d2"].Success ? int.Parse(m.Groups["d2"].Value, CultureInfo.InvariantCulture) : 1;
        return month >= 1 && day >= 1 && day <= DateTime.DaysInMonth(year, month) ? new DateOnly(year, month, day) : null;
    }

    [GeneratedRegex(@"\bsev(?:erity)?\s?-?(?<n>[1-4])(?:\s*(?:,|or|and|/)\s*(?:sev(?:erity)?\s?-?)?(?<n>[1-4])\b)+")]
    private static partial Regex SeverityList();

    [GeneratedRegex(@"\b(?:not counting|excluding|except(?: for)?|without counting|leaving out|apart from|not(?= (?:this|the current) (?:one|month|week|quarter)\b))\b")]
    private static partial Regex Excluded();

    [GeneratedRegex(@"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|eighteen|twenty|thirty|forty|fifty|sixty|ninety)\b(?=\s+(?:whole |full |complete |completed )?(?:days?|weeks?|months?|quarters?|years?)\b)", RegexOptions.IgnoreCase)]
    private static partial Regex NumberBeforeUnit();

    private const string MonthName = @"(?<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

    [GeneratedRegex(@"\b(?:since|from|starting|after)\s+(?:the\s+(?:start|beginning)\s+of\s+)?(?:(?<iso>\d{4}-\d{2}-\d{2})|(?<d2>\d{1,2})(?:st|nd|rd|th)?\s+" + MonthName + @",?\s+(?<y>\d{4})|" + MonthName + @"(?:\s+(?<d>\d{1,2})(?:st|nd|rd|th)?)?,?\s+(?<y>\d{4}))(?:\s+(?:on(?:wards?)?|until\s+(?:now|today)))?")]
    private static partial Regex SinceDate();

    [GeneratedRegex(@"(?:\b(?:last|past|previous)\s+(?<n>\d+)\s+(?:whole|full|complete|completed)\s+(?<u>months|weeks|quarters)\b)|(?:\b(?<n>\d+)\s+(?:whole|full|complete|completed)\s+(?<u>months|weeks|quarters)\s+before\s+(?:this|the\s+current)\s+(?:one|month|week|quarter)\b)")]
    private static partial Regex FullPeriods();
}
