using System.Text.RegularExpressions;

namespace StrategicAgent.Semantic;

/// <summary>
/// The closed vocabulary around the definitions: how to aggregate, order, compare, group and
/// list, and the function words a question may carry without changing its meaning. A word that
/// could change the meaning (a condition, a unit, a population) is never a function word: left
/// unexplained it makes the agent refuse instead of answering a different question.
/// </summary>
public static partial class Words
{
    public static IReadOnlyList<WordDef> Measures { get; } =
    [
        new("average|avg|mean|on average|averaged|averages|averaging", ConceptKind.Measure, "avg"),
        new("median|p50|50th percentile|typical|typically|middle", ConceptKind.Measure, "median"),
        new("p90|p 90|90th percentile|90 ?th percentile|90 percentile|ninetieth percentile|tail", ConceptKind.Measure, "p90"),
        new("maximum|max|longest ever|largest ever|peak", ConceptKind.Measure, "max"),
        new("minimum|min|shortest ever|smallest ever", ConceptKind.Measure, "min"),
        new("sum|sum of|summed|combined|in total|all together|altogether|cumulative", ConceptKind.Measure, "sum"),
        new("total|totals|total number of|overall number of", ConceptKind.Measure, "total"),
        new("how many times|number of times|(?:and )?how many (?:each|apiece)|how many|number of|count of|counts? of|count|counts|# of|amount of|volume of|tally of|quantity of|how much", ConceptKind.Measure, "count"),
        new("percentage|percentages|percent|pct|share|fraction|proportion|% of|%|portion|what part|how much of|(?<!(?:weekly|daily|monthly|quarterly|yearly|average|avg|mean) )rate of", ConceptKind.Measure, "share"),
        new("ratio|ratios", ConceptKind.Measure, "ratio"),
        new("how long|how quickly|how fast|how slow|how slowly|time (?:it )?(?:takes?|took) to|time to|time taken to|time needed to|duration of|how much time|durations?"
            // "the time for a PR to be merged", "hours to resolution": the rows' duration, the rows named apart.
            + "|time(?= for (?:an? |the |each )?[a-z-]+(?: [a-z-]+)? to )|(?<!(?:\\d|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|sixty|ninety|hundred) )(?:hours|days|minutes) (?:it )?(?:takes?|took )?(?:to|until) (?:resolution|restoration|recovery|closure|completion|merge)"
            + "|(?<!(?:\\d|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|sixty|ninety|hundred) )(?:hours|days|minutes) (?:it )?(?:takes?|took )?(?:to|until)(?= (?:resol|restor|recover|merg|clos|complet|finish|fix|ship|deliver|land))", ConceptKind.Measure, "duration"),
        new("how often|how frequently|frequency of|frequency|freq|cadence|rate", ConceptKind.Measure, "frequency"),
    ];

    public static IReadOnlyList<WordDef> Orders { get; } =
    [
        new("top|best performing", ConceptKind.Order, "top"),
        new("bottom|worst performing", ConceptKind.Order, "bottom"),
        new("highest|most active|most prolific|most often|most frequently|most|largest|biggest|greatest|maximum|max|busiest|heaviest|leading", ConceptKind.Order, "desc"),
        new("lowest|least active|least|fewest|smallest|minimum|min|lightest", ConceptKind.Order, "asc"),
        new("longest|slowest|longest-running", ConceptKind.Order, "slowest"),
        new("shortest|fastest|quickest", ConceptKind.Order, "fastest"),
        new("worst", ConceptKind.Order, "worst"),
        new("best", ConceptKind.Order, "best"),
        new("rank|ranked|ranking|sorted|sort|order|ordered", ConceptKind.Order, "rank"),
        new("furthest behind|most behind|least progressed|least complete|least completed|farthest behind", ConceptKind.Order, "asc"),
        new("closest to (?:done|completion|finished)|most progressed|most complete|furthest along|farthest along", ConceptKind.Order, "desc"),
    ];

