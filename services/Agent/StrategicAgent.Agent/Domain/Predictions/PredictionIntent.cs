using System.Globalization;
using System.Text.RegularExpressions;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Predictions;

/// <summary>
/// Questions the models and the health figures answer rather than one metric's SQL: each route
/// names the call it needs (the prediction service, or several metrics of the semantic layer).
/// </summary>
public enum PredictionKind
{
    None,

    /// <summary>"When will epic PAY-12 finish?" → PredictTrajectory.</summary>
    EpicCompletion,

    /// <summary>"How many points is PAY-301?" → EstimateComplexity by key.</summary>
    StoryPoints,

    /// <summary>"What is the rework risk of api-gateway#42?" or "which open PRs in api-gateway are most likely to need rework?" → AssessReworkRisk.</summary>
    ReworkRisk,

    /// <summary>"How long will PAY-301 take?" (a story/task/bug) → PredictUnified.</summary>
    IssueOutlook,

    /// <summary>"Estimate story points for a new story: 'Export invoices as CSV'" → EstimateComplexity of a new issue from its text.</summary>
    NewIssueEstimate,

    /// <summary>"What are the odds PAY-12 is done by March 1?" → the epic's forecast and the chance of that date.</summary>
    EpicOdds,

    /// <summary>"Which open epics are at risk of finishing late?" → every open epic's forecast against its team's usual epic lead time.</summary>
    EpicsAtRisk,

    /// <summary>"Any anomalies in the predictions?" → ListAlerts (open ones).</summary>
    OpenAlerts,

    /// <summary>"How are we doing on DORA?" → the five DORA metrics of the semantic layer with their tiers.</summary>
    DoraSummary,
}

/// <param name="Keys">Epic, issue or pull-request keys named in the question.</param>
/// <param name="Repository">A repository whose open pull requests are ranked.</param>
/// <param name="Text">The described new issue's title (<see cref="PredictionKind.NewIssueEstimate"/>).</param>
/// <param name="IssueType">The new issue's type: Story, Task or Bug.</param>
/// <param name="ProjectKey">The project a new issue would belong to, when named.</param>
/// <param name="By">The date asked about (<see cref="PredictionKind.EpicOdds"/>).</param>
/// <param name="Window">The period asked about (<see cref="PredictionKind.DoraSummary"/>); null = the metrics' default.</param>
/// <param name="Severity">Alerts of this severity only.</param>
/// <param name="Filters">Teams and repositories named (<see cref="PredictionKind.DoraSummary"/>).</param>
public sealed record PredictionIntent(PredictionKind Kind, IReadOnlyList<string> Keys, string? Repository, int Limit, string? Reason = null)
{
    public string? Text { get; init; }
    public string IssueType { get; init; } = "Story";
    public string? ProjectKey { get; init; }
    public DateOnly? By { get; init; }
    public TimeWindow? Window { get; init; }
    public string? Severity { get; init; }
    public IReadOnlyList<EntityFilter> Filters { get; init; } = [];

    public static PredictionIntent Unknown(string reason) => new(PredictionKind.None, [], null, 0, reason);
}

/// <summary>
/// Routes questions without a language model: the kind from its wording, issue keys (PAY-12),
/// pull-request keys (api-gateway#42, "PR 42 in api-gateway"), the tenant's repository, team and
/// project names from the vocabulary, a quoted title, a date. <see cref="Route"/> finds only the
/// routed kinds (and leaves every other question to the semantic layer's parser);
/// <see cref="Parse"/> also reads a question the parser already called a prediction.
/// </summary>
public static partial class PredictionIntentParser
{
    public const int MaxKeys = 50;

