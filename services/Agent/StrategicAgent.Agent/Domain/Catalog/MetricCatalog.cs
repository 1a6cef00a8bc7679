namespace StrategicAgent.Agent.Domain.Catalog;

/// <summary>Where a metric's rows come from; decides the joins a dimension or filter needs.</summary>
public enum MetricSource
{
    Issues,
    Epics,
    PullRequests,
    Deployments,
    Incidents,
}

/// <summary>How to read "best", "worst", "slowest", "fastest" for a metric.</summary>
public enum Polarity
{
    /// <summary>A duration: higher is slower and worse (lead time, time to merge).</summary>
    Duration,
    /// <summary>A volume: higher is more (counts, points, throughput, deployment frequency).</summary>
    Volume,
    /// <summary>A rate of something bad: higher is worse (rework rate, change fail rate).</summary>
    BadRate,
}

public enum Dimension
{
    None,
    Team,
    Project,
    Repository,
    Assignee,
    IssueType,
    Week,
    Month,
    Epic,
}

/// <summary>Entity filters a question can carry; values are always bound as parameters.</summary>
public enum FilterKind
{
    Project,
    Team,
    Repository,
    IssueType,
    Assignee,
}

/// <summary>
/// One catalogued metric: the semantic layer the offline planner compiles from and the LLM prompt
/// describes. <see cref="Name"/> is also the value column's alias in the generated SQL.
/// </summary>
public sealed record Metric(
    string Name,
    string Title,
    string Family,
    MetricSource Source,
    string Unit,
    Polarity Polarity,
    string Aggregate,
    string Definition,
    IReadOnlyList<Dimension> Dimensions,
    IReadOnlyList<FilterKind> Filters,
    IReadOnlyList<string> Examples)
{
    /// <summary>The dimension used when the question names none (throughput is per week, epic progress per epic).</summary>
    public Dimension DefaultDimension { get; init; } = Dimension.None;

    /// <summary>DORA metrics need a period; without one the last 90 days are used (and the answer says so).</summary>
    public int? DefaultWindowDays { get; init; }

    public bool IsDora => Family == "dora";

    public bool Supports(Dimension d) => d == Dimension.None || Dimensions.Contains(d);
}

/// <summary>
/// The metric catalog (semantic layer). Definitions here are the single source of truth for the
/// offline planner's compiler, the LLM prompt and docs/agent.md.
/// </summary>
public static class MetricCatalog
{
    private static readonly Dimension[] IssueDims =
        [Dimension.Team, Dimension.Project, Dimension.Assignee, Dimension.IssueType, Dimension.Week, Dimension.Month];
    private static readonly FilterKind[] IssueFilters =
        [FilterKind.Project, FilterKind.Team, FilterKind.IssueType, FilterKind.Assignee];
    private static readonly Dimension[] EpicDims = [Dimension.Team, Dimension.Project, Dimension.Month];
    private static readonly FilterKind[] EpicFilters = [FilterKind.Project, FilterKind.Team];
    private static readonly Dimension[] PrDims =
        [Dimension.Team, Dimension.Repository, Dimension.Assignee, Dimension.Week, Dimension.Month];
    private static readonly FilterKind[] PrFilters = [FilterKind.Team, FilterKind.Repository, FilterKind.Assignee];
    private static readonly Dimension[] DeployDims = [Dimension.Team, Dimension.Repository, Dimension.Week, Dimension.Month];
    private static readonly FilterKind[] DeployFilters = [FilterKind.Team, FilterKind.Repository];

