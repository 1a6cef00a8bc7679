using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Agent.Domain.Planning;

public enum RefusalKind
{
    None,
    OutOfScope,
    WriteRequest,
    OtherTenant,
    PromptInjection,
    UnknownEntity,
    UnsupportedDimension,
}

/// <summary>Everything the parser recognised in one question; parts it did not find are null.</summary>
public sealed record ParsedQuestion
{
    public string? Metric { get; init; }
    public string? Aggregate { get; init; }
    public Dimension? Dimension { get; init; }
    public IReadOnlyList<EntityFilter> Filters { get; init; } = [];
    public TimeWindow? Window { get; init; }
    public SortOrder Order { get; init; }
    public int? Limit { get; init; }
    public RefusalKind Refusal { get; init; }
    public string? RefusalReason { get; init; }
    public bool FollowUpCue { get; init; }
    public bool IsPrediction { get; init; }

    public bool HasModifiers => Aggregate is not null || Dimension is not null || Filters.Count > 0 || Window is not null || Order != SortOrder.Default || Limit is not null;
}

/// <summary>
/// The offline planner's deterministic parser: question text → metric + dimension + filters + time
/// window + ordering/top-N, in catalog terms. It never produces SQL; names it finds become filter
/// values that the compiler binds as parameters.
/// </summary>
public static partial class QuestionParser
{
    public static ParsedQuestion Parse(string question, TenantVocabulary vocabulary, DateOnly today)
    {
        var original = Normalize(question);
        var lower = original.ToLowerInvariant();

        var refusal = CheckSafety(lower);
        if (refusal is { } r)
        {
            return new ParsedQuestion { Refusal = r.Kind, RefusalReason = r.Reason };
        }

        // Work on a copy where recognised spans are blanked, so "team Platform" is not also read
        // as "by team" and "story points" is not read as the issue type Story.
        var work = new StringBuilder(lower);
        var filters = new List<EntityFilter>();
        var unknown = new List<string>();

        var window = TimeWindowParser.Parse(lower, today);
        if (window is not null)
        {
            Blank(work, window.Index, window.Length);
        }

        ExtractRepositories(original, work, vocabulary, filters);
        ExtractProjects(original, work, vocabulary, filters, unknown);
        ExtractTeams(original, work, vocabulary, filters, unknown);
        ExtractUsers(work, vocabulary, filters);

        var text = work.ToString();
        var isPrediction = PredictionRegex().IsMatch(text);
        var (metric, aggregate) = DetectMetric(text);
        if (metric is not null && SemanticModel.Default.Metric(metric).Entity == EntityKind.Issue)
        {
            ExtractIssueTypes(work, vocabulary, filters);
            text = work.ToString();
        }
        else if (metric is null)
        {
            // Follow-ups like "only bugs" carry an issue-type filter without a metric.
            ExtractIssueTypes(work, vocabulary, filters);
            text = work.ToString();
        }

        if (unknown.Count > 0)
        {
            return new ParsedQuestion
            {
                Refusal = RefusalKind.UnknownEntity,
                RefusalReason = string.Join("; ", unknown),
            };
        }

        var unsupported = UnsupportedGroupingRegex().Match(text);
        if (unsupported.Success)
        {
            return new ParsedQuestion
            {
                Refusal = RefusalKind.UnsupportedDimension,
                RefusalReason = $"I can't break answers down by {unsupported.Groups["d"].Value}; I can group by team, project, repository, assignee (author for pull requests), issue type, week or month.",
            };
        }

        var dimension = DetectDimension(text);
        var (order, limit, singular) = DetectOrdering(text, metric is null ? null : SemanticModel.Default.Metric(metric));
        if (order != SortOrder.Default && limit is null && singular)
        {
            limit = 1;
        }

        return new ParsedQuestion
        {
            Metric = metric,
            Aggregate = aggregate,
            Dimension = dimension,
            Filters = filters,
            Window = window?.Window,
            Order = order,
            Limit = limit,
            FollowUpCue = FollowUpRegex().IsMatch(lower),
            IsPrediction = isPrediction,
        };
    }

    private static string Normalize(string q)
    {
        var s = q.Normalize(NormalizationForm.FormKC).Replace('\u2019', '\'').Replace('\u2013', '-').Replace('\u2014', '-');
        return WhitespaceRegex().Replace(s, " ").Trim();
    }

