namespace StrategicAgent.Semantic;

/// <summary>The kinds of rows a question can count, measure or list.</summary>
public enum EntityKind
{
    Issue,
    Epic,
    PullRequest,
    Deployment,
    Incident,
}

/// <summary>
/// What a result can be grouped by. The names are persisted (conversation plans), so existing
/// members keep their names; new ones are appended.
/// </summary>
public enum Dimension
{
    None,
    Team,
    Project,
    Repository,
    /// <summary>The person: an issue's assignee, a pull request's author.</summary>
    Assignee,
    IssueType,
    Week,
    Month,
    Epic,
    Quarter,
    Severity,
    Environment,
    Priority,
    /// <summary>An issue's status category (To Do / In Progress / Done), a PR's or deployment's status.</summary>
    Status,
    /// <summary>An issue's story-point value (1, 2, 3, 5, 8 …).</summary>
    StoryPoints,
    /// <summary>The person who reported (created, filed) an issue: <c>issues.reporter_id</c>, not its assignee.</summary>
    Reporter,
}

/// <summary>
/// Filters on a dimension's value: the tenant's names (team, project, repository, issue type,
/// person) or a fixed value set (severity, environment, priority, status). Values are always bound
/// as parameters. Names persisted like <see cref="Dimension"/>.
/// </summary>
public enum FilterKind
{
    Project,
    Team,
    Repository,
    IssueType,
    Assignee,
    Severity,
    Environment,
    Priority,
    Status,
}

/// <summary>How to read "best", "worst", "slowest", "fastest" for a measure.</summary>
public enum Polarity
{
    /// <summary>A duration: higher is slower and worse (lead time, time to merge).</summary>
    Duration,
    /// <summary>A volume: higher is more (counts, points, throughput, deployment frequency).</summary>
    Volume,
    /// <summary>A rate of something bad: higher is worse (rework rate, change fail rate).</summary>
    BadRate,
}

/// <summary>How a measure turns rows into a value.</summary>
public enum Aggregation
{
    Count,
    Sum,
    Avg,
    Median,
    P90,
    Min,
    Max,
    /// <summary>Percent of the rows that satisfy a predicate.</summary>
    Share,
    /// <summary>Rows per day of the period (or per week/month bucket when grouped by it).</summary>
    RatePerDay,
    /// <summary>No aggregate: one value per row (listings: "the 5 largest PRs").</summary>
    Value,
    /// <summary>A measure spelled out in the definition itself (epic progress over child issues).</summary>
    Custom,
    /// <summary>Rows of one subset per row of another ("bugs per story"): a plain ratio, not a percent.</summary>
    Ratio,
}

/// <summary>A numeric threshold's comparison ("more than", "at least", "under", "between").</summary>
public enum Comparison
{
    GreaterThan,
    AtLeast,
    LessThan,
    AtMost,
    Equal,
    Between,
}

public enum AttributeType
{
    Number,
    Text,
    Timestamp,
}

/// <summary>What a word or phrase of a question means, in the lexicon.</summary>
public enum ConceptKind
{
    /// <summary>A catalogued metric by name ("lead time", "rework rate").</summary>
    Metric,
    /// <summary>The rows asked about ("pull requests", "bugs" is an issue-type value).</summary>
    Entity,
    /// <summary>A numeric or time attribute of an entity ("changed files", "comments").</summary>
    Attribute,
    /// <summary>How to aggregate ("average", "median", "how many", "percentage of").</summary>
    Measure,
    /// <summary>A condition on rows: a predicate ("unassigned", "merged") or a dimension value ("sev1", "failed").</summary>
    Filter,
    /// <summary>A grouping noun ("team", "repository", "severity").</summary>
    Grouping,
    /// <summary>A word that turns the next noun into a grouping ("by", "per", "for each").</summary>
    GroupingCue,
    /// <summary>A time window ("last quarter", "in 2025").</summary>
    Window,
    /// <summary>Ordering and limits ("top 5", "highest", "fewest").</summary>
    Order,
    /// <summary>A comparison for a numeric threshold ("more than", "at least", "under").</summary>
    Comparator,
    /// <summary>Top/bottom rows of an entity by an attribute ("largest", "oldest", "most commented").</summary>
    Listing,
    /// <summary>An event of an entity that picks the time column ("created", "merged", "resolved").</summary>
    Event,
}

public enum SortOrder
{
    Default,
    Ascending,
    Descending,
}