    public static readonly IReadOnlyList<Metric> All =
    [
        new("issues_created", "Issues created", "issues", MetricSource.Issues, "issues", Polarity.Volume, "count",
            "count of active issues by creation time (issues.created)", IssueDims, IssueFilters,
            ["How many issues were created last month?", "bugs opened per week in project PAY"]),
        new("issues_completed", "Issues completed", "issues", MetricSource.Issues, "issues", Polarity.Volume, "count",
            "count of active issues whose status maps to Done, by completion time (issues.work_last_completed_at)", IssueDims, IssueFilters,
            ["How many tickets did team Payments close this quarter?"]),
        new("issues_open", "Open issues", "issues", MetricSource.Issues, "issues", Polarity.Volume, "count",
            "count of active issues whose status does not map to Done (the backlog), by creation time", IssueDims, IssueFilters,
            ["How many open bugs does project MOB have?"]),
        new("throughput", "Throughput", "throughput", MetricSource.Issues, "issues", Polarity.Volume, "count",
            "issues completed (status Done) per week (or per month / per group), by work_last_completed_at", IssueDims, IssueFilters,
            ["weekly throughput for team Platform", "throughput per month this year"]) { DefaultDimension = Dimension.Week },
        new("lead_time_avg_days", "Average lead time", "lead_time", MetricSource.Issues, "days", Polarity.Duration, "avg",
            "average of issues.total_lead_time_seconds / 86400 over completed (Done) issues, by completion time", IssueDims, IssueFilters,
            ["Which team had the longest lead time last quarter?", "cycle time by project"]),
        new("lead_time_median_days", "Median lead time", "lead_time", MetricSource.Issues, "days", Polarity.Duration, "median",
            "median (percentile_cont 0.5) of total_lead_time_seconds / 86400 over completed issues", IssueDims, IssueFilters,
            ["median lead time of stories in 2025"]),
        new("lead_time_p90_days", "90th percentile lead time", "lead_time", MetricSource.Issues, "days", Polarity.Duration, "p90",
            "90th percentile (percentile_cont 0.9) of total_lead_time_seconds / 86400 over completed issues", IssueDims, IssueFilters,
            ["p90 lead time per team"]),
        new("story_points_completed", "Story points completed (velocity)", "story_points", MetricSource.Issues, "points", Polarity.Volume, "sum",
            "sum of story_points of completed issues, by completion time; velocity = this per week", IssueDims, IssueFilters,
            ["velocity of team Mobile per week", "story points delivered by project last month"]),
        new("story_points_avg", "Average story points", "story_points", MetricSource.Issues, "points", Polarity.Volume, "avg",
            "average story_points of issues with points, by creation time", IssueDims, IssueFilters,
            ["average story points per issue type"]),
        new("epic_progress_pct", "Epic progress", "epics", MetricSource.Epics, "%", Polarity.Volume, "ratio",
            "per open epic (issue type Epic, status not Done): child issues (parent_id), children Done, and percent Done", [Dimension.Epic], EpicFilters,
            ["progress of open epics in project PAY", "which epics are furthest behind?"]) { DefaultDimension = Dimension.Epic },
        new("epic_lead_time_avg_days", "Average epic lead time", "epics", MetricSource.Epics, "days", Polarity.Duration, "avg",
            "average of the epic's total_lead_time_seconds / 86400 over completed epics, by completion time", EpicDims, EpicFilters,
            ["average epic lead time by team"]),
        new("prs_opened", "Pull requests opened", "pull_requests", MetricSource.PullRequests, "pull requests", Polarity.Volume, "count",
            "count of active pull requests by pull_requests.created_at", PrDims, PrFilters,
            ["how many PRs were opened last week per repository?"]),
        new("prs_merged", "Pull requests merged", "pull_requests", MetricSource.PullRequests, "pull requests", Polarity.Volume, "count",
            "count of active pull requests with merged_at set, by merged_at", PrDims, PrFilters,
            ["merged PRs per month in api-gateway"]),
        new("time_to_merge_avg_hours", "Average time to merge", "pull_requests", MetricSource.PullRequests, "hours", Polarity.Duration, "avg",
            "average hours from created_at to merged_at over merged pull requests, by merged_at", PrDims, PrFilters,
            ["average time to merge by repository"]),
        new("time_to_merge_median_hours", "Median time to merge", "pull_requests", MetricSource.PullRequests, "hours", Polarity.Duration, "median",
            "median hours from created_at to merged_at over merged pull requests", PrDims, PrFilters,
            ["median PR merge time per team"]),
        new("time_to_merge_p90_hours", "90th percentile time to merge", "pull_requests", MetricSource.PullRequests, "hours", Polarity.Duration, "p90",
            "90th percentile hours from created_at to merged_at over merged pull requests", PrDims, PrFilters,
            ["p90 time to merge"]),
        new("review_cycles_avg", "Average review cycles", "pull_requests", MetricSource.PullRequests, "cycles", Polarity.Duration, "avg",
            "average review_cycles of active pull requests by created_at", PrDims, PrFilters,
            ["average review cycles per repository"]),
        new("rework_rate_pct", "Rework rate", "rework", MetricSource.PullRequests, "%", Polarity.BadRate, "ratio",
            "percent of active pull requests (by created_at) needing rework: review_cycles > 2 OR rework_commit_count > 3", PrDims, PrFilters,
            ["rework rate by team this year", "which repository has the most rework?"]),
        new("deployments_count", "Deployments", "dora", MetricSource.Deployments, "deployments", Polarity.Volume, "count",
            "count of production deployments (any status) by deployed_at", DeployDims, DeployFilters,
            ["how many deployments last month?"]),
        new("deployment_frequency_per_day", "Deployment frequency", "dora", MetricSource.Deployments, "deployments/day", Polarity.Volume, "ratio",
            "successful production deployments per day over the period (default last 90 days); DORA tier elite >= 1/day, high >= 1/week, medium >= 1/month, else low", DeployDims, DeployFilters,
            ["how often do we deploy?", "deployment frequency by team"]) { DefaultWindowDays = 90 },
        new("change_lead_time_median_hours", "Lead time for changes", "dora", MetricSource.Deployments, "hours", Polarity.Duration, "median",
            "median deployments.lead_time_seconds / 3600 of successful production deployments; DORA tier elite < 24 h, high < 168 h, medium < 720 h, else low", DeployDims, DeployFilters,
            ["lead time for changes per repository"]) { DefaultWindowDays = 90 },
        new("change_failure_rate_pct", "Change fail rate", "dora", MetricSource.Deployments, "%", Polarity.BadRate, "ratio",
            "percent of production deployments that failed, were rolled back or caused an incident; DORA tier elite <= 5 %, high <= 10 %, medium <= 15 %, else low", DeployDims, DeployFilters,
            ["change failure rate by team last quarter"]) { DefaultWindowDays = 90 },
        new("time_to_restore_median_hours", "Failed deployment recovery time", "dora", MetricSource.Incidents, "hours", Polarity.Duration, "median",
            "median hours from incidents.created_at to resolved_at over resolved incidents linked to production deployments; DORA tier elite < 1 h, high < 24 h, medium < 168 h, else low", DeployDims, DeployFilters,
            ["MTTR by team", "time to restore service this year"]) { DefaultWindowDays = 90 },
        new("incidents_count", "Incidents", "dora", MetricSource.Incidents, "incidents", Polarity.BadRate, "count",
            "count of incidents by created_at (team and repository through the deployment that caused them)", DeployDims, DeployFilters,
            ["how many incidents per month?"]),
    ];