    private static void Blank(StringBuilder sb, int index, int length)
    {
        for (var i = index; i < index + length && i < sb.Length; i++)
        {
            sb[i] = ' ';
        }
    }

    private static (RefusalKind Kind, string Reason)? CheckSafety(string lower)
    {
        if (CreativeRegex().IsMatch(lower))
        {
            return (RefusalKind.OutOfScope, "I answer analytics questions about your engineering data; I don't write poems, stories or other free text.");
        }
        if (InjectionRegex().IsMatch(lower))
        {
            return (RefusalKind.PromptInjection,
                "The question asks me to ignore or change my instructions. I only answer analytics questions about your own organisation's data, read-only.");
        }
        if (WriteRegex().IsMatch(lower))
        {
            return (RefusalKind.WriteRequest,
                "I only read data: I cannot delete, update, insert or change anything.");
        }
        if (OtherTenantRegex().IsMatch(lower))
        {
            return (RefusalKind.OtherTenant,
                "I can only answer about your own organisation: other clients' data is not visible to you (or to me on your behalf).");
        }
        return null;
    }

    // ---- entities -------------------------------------------------------------------------

    /// <summary>
    /// Whole-word occurrences of a vocabulary name, ended by <paramref name="end"/> (default: no word character or
    /// hyphen follows). Most names are absent from any one question, so a plain substring test comes first:
    /// building a regex per name (hundreds of users) would cost more than the rest of the parse.
    /// </summary>
    private static List<System.Text.RegularExpressions.Match> Occurrences(string text, string name, string end = @"(?![\w-])") =>
        text.Contains(name, StringComparison.OrdinalIgnoreCase)
            ? Regex.Matches(text, @"(?<![\w-])" + Regex.Escape(name) + end, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant).ToList()
            : [];

    private static void AddFilter(List<EntityFilter> filters, FilterKind kind, string value)
    {
        var i = filters.FindIndex(f => f.Kind == kind);
        if (i < 0)
        {
            filters.Add(new EntityFilter(kind, [value]));
        }
        else if (!filters[i].Values.Contains(value, StringComparer.Ordinal))
        {
            filters[i] = filters[i] with { Values = [.. filters[i].Values, value] };
        }
    }

    private static void ExtractRepositories(string original, StringBuilder work, TenantVocabulary v, List<EntityFilter> filters)
    {
        foreach (var repo in v.Repositories.OrderByDescending(r => r.Length))
        {
            foreach (var m in Occurrences(work.ToString(), repo))
            {
                AddFilter(filters, FilterKind.Repository, repo);
                Blank(work, m.Index, m.Length);
                BlankNeighbourWord(work, m.Index, m.Length, RepoWords);
            }
        }
        _ = original;
    }

    private static readonly string[] RepoWords = ["repo", "repos", "repository", "repositories", "the"];
    private static readonly string[] TeamWords = ["team", "teams", "the", "squad"];
    private static readonly string[] ProjectWords = ["project", "projects", "the"];

    /// <summary>Blanks "team"/"project"/… directly before or after a matched name.</summary>
    private static void BlankNeighbourWord(StringBuilder work, int index, int length, string[] words)
    {
        var s = work.ToString();
        foreach (var w in words)
        {
            var before = Regex.Match(s[..index], @"\b" + w + @"\s+$");
            if (before.Success)
            {
                Blank(work, before.Index, before.Length);
                s = work.ToString();
            }
            var after = Regex.Match(s[(index + length)..], @"^\s+" + w + @"\b");
            if (after.Success)
            {
                Blank(work, index + length + after.Index, after.Length);
                s = work.ToString();
            }
        }
    }

    private static bool NextTo(string lowerWork, int index, int length, string word)
    {
        var before = lowerWork[..index].TrimEnd();
        var after = lowerWork[(index + length)..].TrimStart();
        return before.EndsWith(word, StringComparison.Ordinal) || before.EndsWith(word + "s", StringComparison.Ordinal)
            || after.StartsWith(word, StringComparison.Ordinal);
    }