    public static IReadOnlyList<WordDef> Comparators { get; } =
    [
        new("more than|over|above|greater than|larger than|bigger than|exceeding|exceeds?|longer than|higher than|>|in excess of|upwards of", ConceptKind.Comparator, nameof(Comparison.GreaterThan)),
        new("at least|or more|minimum of|min of|>=|no fewer than|no less than|\\+|plus", ConceptKind.Comparator, nameof(Comparison.AtLeast)),
        new("less than|fewer than|under|below|smaller than|shorter than|lower than|<|beneath", ConceptKind.Comparator, nameof(Comparison.LessThan)),
        // "within 24 hours", "within two days": only before a number (a period's "within the last 30 days" is the window's).
        new("at most|or fewer|or less|no more than|up to|maximum of|max of|<=|not more than|within(?=\\s+(?:\\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred)\\b)", ConceptKind.Comparator, nameof(Comparison.AtMost)),
        new("exactly|equal to|equals|=|precisely", ConceptKind.Comparator, nameof(Comparison.Equal)),
        new("between", ConceptKind.Comparator, nameof(Comparison.Between)),
    ];

    public static IReadOnlyList<WordDef> GroupingCues { get; } =
    [
        new("by|per|for each|for every|each|every|across|broken down by|break(?:ing)? (?:it )?down by|grouped by|group(?:ed)? by|split by|split(?:ting)? (?:it )?by|breakdown by|by each|in each|for all|among|between|across all|across the|over each|within each", ConceptKind.GroupingCue, "by"),
        new("over time|trend|trends|trending|trend line|history|timeline|evolution|evolve|evolved", ConceptKind.GroupingCue, "trend"),
    ];

    /// <summary>
    /// Function words: grammar, politeness, display verbs and nouns that restrict nothing.
    /// Kept deliberately short of anything that filters, measures or groups.
    /// </summary>
    public static IReadOnlyList<string> StopWords { get; } =
    [
        // articles, determiners, pronouns
        "a", "an", "the", "this", "that", "these", "those", "our", "ours", "my", "we", "us", "me", "i", "you", "your", "their", "they", "them", "its", "it",
        "all", "any", "some", "there", "here", "which", "what", "whats", "whose", "whom", "one", "ones",
        // auxiliaries and plain verbs
        "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "have", "has", "had", "having", "can", "could", "would",
        "should", "shall", "may", "might", "must", "get", "got", "gets", "getting", "take", "takes", "took", "taking", "taken", "make", "made",
        "see", "look", "want", "like", "know", "need", "needs", "happen", "happened", "happening", "exist", "exists", "existing", "go", "went",
        // prepositions, conjunctions
        "of", "in", "on", "at", "to", "for", "from", "with", "within", "into", "about", "than", "as", "and", "or", "nor", "but", "vs", "versus",
        "against", "compared", "compare", "comparing", "comparison", "so", "then", "also", "too", "just", "only", "both", "either", "via", "through",
        "during", "throughout", "when", "while", "where", "how", "whether", "if", "out",
        // display and politeness
        "show", "list", "give", "tell", "display", "find", "report", "provide", "calculate", "compute", "return", "fetch", "pull", "up", "please", "pls", "name", "names",
        "thanks", "thank", "hi", "hello", "hey", "kindly", "let", "i'd", "id", "im", "i'm", "we're", "were", "what's", "who's", "how's", "there's", "it's",
        // nouns and adverbs that restrict nothing
        "number", "numbers", "figure", "figures", "stats", "statistics", "metric", "metrics", "data", "value", "values", "info", "information", "details",
        "overview", "summary", "breakdown", "table", "result", "results", "currently", "now", "overall", "altogether", "actually", "really", "roughly",
        "approximately", "around", "ever", "yet", "still", "already", "whole", "entire", "everything", "everyone", "anyone", "such", "respectively",
        "containing", "contains", "contain", "touching", "touched", "touches", "touch", "including", "includes", "include", "expressed", "measured", "counted",
        "looking", "considering", "among", "amongst", "sitting", "carrying", "having", "got", "gotten", "s", "right", "far", "current", "together", "split",
        "grouped", "broken", "down", "needed", "required", "done", "dora", "change", "makes", "made", "level", "levels", "value", "whose", "been", "ones",
        // politeness, hedges and asides that restrict nothing ("would you mind …", "just curious", "at the moment", "in terms of", "if possible")
        "mind", "curious", "wondering", "wonder", "moment", "check", "terms", "possible", "chance",
        // verbs of receiving that restrict nothing ("the issue that attracted / received the most comments")
        "attracted", "attract", "attracts", "received", "receive", "receives",
        // "work" said of issues ("the Data team's work", "work that isn't done yet"): the rows the other words name; its phrases
        // ("work started", "work in progress", "work items") are the layer's and read first
        "work",
        // what a listing shows anyway ("the most-commented issue: key and title?")
        "key", "keys", "title", "titles",
    ];