    private static readonly Dictionary<string, Metric> ByName = All.ToDictionary(m => m.Name, StringComparer.Ordinal);

    public static Metric Get(string name) =>
        ByName.TryGetValue(name, out var m) ? m : throw new ArgumentException($"Unknown metric '{name}'.", nameof(name));

    public static bool TryGet(string name, out Metric metric) => ByName.TryGetValue(name, out metric!);

    /// <summary>The result column of a dimension; for pull requests the person is the author.</summary>
    public static string DimensionColumn(Dimension d, MetricSource source) =>
        d == Dimension.Assignee && source == MetricSource.PullRequests ? "author" : DimensionColumn(d);

    /// <summary>
    /// DORA performance tier of a metric value (thresholds after the DORA State of DevOps reports;
    /// documented in docs/agent.md), or null for a non-DORA metric or no value.
    /// </summary>
    public static string? DoraTier(string metric, double? value) => value is not { } v ? null : metric switch
    {
        "deployment_frequency_per_day" => v >= 1 ? "elite" : v >= 1 / 7.0 ? "high" : v >= 1 / 30.0 ? "medium" : "low",
        "change_lead_time_median_hours" => v < 24 ? "elite" : v < 168 ? "high" : v < 720 ? "medium" : "low",
        "change_failure_rate_pct" => v <= 5 ? "elite" : v <= 10 ? "high" : v <= 15 ? "medium" : "low",
        "time_to_restore_median_hours" => v < 1 ? "elite" : v < 24 ? "high" : v < 168 ? "medium" : "low",
        _ => null,
    };

    public static string DimensionColumn(Dimension d) => d switch
    {
        Dimension.Team => "team",
        Dimension.Project => "project",
        Dimension.Repository => "repository",
        Dimension.Assignee => "assignee",
        Dimension.IssueType => "issue_type",
        Dimension.Week => "week",
        Dimension.Month => "month",
        Dimension.Epic => "epic",
        _ => "",
    };

    /// <summary>Plain-language list of what the offline planner answers (used in refusals and the prompt).</summary>
    public static IReadOnlyList<string> Capabilities { get; } =
    [
        "issue counts: created, completed, open (by team, project, assignee, issue type, week or month)",
        "lead time / cycle time: average, median or p90 in days",
        "throughput: issues completed per week or month",
        "story points completed (velocity) and average story points",
        "epic progress (open epics, % of child issues done) and epic lead time",
        "pull requests: opened, merged, time to merge (avg/median/p90 hours), review cycles, rework rate",
        "DORA: deployment frequency, lead time for changes, change fail rate, failed deployment recovery time, with the performance tier",
        "filters: project key, team, repository, issue type, assignee; time: last N days/weeks/months, this/last week/month/quarter/year, a year, a quarter, a month, a date range",
        "ordering: top/bottom N, highest/lowest, slowest/fastest, comparisons between teams, projects or repositories",
    ];

    /// <summary>The tables and columns the prompt describes (the validation service checks the real catalog).</summary>
    public const string SchemaSummary = """
        clients(id, name, active)
        teams(id, client_id, name, active)
        users(id, client_id, team_id, name, email, active)
        projects(id, client_id, key, name, team_id, active)            -- a project belongs to a team
        issuetypes(id, client_id, original_name, active)                -- Epic, Story, Task, Bug, Sub-task
        status_mappings(id, client_id, status_from, status_to, active)  -- status_to in 'To Do', 'In Progress', 'Done'
        statuses(id, client_id, original_name, status_mapping_id, active)
        issues(id, client_id, project_id, key, summary, issuetype_id, status_id, priority, assignee_id, reporter_id,
               parent_id, story_points, comment_count, created, updated, work_first_started_at, work_last_completed_at,
               total_lead_time_seconds, active)                          -- parent_id links a story to its epic
        repositories(id, client_id, name, full_name, team_id, active)   -- a repository belongs to a team
        pull_requests(id, client_id, repository_id, issue_id, number, title, author_id, commit_count, changed_files,
               additions, deletions, review_cycles, rework_commit_count, created_at, merged_at, closed_at, status, active)
        deployments(id, client_id, repository_id, environment, status, deployed_at, lead_time_seconds)  -- status success|failed|rolled_back
        incidents(id, client_id, deployment_id, created_at, resolved_at, severity)
        """;
}