    private static void ExtractProjects(string original, StringBuilder work, TenantVocabulary v, List<EntityFilter> filters, List<string> unknown)
    {
        foreach (var (key, name) in v.Projects)
        {
            // A key counts when written in capitals (PAY) or right after "project"; never as part of an issue key (PAY-12).
            foreach (var m in Occurrences(original, key, end: @"(?![\w]|-\d)"))
            {
                var s = work.ToString();
                if (s.Substring(m.Index, m.Length).Trim().Length == 0)
                {
                    continue;
                }
                var upper = original.Substring(m.Index, m.Length) == key.ToUpperInvariant();
                if (upper || NextTo(s, m.Index, m.Length, "project"))
                {
                    AddFilter(filters, FilterKind.Project, key);
                    Blank(work, m.Index, m.Length);
                    BlankNeighbourWord(work, m.Index, m.Length, ProjectWords);
                }
            }
            if (!string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var m in Occurrences(work.ToString(), name))
                {
                    if (NextTo(work.ToString(), m.Index, m.Length, "project"))
                    {
                        AddFilter(filters, FilterKind.Project, key);
                        Blank(work, m.Index, m.Length);
                        BlankNeighbourWord(work, m.Index, m.Length, ProjectWords);
                    }
                }
            }
        }
        var unknownMatch = UnknownProjectRegex().Match(original);
        if (unknownMatch.Success && work.ToString().Substring(unknownMatch.Groups["k"].Index, unknownMatch.Groups["k"].Length).Trim().Length > 0)
        {
            var k = unknownMatch.Groups["k"].Value;
            if (!v.Projects.Any(p => string.Equals(p.Key, k, StringComparison.OrdinalIgnoreCase)))
            {
                unknown.Add($"there is no project with key '{k}' (projects: {string.Join(", ", v.Projects.Select(p => p.Key))})");
            }
        }
    }

    private static void ExtractTeams(string original, StringBuilder work, TenantVocabulary v, List<EntityFilter> filters, List<string> unknown)
    {
        foreach (var team in v.Teams.OrderByDescending(t => t.Length))
        {
            foreach (var m in Occurrences(work.ToString(), team))
            {
                var s = work.ToString();
                // Team names are often common words ("Data", "Mobile"): lower-case ones count only next to "team".
                var capitalised = char.IsUpper(original[m.Index]);
                if (capitalised || NextTo(s, m.Index, m.Length, "team") || NextTo(s, m.Index, m.Length, "squad"))
                {
                    AddFilter(filters, FilterKind.Team, team);
                    Blank(work, m.Index, m.Length);
                    BlankNeighbourWord(work, m.Index, m.Length, TeamWords);
                }
            }
        }
        var s2 = work.ToString();
        foreach (var m in UnknownTeamRegex().Matches(original).Cast<System.Text.RegularExpressions.Match>())
        {
            var g = m.Groups["t"];
            if (s2.Substring(g.Index, g.Length).Trim().Length == 0 || StopWords.Contains(g.Value.ToLowerInvariant()))
            {
                continue;
            }
            if (!v.Teams.Any(t => string.Equals(t, g.Value, StringComparison.OrdinalIgnoreCase)))
            {
                unknown.Add($"there is no team called '{g.Value}' (teams: {string.Join(", ", v.Teams)})");
            }
        }
    }

    private static readonly HashSet<string> StopWords = ["with", "has", "had", "have", "is", "was", "that", "which", "by", "in", "for", "of", "and", "or", "the", "a", "an", "on", "over", "per", "lead", "velocity", "throughput"];

    private static void ExtractUsers(StringBuilder work, TenantVocabulary v, List<EntityFilter> filters)
    {
        var text = work.ToString();
        foreach (var user in v.Users.Where(u => u.Contains(' ', StringComparison.Ordinal)).OrderByDescending(u => u.Length))
        {
            var found = Occurrences(text, user);
            foreach (var m in found)
            {
                AddFilter(filters, FilterKind.Assignee, user);
                Blank(work, m.Index, m.Length);
            }
            if (found.Count > 0)
            {
                text = work.ToString();
            }
        }
    }

    private static void ExtractIssueTypes(StringBuilder work, TenantVocabulary v, List<EntityFilter> filters)
    {
        var s = work.ToString();
        // "story points" is a metric, not the issue type Story.
        foreach (var m in StoryPointsRegex().Matches(s).Cast<System.Text.RegularExpressions.Match>())
        {
            Blank(work, m.Index, m.Length);
        }
        s = work.ToString();
        foreach (var (pattern, type) in IssueTypeWords)
        {
            foreach (var m in pattern.Matches(s).Cast<System.Text.RegularExpressions.Match>())
            {
                var canonical = v.IssueTypes.FirstOrDefault(t => string.Equals(t, type, StringComparison.OrdinalIgnoreCase)) ?? type;
                AddFilter(filters, FilterKind.IssueType, canonical);
                Blank(work, m.Index, m.Length);
            }
            s = work.ToString();
        }
    }

    private static readonly (Regex Pattern, string Type)[] IssueTypeWords =
    [
        (new(@"(?<![\w-])sub-?tasks?\b", RegexOptions.Compiled), "Sub-task"),
        (new(@"(?<![\w-])bugs?\b|\bdefects?\b", RegexOptions.Compiled), "Bug"),
        (new(@"(?<![\w-])(?:user\s+)?stor(?:y|ies)\b", RegexOptions.Compiled), "Story"),
        (new(@"(?<![\w-])tasks?\b", RegexOptions.Compiled), "Task"),
        (new(@"(?<![\w-])epics?\b", RegexOptions.Compiled), "Epic"),
    ];

    // ---- metric ---------------------------------------------------------------------------

    private static (string? Metric, string? Aggregate) DetectMetric(string t)
    {
        var agg = MedianRegex().IsMatch(t) ? "median" : P90Regex().IsMatch(t) ? "p90" : AvgRegex().IsMatch(t) ? "avg" : null;
        string? m = null;
        if (RecoveryRegex().IsMatch(t))
        {
            m = "time_to_restore_median_hours";
        }
        else if (ChangeFailRegex().IsMatch(t))
        {
            m = "change_failure_rate_pct";
        }
        else if (ChangeLeadTimeRegex().IsMatch(t))
        {
            m = "change_lead_time_median_hours";
        }
        else if (DeployFrequencyRegex().IsMatch(t))
        {
            m = "deployment_frequency_per_day";
        }
        else if (DeploymentsRegex().IsMatch(t))
        {
            m = "deployments_count";
        }
        else if (IncidentsRegex().IsMatch(t))
        {
            m = "incidents_count";
        }
        else if (EpicLeadTimeRegex().IsMatch(t))
        {
            m = "epic_lead_time_avg_days";
        }
        else if (EpicProgressRegex().IsMatch(t))
        {
            m = "epic_progress_pct";
        }
        else if (ReworkRegex().IsMatch(t))
        {
            m = "rework_rate_pct";
        }
        else if (ReviewCyclesRegex().IsMatch(t))
        {
            m = "review_cycles_avg";
        }
        else if (TimeToMergeRegex().IsMatch(t))
        {
            m = agg switch { "median" => "time_to_merge_median_hours", "p90" => "time_to_merge_p90_hours", _ => "time_to_merge_avg_hours" };
        }
        else if (PrMergedRegex().IsMatch(t))
        {
            m = "prs_merged";
        }
        else if (PrRegex().IsMatch(t))
        {
            m = "prs_opened";
        }
        else if (AvgPointsRegex().IsMatch(t))
        {
            m = "story_points_avg";
        }
        else if (VelocityRegex().IsMatch(t))
        {
            m = "story_points_completed";
        }
        else if (ThroughputRegex().IsMatch(t))
        {
            m = "throughput";
        }
        else if (LeadTimeRegex().IsMatch(t))
        {
            m = agg switch { "median" => "lead_time_median_days", "p90" => "lead_time_p90_days", _ => "lead_time_avg_days" };
        }
        else if (IssueNounRegex().IsMatch(t) && (CountRegex().IsMatch(t) || OpenRegex().IsMatch(t) || CompletedRegex().IsMatch(t) || CreatedRegex().IsMatch(t)))
        {
            m = OpenRegex().IsMatch(t) ? "issues_open" : CompletedRegex().IsMatch(t) ? "issues_completed" : "issues_created";
        }
        return (m, agg);
    }

    private static Dimension? DetectDimension(string t)
    {
        // Explicit "by/per/for each X" wins over a bare noun.
        var m = ByDimensionRegex().Match(t);
        if (m.Success)
        {
            return DimensionOf(m.Groups["d"].Value);
        }
        if (WeeklyRegex().IsMatch(t))
        {
            return Dimension.Week;
        }
        if (MonthlyRegex().IsMatch(t))
        {
            return Dimension.Month;
        }
        m = BareDimensionRegex().Match(t);
        return m.Success ? DimensionOf(m.Groups["d"].Value) : null;
    }

    private static Dimension DimensionOf(string word) => word switch
    {
        _ when word.StartsWith("team", StringComparison.Ordinal) || word.StartsWith("squad", StringComparison.Ordinal) => Dimension.Team,
        _ when word.StartsWith("project", StringComparison.Ordinal) => Dimension.Project,
        _ when word.StartsWith("repo", StringComparison.Ordinal) || word.StartsWith("codebase", StringComparison.Ordinal) || word.StartsWith("service", StringComparison.Ordinal) => Dimension.Repository,
        _ when word.Contains("type", StringComparison.Ordinal) || word.StartsWith("kind", StringComparison.Ordinal) => Dimension.IssueType,
        _ when word.StartsWith("week", StringComparison.Ordinal) => Dimension.Week,
        _ when word.StartsWith("month", StringComparison.Ordinal) => Dimension.Month,
        _ when word.StartsWith("epic", StringComparison.Ordinal) => Dimension.Epic,
        _ => Dimension.Assignee,
    };

    private static (SortOrder Order, int? Limit, bool Singular) DetectOrdering(string t, MetricDef? metric)
    {
        int? limit = null;
        var order = SortOrder.Default;
        var top = TopRegex().Match(t);
        if (top.Success)
        {
            limit = TimeWindowParser.ParseCount(top.Groups["n"].Value);
            order = top.Groups["dir"].Value is "bottom" or "last" ? SortOrder.Ascending : SortOrder.Descending;
        }
        var polarity = metric?.Polarity ?? Polarity.Duration;
        var sup = SuperlativeRegex().Match(t);
        if (sup.Success)
        {
            var w = sup.Groups["w"].Value;
            var high = w switch
            {
                "slowest" or "longest" => polarity != Polarity.Volume || metric is null || metric.Unit is "days" or "hours",
                "fastest" or "quickest" or "shortest" => polarity == Polarity.Volume && metric?.Unit is not ("days" or "hours"),
                "worst" => polarity != Polarity.Volume,
                "best" => polarity == Polarity.Volume,
                "furthest behind" or "most behind" or "least progressed" or "least complete" => false,
                "lowest" or "least" or "fewest" or "smallest" or "minimum" or "min" => false,
                _ => true,
            };
            order = high ? SortOrder.Descending : SortOrder.Ascending;
            if (sup.Groups["n"].Success && sup.Groups["n"].Value.Length > 0)
            {
                limit ??= TimeWindowParser.ParseCount(sup.Groups["n"].Value);
            }
        }
        var singular = SingularRegex().IsMatch(t);
        if (order != SortOrder.Default && limit is null && !singular && PluralSuperlativeRegex().IsMatch(t))
        {
            limit = 5;
        }
        return (order, limit, singular);
    }

    // ---- patterns -------------------------------------------------------------------------

    [GeneratedRegex(@"\b(?:write|compose|tell|sing|draft)\s+(?:me\s+)?(?:a|an|some)\s+(?:poem|song|story|essay|haiku|joke|limerick|letter|email)\b")]
    private static partial Regex CreativeRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();

    [GeneratedRegex(@"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|rules?|prompt|guardrails?|above|previous|prior)\b|\bsystem\s+prompt\b|\byou\s+are\s+now\b|\bjailbreak\b|\bdeveloper\s+mode\b|\bact\s+as\b")]
    private static partial Regex InjectionRegex();

    [GeneratedRegex(@"\b(?:delete|drop|truncate|insert|alter|grant|revoke|update\s+(?:the\s+)?(?:issues|teams|users|projects|table|set)|create\s+(?:table|index|role|user)|remove\s+(?:all|every)|wipe|erase|set\s+\w+\s*=)\b|;\s*(?:select|with)\b|--|/\*")]
    private static partial Regex WriteRegex();

    [GeneratedRegex(@"\b(?:client|tenant|customer|organi[sz]ation|company|org)(?:_id|\s+id)?\s*(?:#|=|:|no\.?|number)?\s*\d+\b|\bclient_id\b|\b(?:all|other|every|another|different)\s+(?:clients|tenants|customers|organi[sz]ations|companies|orgs)\b|\bacross\s+(?:all\s+)?(?:clients|tenants|customers)\b|\bapp\.client_id\b|\brow[\s-]level\s+security\b|\bbypass\b")]
    private static partial Regex OtherTenantRegex();

    [GeneratedRegex(@"\b(?:predict|predicted|prediction|forecast|when\s+will|will\s+\w+(?:\s+\w+)?\s+(?:finish|be\s+done|complete)|likely\s+to|expected\s+completion|how\s+long\s+will|estimate\s+(?:the\s+)?(?:story\s+points|complexity|completion)|how\s+many\s+(?:story\s+)?points\s+(?:is|are|will|would|should)|(?:need|needs|needing)\s+rework)\b")]
    private static partial Regex PredictionRegex();

    [GeneratedRegex(@"^\s*(?:and|also|what\s+about|how\s+about|same\s+(?:for|but)|now|only|just|instead|then|but)\b|\binstead\b")]
    private static partial Regex FollowUpRegex();

    [GeneratedRegex(@"\bproject\s+(?<k>[A-Z][A-Z0-9_]{1,9})\b")]
    private static partial Regex UnknownProjectRegex();

    [GeneratedRegex(@"\bteam\s+(?<t>[A-Z][\w-]+)")]
    private static partial Regex UnknownTeamRegex();

    [GeneratedRegex(@"\bstory[\s-]+points?\b|\bstorypoints?\b")]
    private static partial Regex StoryPointsRegex();

    [GeneratedRegex(@"\bmedian\b|\bp50\b|\b50th\b|\btypical\b")]
    private static partial Regex MedianRegex();

    [GeneratedRegex(@"\bp90\b|\b90th\b|\b90\s*(?:th\s*)?percentile\b|\bninetieth\b|\btail\b")]
    private static partial Regex P90Regex();

    [GeneratedRegex(@"\baverage\b|\bavg\b|\bmean\b")]
    private static partial Regex AvgRegex();

    [GeneratedRegex(@"\bmttr\b|\bmean\s+time\s+to\s+(?:recover|recovery|restore|repair|resolve)\b|\btime\s+to\s+(?:restore|recover)\b|\brecovery\s+time\b|\brestore\s+service\b|\bfailed\s+deployment\s+recovery\b|\b(?:recover|resolve)\s+(?:from\s+)?incidents\b|\bincident\s+(?:resolution|recovery)\s+time\b|\bhow\s+(?:long|quickly|fast)\b.{0,40}\b(?:recover|restore|resolve\s+incidents)\b")]
    private static partial Regex RecoveryRegex();

    [GeneratedRegex(@"\bchange\s+fail(?:ure)?\s+rate\b|\bcfr\b|\b(?:failed|failing)\s+(?:deployments?|deploys?|changes)\s+(?:rate|ratio|percentage|share|%)|\b(?:deployments?|deploy|change)\s+fail(?:ure)?\s+(?:rate|ratio|percentage)\b|\b(?:percentage|share|ratio|proportion|%)\s+of\s+(?:deployments?|deploys|changes)\s+(?:that\s+)?(?:fail|failed|break|broke|cause)|\bhow\s+often\s+do\s+(?:deployments?|deploys|changes)\s+fail\b")]
    private static partial Regex ChangeFailRegex();

    [GeneratedRegex(@"\blead\s+time\s+(?:for|of)\s+changes\b|\bchange\s+lead\s+time\b|\bcommit[\s-]+to[\s-]+(?:deploy|production)\b|\bdeploy(?:ment)?\s+lead\s+time\b")]
    private static partial Regex ChangeLeadTimeRegex();

    [GeneratedRegex(@"\bdeploy(?:ment)?s?\s+frequency\b|\bhow\s+(?:often|frequently)\b.{0,30}\b(?:deploy|ship|release)|\b(?:deploy(?:ment)?s?|releases?)\s+(?:per|a)\s+day\b|\brelease\s+frequency\b|\bdeploy(?:ment)?\s+cadence\b")]
    private static partial Regex DeployFrequencyRegex();

    [GeneratedRegex(@"\bdeploy(?:ment)?s\b|\bdeploys\b|\breleases\b")]
    private static partial Regex DeploymentsRegex();

    [GeneratedRegex(@"\bincidents?\b|\boutages?\b")]
    private static partial Regex IncidentsRegex();

    [GeneratedRegex(@"\bepics?\s+(?:lead|cycle)\s+time\b|\b(?:lead|cycle)\s+time\s+(?:of|for)\s+(?:the\s+|our\s+|completed\s+|done\s+)*epics\b|\bhow\s+long\s+(?:do|did|does)\s+(?:the\s+|our\s+)?epics?\s+take\b|\bepic\s+duration\b")]
    private static partial Regex EpicLeadTimeRegex();

    [GeneratedRegex(@"\bepics?\b.{0,40}\b(?:progress|progressed|complete|completion|percent|%|done\s+so\s+far|behind|status|how\s+far|closest\s+to\s+done)\b|\b(?:progress|completion)\s+(?:of|on)\s+(?:the\s+|our\s+|open\s+|all\s+)*epics?\b|\bepic\s+progress\b")]
    private static partial Regex EpicProgressRegex();

    [GeneratedRegex(@"\bre-?work\b|\bre-?worked\b|\bchurn\b")]
    private static partial Regex ReworkRegex();

    [GeneratedRegex(@"\breview\s+(?:cycles|rounds|iterations|loops)\b|\brounds\s+of\s+review\b|\breview\s+cycle\b")]
    private static partial Regex ReviewCyclesRegex();

    [GeneratedRegex(@"\btime[\s-]+to[\s-]+merge\b|\bmerge\s+time\b|\b(?:prs?|pull\s+requests?)\b.{0,40}\btake\s+to\s+(?:get\s+)?merge|\bhow\s+long\b.{0,40}\b(?:prs?|pull\s+requests?)\b|\b(?:pr|pull\s+request)\s+(?:cycle|lead)\s+time\b|\b(?:cycle|lead)\s+time\s+(?:of|for)\s+(?:the\s+|our\s+)?(?:prs?|pull\s+requests?)\b|\bhow\s+(?:fast|quickly)\b.{0,40}\bmerge")]
    private static partial Regex TimeToMergeRegex();

    [GeneratedRegex(@"\bmerged\s+(?:prs?|pull\s+requests?)\b|\b(?:prs?|pull\s+requests?)\s+(?:were\s+|got\s+|have\s+been\s+)?merged\b|\bmerges\b")]
    private static partial Regex PrMergedRegex();

    [GeneratedRegex(@"\bprs\b|\bpr\b|\bpull\s+requests?\b")]
    private static partial Regex PrRegex();

    [GeneratedRegex(@"\b(?:average|avg|mean|typical)\s+(?:story\s+)?points?\b|\bpoints?\s+per\s+(?:issue|ticket|story)\b|\bhow\s+big\b|\b(?:average|avg|mean)\s+(?:size|estimate)\b")]
    private static partial Regex AvgPointsRegex();

    [GeneratedRegex(@"\bvelocity\b|\bstory[\s-]+points?\b|\bpoints\s+(?:delivered|completed|burned|done|closed)\b|\bstorypoints?\b")]
    private static partial Regex VelocityRegex();

    [GeneratedRegex(@"\bthroughput\b|\bdelivery\s+rate\b|\b(?:issues|tickets|items|stories|work\s+items)\s+(?:completed|closed|done|resolved|finished)\s+(?:per|a|each)\s+(?:week|month)\b")]
    private static partial Regex ThroughputRegex();

    [GeneratedRegex(@"\blead\s+time\b|\bcycle\s+time\b|\blead[\s-]time\b|\bhow\s+long\s+(?:do|does|did|it\s+takes?|it\s+took|is\s+it\s+taking)\b|\btime\s+to\s+(?:complete|close|resolve|finish|deliver|done)\b|\bresolution\s+time\b|\bturnaround\b|\bslowest\b|\bfastest\b|\btake\s+(?:the\s+)?longest\b|\btook\s+(?:the\s+)?longest\b")]
    private static partial Regex LeadTimeRegex();

    [GeneratedRegex(@"\b(?:issues?|tickets?|bugs?|defects?|stor(?:y|ies)|tasks?|sub-?tasks?|work\s+items?|epics?|items)\b")]
    private static partial Regex IssueNounRegex();

    [GeneratedRegex(@"\bhow\s+many\b|\bnumber\s+of\b|\bcount\b|\bcounts\b|\btotal\b|\bvolume\b|\bamount\s+of\b")]
    private static partial Regex CountRegex();

    [GeneratedRegex(@"\b(?:open|unresolved|not\s+done|still\s+open|backlog|outstanding|pending|in\s+progress|remaining|unfinished)\b")]
    private static partial Regex OpenRegex();

    [GeneratedRegex(@"\b(?:complet(?:e|ed|es)|clos(?:e|ed|es)|resolv(?:e|ed|es)|finish(?:ed|es)?|deliver(?:ed|s)?|ship(?:ped|s)?|fix(?:ed|es)?|done)\b")]
    private static partial Regex CompletedRegex();

    [GeneratedRegex(@"\b(?:created|opened|raised|filed|reported|logged|new|added)\b")]
    private static partial Regex CreatedRegex();

    [GeneratedRegex(@"\b(?:by|per|for\s+each|for\s+every|each|every|across|broken\s+down\s+by|grouped\s+by|split\s+by|between)\s+(?:the\s+|all\s+)?(?<d>teams?|squads?|projects?|repos?|repositories|repository|codebases?|services|assignees?|developers?|engineers?|authors?|people|persons?|contributors?|users?|issue\s+types?|types?|kinds?|weeks?|months?|epics?)\b")]
    private static partial Regex ByDimensionRegex();

    [GeneratedRegex(@"\b(?:by|per|for\s+each|across|broken\s+down\s+by|grouped\s+by|split\s+by)\s+(?:the\s+|each\s+)?(?<d>severity|severities|priority|priorities|status|statuses|environments?|labels?|components?|sprints?|quarters?|years?|customers?|reporters?|clients?|tenants?|companies|company)\b")]
    private static partial Regex UnsupportedGroupingRegex();

    [GeneratedRegex(@"\bweekly\b|\bweek\s+(?:over|by|on)\s+week\b|\bper\s+week\b|\bevery\s+week\b")]
    private static partial Regex WeeklyRegex();

    [GeneratedRegex(@"\bmonthly\b|\bmonth\s+(?:over|by|on)\s+month\b|\btrend(?:s|ing)?\b|\bover\s+time\b|\bper\s+month\b")]
    private static partial Regex MonthlyRegex();

    [GeneratedRegex(@"\b(?<d>teams?|squads?|projects?|repos?|repositories|repository|codebases?|assignees?|developers?|engineers?|authors?|people|who|contributors?|issue\s+types?|week|month)\b")]
    private static partial Regex BareDimensionRegex();

    [GeneratedRegex(@"\b(?<dir>top|bottom|first|last)\s+(?<n>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b")]
    private static partial Regex TopRegex();

    [GeneratedRegex(@"\b(?:(?<n>\d{1,3}|two|three|four|five|ten)\s+)?(?<w>highest|most|largest|biggest|longest|maximum|max|greatest|worst|slowest|best|fastest|quickest|shortest|lowest|least\s+progressed|least\s+complete|least|fewest|smallest|minimum|min|furthest\s+behind|most\s+behind|busiest)\b")]
    private static partial Regex SuperlativeRegex();

    [GeneratedRegex(@"\b(?:which|what|the|highest|most|largest|biggest|longest|worst|slowest|best|fastest|quickest|shortest|lowest|fewest|smallest|busiest)\s+(?:\w+\s+)?(?:team|squad|project|repo|repository|person|developer|engineer|author|assignee|epic|week|month|issue\s+type|type)\b(?!s)|\bwho\b")]
    private static partial Regex SingularRegex();

    [GeneratedRegex(@"\b(?:teams|projects|repos|repositories|developers|engineers|authors|assignees|epics|weeks|months|people)\b")]
    private static partial Regex PluralSuperlativeRegex();
}
