namespace StrategicAgent.Semantic;

/// <summary>
/// An additive measure a rollup carries for a numeric attribute: <see cref="SumColumn"/> holds the sum of the
/// attribute's base column over the group's rows and <see cref="CountColumn"/> how many of them have it set,
/// so a sum is <c>sum(SumColumn)</c> and an average <c>sum(SumColumn) / sum(CountColumn)</c> (with
/// <see cref="Scale"/>, the attribute's own unit conversion: lead time in seconds read as days).
/// </summary>
/// <param name="Attribute">The entity attribute it carries (<c>story_points</c>, <c>lead_time_days</c>).</param>
/// <param name="BaseColumn">The base table's column the sums are of.</param>
/// <param name="NotNullPredicate">The entity predicate "the base column is set" (<c>has_lead_time</c>), which the count column expresses; null when the entity names none.</param>
public sealed record RollupMeasure(string Attribute, string BaseColumn, string SumColumn, string CountColumn, string Scale = "", string? NotNullPredicate = null);

/// <summary>
/// A key a rollup carries from a joined table instead of the base row's own column: the issue rollups key by the status
/// category (<c>sm.status_to</c>, through <c>statuses</c> → <c>status_mappings</c>) rather than by the status, since every
/// question reads the category. The rollup's <see cref="Column"/> stands for <see cref="Expression"/> wherever an entity
/// predicate or dimension binding reads it, the <see cref="Joins"/> it replaces are left out, and
/// <c>Column IS NOT NULL</c> keeps exactly the base rows those inner joins keep (a status that maps to no category).
/// </summary>
/// <param name="Column">The rollup's column (<c>status_to</c>).</param>
/// <param name="Expression">The entity's expression it carries (<c>sm.status_to</c>).</param>
/// <param name="BaseColumn">That expression's column as table.column (<c>status_mappings.status_to</c>), for the judge.</param>
/// <param name="Joins">The entity joins the expression needs over the base rows (<c>status</c>, <c>status_mapping</c>).</param>
/// <param name="Tables">The tables those joins read (<c>statuses</c>, <c>status_mappings</c>).</param>
public sealed record RollupCarried(string Column, string Expression, string BaseColumn, IReadOnlyList<string> Joins, IReadOnlyList<string> Tables);

/// <summary>
/// A pre-aggregated table on the replica (migrations <c>Replica/0700_issue_rollups.sql</c>, <c>0710_issue_rollups_status_category.sql</c>): one row per tenant,
/// UTC day of <see cref="TimeAttribute"/> and key, with additive measures, kept fresh by triggers on the base
/// table. Its day column has the base time column's name and its keys the base key columns' names, so the
/// entity's joins, dimension bindings and predicates read it under the entity's alias as they read the base rows.
/// A plan fits when every filter, grouping and condition is one of <see cref="Filters"/>, <see cref="Dimensions"/>
/// and <see cref="Predicates"/>, its window is whole UTC days and its measure a count, a sum or an average of a
/// carried attribute (the agent's <c>RollupCompiler</c>; the validation judge reads the table as <see cref="BaseTable"/>).
/// </summary>
public sealed record RollupDef
{
    public required string Table { get; init; }
    public required EntityKind Entity { get; init; }
    public required string BaseTable { get; init; }

    /// <summary>The entity's time attribute the day is of; the day column has the name of its base column.</summary>
    public required string TimeAttribute { get; init; }
    public required string TimeColumn { get; init; }

    /// <summary>The rows of the group (a count over the base rows is <c>sum(n)</c>).</summary>
    public string CountColumn { get; init; } = "n";

    /// <summary>Key columns, named as in the base table.</summary>
    public required IReadOnlyList<string> Keys { get; init; }

    /// <summary>Keys carried from a joined table (the status category).</summary>
    public IReadOnlyList<RollupCarried> Carried { get; init; } = [];

    /// <summary>Entity joins that read only the keys (project → team, issue type); the carried keys' joins are left out.</summary>
    public required IReadOnlyList<string> Joins { get; init; }
    public required IReadOnlyList<Dimension> Dimensions { get; init; }
    public required IReadOnlyList<FilterKind> Filters { get; init; }

    /// <summary>Entity predicates that read only the keys, their joins and the carried keys (done, not done …).</summary>
    public required IReadOnlyList<string> Predicates { get; init; }

    /// <summary>Predicates true of every row the rollup counts (the completed rollup holds only completed issues): kept in the SQL as over the base rows.</summary>
    public IReadOnlyList<string> Implied { get; init; } = [];

    /// <summary>The entity's base conditions every rollup row already satisfies (only active issues are rolled up).</summary>
    public required IReadOnlyList<string> BaseConditions { get; init; }
    public IReadOnlyList<RollupMeasure> Measures { get; init; } = [];

    public RollupMeasure? Measure(string attribute) => Measures.FirstOrDefault(m => m.Attribute == attribute);