    /// <summary>
    /// Words for the issue types the platform's trackers share, read besides the tenant's own type names
    /// (the agent's reader and the judge both): "defects" are bugs, "user stories" stories.
    /// </summary>
    public static IReadOnlyList<(string Pattern, string Type)> IssueTypeWords { get; } =
    [
        (@"sub-?tasks?", "Sub-task"),
        (@"bugs?|defects?|bug reports?", "Bug"),
        (@"(?:user\s+)?stor(?:y|ies)", "Story"),
        (@"tasks?", "Task"),
    ];

    public static IReadOnlyList<ListingDef> Listings { get; } =
    [
        new("largest", "largest", SortOrder.Descending, new Dictionary<EntityKind, string>
        {
            [EntityKind.PullRequest] = "lines_changed",
            [EntityKind.Issue] = "story_points",
            [EntityKind.Epic] = "children",
        }, ["largest", "biggest", "huge", "hugest", "heaviest", "largest-ever", "biggest-ever"]),
        new("smallest", "smallest", SortOrder.Ascending, new Dictionary<EntityKind, string>
        {
            [EntityKind.PullRequest] = "lines_changed",
            [EntityKind.Issue] = "story_points",
            [EntityKind.Epic] = "children",
        }, ["smallest", "tiniest"]),
        new("oldest", "oldest", SortOrder.Ascending, new Dictionary<EntityKind, string>
        {
            [EntityKind.PullRequest] = "created_at",
            [EntityKind.Issue] = "created",
            [EntityKind.Epic] = "created",
            [EntityKind.Deployment] = "deployed_at",
            [EntityKind.Incident] = "created_at",
        }, ["oldest", "earliest", "longest[ -]open", "longest[ -]standing", "stalest", "most stale", "(?:created|opened|raised|reported|filed) first", "first (?:created|opened|raised|reported|filed)"]),
        new("newest", "newest", SortOrder.Descending, new Dictionary<EntityKind, string>
        {
            [EntityKind.PullRequest] = "created_at",
            [EntityKind.Issue] = "created",
            [EntityKind.Epic] = "created",
            [EntityKind.Deployment] = "deployed_at",
            [EntityKind.Incident] = "created_at",
        }, ["newest", "latest", "most recent", "youngest", "last(?= (?:pull requests?|prs?|issues?|tickets?|bugs?|deploy|incidents?|epics?))",
            // "the last 5 production rollbacks": a count of rows after "last" (a period's "last 5 days" is the window's, read first).
            "last(?= (?:\\d+|two|three|four|five|six|seven|eight|nine|ten|twenty) (?!(?:days?|weeks?|wks?|months?|mos?|mths?|quarters?|qtrs?|years?|yrs?|hours?|complete|full|whole)\\b))"]),
        new("slowest", "slowest", SortOrder.Descending, new Dictionary<EntityKind, string>
        {
            [EntityKind.PullRequest] = "time_to_merge_hours",
            [EntityKind.Issue] = "lead_time_days",
            [EntityKind.Epic] = "lead_time_days",
            [EntityKind.Deployment] = "lead_time_hours",
            [EntityKind.Incident] = "time_to_restore_hours",
        }, ["slowest", "longest", "longest[ -]running", "longest[ -]lived", "took the longest", "taking the longest", "long[ -]running"]),
        new("fastest", "fastest", SortOrder.Ascending, new Dictionary<EntityKind, string>
        {
            [EntityKind.PullRequest] = "time_to_merge_hours",
            [EntityKind.Issue] = "lead_time_days",
            [EntityKind.Epic] = "lead_time_days",
            [EntityKind.Deployment] = "lead_time_hours",
            [EntityKind.Incident] = "time_to_restore_hours",
        }, ["fastest", "quickest", "shortest"]),
        new("most_commented", "most commented", SortOrder.Descending, new Dictionary<EntityKind, string>
        {
            [EntityKind.Issue] = "comment_count",
            [EntityKind.Epic] = "comment_count",
        }, ["most[ -]commented", "most discussed", "most comments", "with the most comments", "most talked about"]),
    ];