    /// <summary>
    /// A name pattern matched without regard to case, built once per pattern and culture: every ask tests every team,
    /// repository and project name of the tenant, and .NET's own regex cache holds 15 patterns, so through
    /// <c>Regex.IsMatch(text, pattern, options)</c> each was parsed again on every question. A case-sensitive name
    /// pattern is tested as a substring first instead (it matches the name's literal text).
    /// </summary>
    private static Regex IgnoringCase(string pattern)
    {
        var key = (pattern, CultureInfo.CurrentCulture.Name);
        if (!NamePatterns.TryGetValue(key, out var regex))
        {
            regex = new Regex(pattern, RegexOptions.IgnoreCase);
            if (NamePatterns.Count < MaxNamePatterns)
            {
                NamePatterns[key] = regex;
            }
        }
        return regex;
    }

    private const int MaxNamePatterns = 8192;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Pattern, string Culture), Regex> NamePatterns = new();

    /// <summary>A routed question, or null when the question is for the semantic layer (or the legacy prediction path).</summary>
    public static PredictionIntent? Route(string question, TenantVocabulary vocabulary, DateOnly today)
    {
        var intent = Read(question, vocabulary, today);
        return intent.Kind == PredictionKind.None ? null : intent;
    }

    /// <summary>The prediction a question asks for; <see cref="PredictionKind.None"/> with the reason when it cannot tell.</summary>
    public static PredictionIntent Parse(string question, TenantVocabulary vocabulary) =>
        Read(question, vocabulary, DateOnly.FromDateTime(DateTime.UtcNow), legacy: true);

    private static PredictionIntent Read(string question, TenantVocabulary vocabulary, DateOnly today, bool legacy = false)
    {
        var text = question.Trim().Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('\u201C', '"').Replace('\u201D', '"');
        var lower = text.ToLowerInvariant();
        var issueKeys = IssueKeyRegex().Matches(text.ToUpperInvariant()).Select(m => m.Value).Distinct().Take(MaxKeys).ToList();
        var prKeys = PullRequestKeyRegex().Matches(text).Select(m => m.Groups["repo"].Value.ToLowerInvariant() + "#" + m.Groups["num"].Value)
            .Concat(PullRequestNumberRegex().Matches(lower)
                .Where(m => vocabulary.Repositories.Any(r => r.Equals(m.Groups["repo"].Value, StringComparison.OrdinalIgnoreCase)))
                .Select(m => m.Groups["repo"].Value + "#" + m.Groups["num"].Value))
            .Distinct().Take(MaxKeys).ToList();
        var repository = vocabulary.Repositories
            .Where(r => lower.Contains(r.ToLowerInvariant(), StringComparison.Ordinal) && Regex.IsMatch(lower, $@"(?<![\w-]){Regex.Escape(r.ToLowerInvariant())}(?![\w-])"))
            .OrderByDescending(r => r.Length)
            .FirstOrDefault();

        if (!legacy)
        {
            if (AlertsRegex().IsMatch(lower) && issueKeys.Count == 0 && prKeys.Count == 0)
            {
                var severity = SeverityRegex().Match(lower);
                return new PredictionIntent(PredictionKind.OpenAlerts, [], null, 50) { Severity = severity.Success ? severity.Value : null };
            }
            // A name the route cannot apply (a project for DORA, a repository for epics) leaves the question to the parser.
            var named = NamedFilters(text, vocabulary);
            if (DoraRegex().IsMatch(lower) && !DoraMetricRegex().IsMatch(lower) && !GroupingRegex().IsMatch(lower)
                && named.All(f => f.Kind is FilterKind.Team or FilterKind.Repository))
            {
                return new PredictionIntent(PredictionKind.DoraSummary, [], null, 0)
                {
                    Window = TimeWindowParser.Parse(lower, today)?.Window,
                    Filters = named,
                };
            }
            if (issueKeys.Count == 0 && EpicRegex().IsMatch(lower) && AtRiskRegex().IsMatch(lower) && !GroupingRegex().IsMatch(lower)
                && named.All(f => f.Kind is FilterKind.Team or FilterKind.Project))
            {
                return new PredictionIntent(PredictionKind.EpicsAtRisk, [], null, 0) { Filters = named };
            }
            // The request is outside the described title: "estimate story points for a new story: '…'" is one,
            // "Payments team: story points finished per month?" (a colon, but the words after it are the question) is not.
            if (issueKeys.Count == 0 && prKeys.Count == 0 && Title(text) is { } title && NewIssueEstimateRegex().IsMatch(Request(text).ToLowerInvariant()))
            {
                var kind = NewIssueTypeRegex().Match(lower);
                var project = vocabulary.Projects.FirstOrDefault(p => text.Contains(p.Key, StringComparison.Ordinal) && Regex.IsMatch(text, $@"(?<![\w-]){Regex.Escape(p.Key)}(?![\w-])"));
                return new PredictionIntent(PredictionKind.NewIssueEstimate, [], null, 1)
                {
                    Text = title,
                    IssueType = kind.Success ? char.ToUpperInvariant(kind.Groups["t"].Value[0]) + kind.Groups["t"].Value[1..] : "Story",
                    ProjectKey = project.Key,
                };
            }
            if (issueKeys.Count > 0 && OddsRegex().IsMatch(lower))
            {
                return ByDate(lower, today) is { } by
                    ? new PredictionIntent(PredictionKind.EpicOdds, issueKeys, null, issueKeys.Count) { By = by }
                    : PredictionIntent.Unknown("say by which date, e.g. 'what are the odds PAY-12 is done by March 1?'");
            }
            if (prKeys.Count > 0 && RiskRegex().IsMatch(lower))
            {
                return new PredictionIntent(PredictionKind.ReworkRisk, prKeys, null, prKeys.Count);
            }
            // The rest are the prediction questions the parser routes itself (PredictionRegex); reading them here
            // too would only move the decision, so they are left to it.
            return PredictionIntent.Unknown("not a routed question");
        }

        if (ReworkRegex().IsMatch(lower) || (prKeys.Count > 0 && RiskRegex().IsMatch(lower)))
        {
            if (prKeys.Count > 0)
            {
                return new PredictionIntent(PredictionKind.ReworkRisk, prKeys, null, prKeys.Count);
            }
            if (repository is not null)
            {
                var top = TopRegex().Match(lower);
                var limit = top.Success && int.TryParse(top.Groups["n"].Value, out var n) ? Math.Clamp(n, 1, MaxKeys) : 10;
                return new PredictionIntent(PredictionKind.ReworkRisk, [], repository, limit);
            }
            return PredictionIntent.Unknown("name a repository (e.g. 'open PRs in api-gateway') or pull requests as 'repository#number'");
        }
        if (issueKeys.Count == 0)
        {
            return PredictionIntent.Unknown("name the epic or issue by its key, e.g. PAY-12");
        }
        if (PointsRegex().IsMatch(lower))
        {
            return new PredictionIntent(PredictionKind.StoryPoints, issueKeys, null, issueKeys.Count);
        }
        if (EpicRegex().IsMatch(lower) || CompletionRegex().IsMatch(lower))
        {
            return new PredictionIntent(PredictionKind.EpicCompletion, issueKeys, null, issueKeys.Count);
        }
        if (OutlookRegex().IsMatch(lower))
        {
            return new PredictionIntent(PredictionKind.IssueOutlook, issueKeys, null, issueKeys.Count);
        }
        return PredictionIntent.Unknown("ask when an epic will finish, how many points an issue is, or which pull requests are likely to need rework");
    }

    /// <summary>The described issue's title: the quoted text, else what follows the colon.</summary>
    public static string? Title(string text)
    {
        var quoted = QuotedRegex().Match(text);
        var title = quoted.Success ? quoted.Groups["t"].Value : text.Contains(':', StringComparison.Ordinal) ? text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..] : null;
        title = title?.Trim().TrimEnd('?', '.', '!').Trim().Trim('\'', '"').Trim();
        return string.IsNullOrWhiteSpace(title) || title.Length < 3 ? null : title;
    }

    /// <summary>The question without the described issue's title (<see cref="Title"/>): the quoted text, else what follows the colon, cut out.</summary>
    private static string Request(string text)
    {
        var quoted = QuotedRegex().Match(text);
        return quoted.Success ? text.Remove(quoted.Index, quoted.Length)
            : text.Contains(':', StringComparison.Ordinal) ? text[..text.IndexOf(':', StringComparison.Ordinal)] : text;
    }

    /// <summary>"by March 1", "before 2027-03-01", "by 1 March 2027": the date; a day without a year is the next such day from today.</summary>
    public static DateOnly? ByDate(string lower, DateOnly today)
    {
        var iso = IsoDateRegex().Match(lower);
        if (iso.Success && DateOnly.TryParseExact(iso.Groups["d"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return d;
        }
        var m = MonthDayRegex().Match(lower);
        if (!m.Success)
        {
            return null;
        }
        var month = TimeWindowParser.MonthNumber(m.Groups["m"].Value);
        if (month == 0 || !int.TryParse(m.Groups["d1"].Success ? m.Groups["d1"].Value : m.Groups["d2"].Value, out var day))
        {
            return null;
        }
        var yearText = m.Groups["y1"].Success ? m.Groups["y1"].Value : m.Groups["y2"].Value;
        var explicitYear = int.TryParse(yearText, out var y);
        var year = explicitYear ? y : today.Year;
        if (day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return null;
        }
        var date = new DateOnly(year, month, day);
        return !explicitYear && date < today ? date.AddYears(1) : date;
    }

    /// <summary>
    /// The tenant's team names (capitalised, or after "team"), repository names and project keys
    /// (in capitals, or after "project"; never inside an issue key) named in the question.
    /// </summary>
    private static IReadOnlyList<EntityFilter> NamedFilters(string text, TenantVocabulary vocabulary)
    {
        var filters = new List<EntityFilter>();
        var teams = vocabulary.Teams.Where(n => text.Contains(n, StringComparison.Ordinal) && Regex.IsMatch(text, $@"(?<![\w-]){Regex.Escape(n)}(?![\w-])")
            || IgnoringCase($@"\bteam\s+{Regex.Escape(n)}(?![\w-])|(?<![\w-]){Regex.Escape(n)}\s+team\b").IsMatch(text)).ToList();
        if (teams.Count > 0)
        {
            filters.Add(new EntityFilter(FilterKind.Team, teams));
        }
        var repos = vocabulary.Repositories.Where(n => IgnoringCase($@"(?<![\w-]){Regex.Escape(n)}(?![\w-])").IsMatch(text)).ToList();
        if (repos.Count > 0)
        {
            filters.Add(new EntityFilter(FilterKind.Repository, repos));
        }
        var projects = vocabulary.Projects.Select(p => p.Key).Where(k => text.Contains(k, StringComparison.Ordinal) && Regex.IsMatch(text, $@"(?<![\w-]){Regex.Escape(k)}(?![\w-])")
            || IgnoringCase($@"\bproject\s+{Regex.Escape(k)}(?![\w-])").IsMatch(text)).Distinct().ToList();
        if (projects.Count > 0)
        {
            filters.Add(new EntityFilter(FilterKind.Project, projects));
        }
        return filters;
    }

    [GeneratedRegex(@"\b[A-Z][A-Z0-9_]{0,19}-[1-9][0-9]{0,8}\b")]
    private static partial Regex IssueKeyRegex();

    [GeneratedRegex(@"(?<repo>[A-Za-z0-9][A-Za-z0-9._/-]{0,199})#(?<num>[1-9][0-9]{0,8})\b")]
    private static partial Regex PullRequestKeyRegex();

    [GeneratedRegex(@"\b(?:pr|pull\s+request)\s*#?\s*(?<num>[1-9][0-9]{0,8})\s+(?:in|of|on|from)\s+(?:the\s+)?(?<repo>[a-z0-9][a-z0-9._/-]{0,199})")]
    private static partial Regex PullRequestNumberRegex();

    [GeneratedRegex(@"\brework\b|\breview\s+cycles?\b|\bneed(?:s)?\s+(?:more\s+)?(?:work|changes|rework)\b|\brisk(?:y|iest)?\s+(?:prs?|pull\s+requests?)\b")]
    private static partial Regex ReworkRegex();

    [GeneratedRegex(@"\brisk(?:s|y|iest)?\b|\brework\b|\blikely\s+to\s+need\b|\bchances?\b|\bprobability\b")]
    private static partial Regex RiskRegex();

    [GeneratedRegex(@"\btop\s+(?<n>\d{1,2})\b|\b(?<n>\d{1,2})\s+(?:most|riskiest|prs?|pull)")]
    private static partial Regex TopRegex();

    [GeneratedRegex(@"\b(?:story\s+)?points?\b|\bcomplexity\b|\bhow\s+big\b|\bestimate\b|\beffort\b|\bsize\b")]
    private static partial Regex PointsRegex();

    [GeneratedRegex(@"\bepics?\b")]
    private static partial Regex EpicRegex();

    [GeneratedRegex(@"\b(?:finish|finished|complete|completed|completion|done|deliver(?:ed)?|ship(?:ped)?|land|end|close)\b")]
    private static partial Regex CompletionRegex();

    [GeneratedRegex(@"\bhow\s+long\b|\blead\s+time\b|\btake\b|\boutlook\b|\bpredict")]
    private static partial Regex OutlookRegex();

    [GeneratedRegex(@"\banomal(?:y|ies|ous)\b|\balerts?\b|\balerting\b")]
    private static partial Regex AlertsRegex();

    [GeneratedRegex(@"\b(?:low|medium|high|critical)\b(?=\s+(?:severity\s+)?(?:alerts?|anomal))")]
    private static partial Regex SeverityRegex();

    [GeneratedRegex(@"\bdora\b")]
    private static partial Regex DoraRegex();

    /// <summary>A question naming one DORA metric is that metric's question, not the summary.</summary>
    [GeneratedRegex(@"deploy(?:ment)?s?\s+(?:frequency|cadence)|how\s+(?:often|frequently)|lead\s+times?|change\s+fail|failure\s+rate|restore|recover|mttr|re-?work|deployments?\s+count|incidents?")]
    private static partial Regex DoraMetricRegex();

    [GeneratedRegex(@"\b(?:by|per|each|for\s+every)\s+(?:team|repo(?:sitor(?:y|ies))?|project|week|month|environment|severity)s?\b")]
    private static partial Regex GroupingRegex();

    /// <summary>Late finishing, not low progress ("furthest behind" in % done is the epic-progress metric's).</summary>
    [GeneratedRegex(@"\bat\s+risk\b|\b(?:finish(?:ing)?|be|being|come\s+in|coming\s+in|land(?:ing)?|deliver(?:ed|ing)?|running|run)\s+late\b|\bbehind\s+schedule\b|\bslip(?:ping|s)?\b|\boverdue\b|\bdelayed\b|\bmiss(?:ing)?\s+(?:their|its|the)\s+(?:date|deadline)")]
    private static partial Regex AtRiskRegex();

    [GeneratedRegex(@"\b(?:estimate|how\s+many\s+(?:story\s+)?points|story\s+points|how\s+big|size)\b")]
    private static partial Regex NewIssueEstimateRegex();

    [GeneratedRegex(@"\bnew\s+(?<t>story|task|bug)\b")]
    private static partial Regex NewIssueTypeRegex();

    [GeneratedRegex(@"'(?<t>[^']{3,300})'|""(?<t>[^""]{3,300})""")]
    private static partial Regex QuotedRegex();

    [GeneratedRegex(@"\bodds\b|\bchances?\b|\bprobability\b|\blikel(?:y|ihood)\b")]
    private static partial Regex OddsRegex();

    [GeneratedRegex(@"(?<d>\d{4}-\d{2}-\d{2})")]
    private static partial Regex IsoDateRegex();

    [GeneratedRegex(@"\b(?<m>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?<d1>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?<y1>\d{4}))?\b|\b(?<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?<m>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:,?\s+(?<y2>\d{4}))?\b")]
    private static partial Regex MonthDayRegex();
}