    /// <summary>The carried key whose joins include that entity join, if any.</summary>
    public RollupCarried? CarriedBy(string join) => Carried.FirstOrDefault(c => c.Joins.Contains(join));
}

/// <summary>The rollups the replica keeps (migrations <c>Replica/0700_issue_rollups.sql</c>, <c>0710_issue_rollups_status_category.sql</c>, <c>0720_pull_request_rollups.sql</c>).</summary>
public static class Rollups
{
    private static readonly string[] IssueKeys = ["project_id", "issuetype_id"];
    private static readonly string[] IssueJoins = ["project", "team", "issuetype"];
    private static readonly RollupCarried[] IssueCarried =
        [new("status_to", "sm.status_to", "status_mappings.status_to", ["status", "status_mapping"], ["statuses", "status_mappings"])];
    private static readonly Dimension[] IssueDimensions = [Dimension.Team, Dimension.Project, Dimension.IssueType, Dimension.Status, Dimension.Week, Dimension.Month, Dimension.Quarter];
    private static readonly FilterKind[] IssueFilters = [FilterKind.Team, FilterKind.Project, FilterKind.IssueType, FilterKind.Status];
    private static readonly string[] IssueStates = ["done", "not_done", "in_progress", "to_do"];
    private static readonly RollupMeasure StoryPoints = new("story_points", "story_points", "story_points_sum", "story_points_n");

    public static RollupDef IssuesCreated { get; } = new()
    {
        Table = "issues_created_daily", Entity = EntityKind.Issue, BaseTable = "issues",
        TimeAttribute = "created", TimeColumn = "created",
        Keys = IssueKeys, Carried = IssueCarried, Joins = IssueJoins, Dimensions = IssueDimensions, Filters = IssueFilters, Predicates = IssueStates,
        BaseConditions = ["i.active"],
        Measures = [StoryPoints],
    };

    public static RollupDef IssuesCompleted { get; } = new()
    {
        Table = "issues_completed_daily", Entity = EntityKind.Issue, BaseTable = "issues",
        TimeAttribute = "completed", TimeColumn = "work_last_completed_at",
        Keys = IssueKeys, Carried = IssueCarried, Joins = IssueJoins, Dimensions = IssueDimensions, Filters = IssueFilters, Predicates = IssueStates,
        Implied = ["completed"],
        BaseConditions = ["i.active"],
        Measures =
        [
            StoryPoints,
            new("lead_time_days", "total_lead_time_seconds", "lead_time_seconds_sum", "lead_time_n", " / 86400.0", "has_lead_time"),
        ],
    };

    private static readonly string[] PullRequestKeys = ["repository_id", "status"];
    private static readonly string[] PullRequestJoins = ["repository", "team"];
    private static readonly Dimension[] PullRequestDimensions = [Dimension.Team, Dimension.Repository, Dimension.Status, Dimension.Week, Dimension.Month, Dimension.Quarter];
    private static readonly FilterKind[] PullRequestFilters = [FilterKind.Team, FilterKind.Repository, FilterKind.Status];
    private static readonly string[] PullRequestStates = ["open", "closed_unmerged"];
    private static readonly RollupMeasure[] PullRequestMeasures =
        [.. new[] { "commit_count", "changed_files", "additions", "deletions", "review_cycles", "rework_commit_count" }.Select(a => new RollupMeasure(a, a, a + "_sum", a + "_n"))];

    public static RollupDef PullRequestsCreated { get; } = new()
    {
        Table = "pull_requests_created_daily", Entity = EntityKind.PullRequest, BaseTable = "pull_requests",
        TimeAttribute = "created_at", TimeColumn = "created_at",
        Keys = PullRequestKeys, Joins = PullRequestJoins, Dimensions = PullRequestDimensions, Filters = PullRequestFilters, Predicates = PullRequestStates,
        BaseConditions = ["pr.active"],
        Measures = PullRequestMeasures,
    };

    public static RollupDef PullRequestsMerged { get; } = new()
    {
        Table = "pull_requests_merged_daily", Entity = EntityKind.PullRequest, BaseTable = "pull_requests",
        TimeAttribute = "merged_at", TimeColumn = "merged_at",
        Keys = PullRequestKeys, Joins = PullRequestJoins, Dimensions = PullRequestDimensions, Filters = PullRequestFilters, Predicates = PullRequestStates,
        Implied = ["merged"],
        BaseConditions = ["pr.active"],
        Measures = PullRequestMeasures,
    };

    public static IReadOnlyList<RollupDef> All { get; } = [IssuesCreated, IssuesCompleted, PullRequestsCreated, PullRequestsMerged];

    /// <summary>The rollup of the entity by the time attribute, if the replica keeps one.</summary>
    public static RollupDef? For(EntityKind entity, string timeAttribute) =>
        All.FirstOrDefault(r => r.Entity == entity && r.TimeAttribute == timeAttribute);

    /// <summary>The rollup stored in a table of that name, if any.</summary>
    public static RollupDef? ByTable(string table) => All.FirstOrDefault(r => r.Table == table);
}