    /// <summary>
    /// True when <paramref name="before"/> (the lower-case question up to an event verb) ends with a duration's "to": the verb in
    /// "hours to resolve", "time to merge", "days it took to fix", "how long did they take to close" is where the duration ends,
    /// never the event that dates the rows ("average hours to resolve this year's incidents" is of incidents created this year).
    /// The agent's reader and the validation service's judge both ask it.
    /// </summary>
    public static bool EndsDuration(string before) => DurationToRegex().IsMatch(before);

    /// <summary>
    /// A team's name in lower case is a team only where a common word cannot stand: right after "team" / before "team"
    /// (each reader's own rule), or as the question's first word, optionally after "for (the)" — the terse way a team is
    /// named ("payments avg cycle time per qtr", "for platform, deploys last week"). Elsewhere "data", "mobile" or
    /// "platform" are plain words ("on the platform" names every tenant). <paramref name="before"/> is the lower-case
    /// text before the name, <paramref name="after"/> the text after it: a name glued to more ("mobile-app", a repository) or
    /// before "project" ("data project", the project's name) is not the team. The agent's reader and the validation service's judge both ask it.
    /// </summary>
    /// <remarks>
    /// Also after a colon that opens the terse question's subject ("open bugs: mobile vs data"), and, given the tenant's
    /// <paramref name="teams"/>, as the second of two team names compared right there ("mobile vs data": "data" after "mobile vs").
    /// </remarks>
    public static bool LeadsQuestion(string before, string after, IEnumerable<string>? teams = null)
    {
        if (after.StartsWith('-') || after.TrimStart().StartsWith("project", StringComparison.Ordinal))
        {
            return false;
        }
        if (LeadRegex().IsMatch(before))
        {
            return true;
        }
        return teams is not null && SecondTeamRegex().Match(before) is { Success: true } m
            && teams.Any(t => string.Equals(t, m.Groups["t"].Value, StringComparison.OrdinalIgnoreCase))
            && LeadRegex().IsMatch(m.Groups["pre"].Value);
    }

    [GeneratedRegex(@"^(?<pre>.*?)(?<![\w-])(?<t>[a-z]+)\s+(?:vs\.?|versus|and|or)\s*$")]
    private static partial Regex SecondTeamRegex();

    /// <summary>
    /// "…, counting unknown as not over 10", "counting PRs without a file count as not over ten files", "counting those with no lead
    /// time as outside it": a share of a threshold taken of every row, the rows whose value the data left empty counted outside
    /// (the other reading is of the rows with a known value: <see cref="AttributeDef.KnownWhen"/>; without either the words leave
    /// the population open and the share is refused). Group <c>rest</c> is the threshold said again ("over 10"), which the reader
    /// checks against the threshold it read. The agent's reader and the validation service's judge both ask it, on lower-case text.
    /// </summary>
    [GeneratedRegex(@"\bcounting (?:the )?(?:unknowns?|unknown (?:ones|values?|rows|sizes?|counts?)|(?:those|ones|the ones|them|rows|[a-z]+s) (?:without|with no|lacking|missing) (?:one|it|a value|(?:a |an |any )?(?:recorded |known )?[a-z-]+(?: [a-z-]+){0,3}?)) as (?:not (?<rest>[a-z0-9 .-]+?)|outside(?: (?:it|the threshold))?)(?=\s*(?:$|[,;?!)]|\.(?:\s|$)))")]
    public static partial Regex CountingUnknownAsOutside();

    [GeneratedRegex(@"(?:^|^[a-z ]+:)\s*(?:for\s+(?:the\s+)?)?$")]
    private static partial Regex LeadRegex();

    [GeneratedRegex(@"\b(?:hours?|hrs?|days?|minutes?|mins?|time|takes?|took|taking|taken)\s+(?:(?:it|them|us|we)\s+)?(?:to|until)\s+$")]
    private static partial Regex DurationToRegex();
}
