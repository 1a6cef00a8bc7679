namespace StrategicAgent.Semantic;

/// <summary>
/// The catalogued metrics. Each is one definition: what it measures (entity, aggregation,
/// attribute or predicate, conditions), its time column, unit, default window and grouping, DORA
/// bands, examples (the catalog's recommended questions) and the phrases that name it.
/// Measures the question builds itself (averages of any numeric attribute, shares of any
/// predicate, listings) are derived from the entity definitions by <see cref="SemanticModel"/>.
/// </summary>
public static class Metrics
{
    private static readonly DefaultFilter Production = new(FilterKind.Environment, "production");

    public static IReadOnlyList<MetricDef> All { get; } =
    [
        // ---- issues
        new()
        {
            Name = "issues_created", Title = "Issues created", Family = "issues", Entity = EntityKind.Issue, Aggregation = Aggregation.Count,
            TimeAttribute = "created", Unit = "issues", Polarity = Polarity.Volume,
            Definition = "count of active issues by creation time (issues.created)",
            Examples = ["How many issues were created last month?", "Bugs created per week in project PAY this quarter"],
        },
        new()
        {
            Name = "issues_completed", Title = "Issues completed", Family = "issues", Entity = EntityKind.Issue, Aggregation = Aggregation.Count,
            Conditions = ["done", "completed"], TimeAttribute = "completed", Unit = "issues", Polarity = Polarity.Volume,
            Definition = "count of active issues whose status maps to Done, by completion time (issues.work_last_completed_at)",
            Examples = ["How many tickets did each team close this quarter?", "Issues completed by assignee last month"],
        },
        new()
        {
            Name = "issues_open", Title = "Open issues", Family = "issues", Entity = EntityKind.Issue, Aggregation = Aggregation.Count,
            Conditions = ["not_done"], TimeAttribute = "created", Unit = "issues", Polarity = Polarity.Volume,
            Definition = "count of active issues whose status does not map to Done (the backlog), by creation time",
            Examples = ["How many open bugs are there by priority?", "Unassigned open issues by project"],
            Synonyms = ["backlog size", "size of the backlog", "open work"],
        },
        new()
        {
            Name = "throughput", Title = "Throughput", Family = "throughput", Entity = EntityKind.Issue, Aggregation = Aggregation.Count,
            Conditions = ["done", "completed"], TimeAttribute = "completed", Unit = "issues", Polarity = Polarity.Volume,
            DefaultDimension = Dimension.Week,
            Definition = "issues completed (status Done) per week (or per month / per group), by work_last_completed_at",
            Examples = ["Weekly throughput this quarter", "Throughput per month this year"],
            Synonyms = ["throughput", "delivery rate", "flow rate"],
        },
        new()
        {
            Name = "lead_time_avg_days", Title = "Average lead time", Family = "lead_time", Entity = EntityKind.Issue, Aggregation = Aggregation.Avg,
            Attribute = "lead_time_days", Conditions = ["done", "completed", "has_lead_time"], TimeAttribute = "completed", Unit = "days", Polarity = Polarity.Duration,
            Definition = "average of issues.total_lead_time_seconds / 86400 over completed (Done) issues, by completion time",
            Examples = ["Which team had the longest lead time last quarter?", "Average cycle time of bugs by project"],
            Synonyms = ["lead[ -]?times?", "cycle[ -]?times?", "resolution times?", "turnaround(?: times?)?", "time to (?:complete|close|resolve|finish|deliver)", "delivery times?",
                "(?:from )?start(?:ed)? to (?:done|finish(?:ed)?|completion|complete|close|closed|resolution)"],
        },
        new()
        {
            Name = "lead_time_median_days", Title = "Median lead time", Family = "lead_time", Entity = EntityKind.Issue, Aggregation = Aggregation.Median,
            Attribute = "lead_time_days", Conditions = ["done", "completed", "has_lead_time"], TimeAttribute = "completed", Unit = "days", Polarity = Polarity.Duration,
            Definition = "median (percentile_cont 0.5) of total_lead_time_seconds / 86400 over completed issues",
            Examples = ["Median lead time of stories in 2025"],
        },
        new()
        {
            Name = "lead_time_p90_days", Title = "90th percentile lead time", Family = "lead_time", Entity = EntityKind.Issue, Aggregation = Aggregation.P90,
            Attribute = "lead_time_days", Conditions = ["done", "completed", "has_lead_time"], TimeAttribute = "completed", Unit = "days", Polarity = Polarity.Duration,
            Definition = "90th percentile (percentile_cont 0.9) of total_lead_time_seconds / 86400 over completed issues",
            Examples = ["p90 lead time per team"],
        },

        // ---- story points
        new()
        {
            Name = "story_points_completed", Title = "Story points completed (velocity)", Family = "story_points", Entity = EntityKind.Issue, Aggregation = Aggregation.Sum,
            Attribute = "story_points", Conditions = ["done", "completed"], TimeAttribute = "completed", Unit = "points", Polarity = Polarity.Volume, Digits = 1,
            Definition = "sum of story_points of completed issues, by completion time; velocity = this per week",
            Examples = ["Velocity per week in the last 6 weeks", "Story points delivered by project last month"],
            Synonyms = ["velocity", "(?:story )?(?:points|pts) (?:delivered|completed|burned|burnt|done|closed|finished)", "(?:delivered|completed|burned|burnt) (?:story )?(?:points|pts)"],
        },
        new()
        {
            Name = "story_points_avg", Title = "Average story points", Family = "story_points", Entity = EntityKind.Issue, Aggregation = Aggregation.Avg,
            Attribute = "story_points", TimeAttribute = "created", Unit = "points", Polarity = Polarity.Volume,
            Definition = "average story_points of issues with points, by creation time",
            Examples = ["Average story points per issue type"],
        },

        // ---- epics
        new()
        {
            Name = "epic_progress_pct", Title = "Epic progress", Family = "epics", Entity = EntityKind.Epic, Aggregation = Aggregation.Custom,
            Conditions = ["not_done"], TimeAttribute = "created", Unit = "%", Polarity = Polarity.Volume, Digits = 1,
            DefaultDimension = Dimension.Epic, OnlyDimensions = [Dimension.Epic],
            Definition = "per open epic (issue type Epic, status not Done): child issues (parent_id), children Done, and percent Done",
            Examples = ["Progress of open epics in project PAY", "Which epics are furthest behind?"],
            Synonyms = ["epic progress", "progress", "completion", "percent(?:age)? (?:done|complete)", "how far along", "done so far", "furthest behind", "most behind",
                "least progressed", "least complete", "closest to (?:done|completion|finished)"],
            Custom = new(
                Joins: ["LEFT JOIN issues c ON c.parent_id = e.id AND c.active", "LEFT JOIN statuses cs ON cs.id = c.status_id",
                        "LEFT JOIN status_mappings csm ON csm.id = cs.status_mapping_id"],
                Conditions: [],
                Columns:
                [
                    new("e.key", "epic"), new("e.summary", "summary"), new("p.key", "project"), new("count(c.id)", "children"),
                    new("count(c.id) FILTER (WHERE csm.status_to = 'Done')", "done_children"),
                    new("round(100.0 * count(c.id) FILTER (WHERE csm.status_to = 'Done') / nullif(count(c.id), 0), 1)", "epic_progress_pct"),
                ],
                GroupBy: ["e.id", "e.key", "e.summary", "p.key"],
                LabelColumn: "epic",
                DefaultOrder: SortOrder.Descending) { EntityJoins = ["project"] },
        },
        new()
        {
            Name = "epic_lead_time_avg_days", Title = "Average epic lead time", Family = "epics", Entity = EntityKind.Epic, Aggregation = Aggregation.Avg,
            Attribute = "lead_time_days", Conditions = ["done", "completed", "has_lead_time"], TimeAttribute = "completed", Unit = "days", Polarity = Polarity.Duration,
            Definition = "average of the epic's total_lead_time_seconds / 86400 over completed epics, by completion time",
            Examples = ["Average epic lead time by team"],
            Synonyms = ["epic (?:lead|cycle) times?", "epic durations?"],
        },

        // ---- pull requests
        new()
        {
            Name = "prs_opened", Title = "Pull requests opened", Family = "pull_requests", Entity = EntityKind.PullRequest, Aggregation = Aggregation.Count,
            TimeAttribute = "created_at", Unit = "pull requests", Polarity = Polarity.Volume,
            Definition = "count of active pull requests by pull_requests.created_at",
            Examples = ["How many PRs were opened last week per repository?", "Which authors opened the most PRs this quarter?"],
        },
        new()
        {
            Name = "prs_merged", Title = "Pull requests merged", Family = "pull_requests", Entity = EntityKind.PullRequest, Aggregation = Aggregation.Count,
            Conditions = ["merged"], TimeAttribute = "merged_at", Unit = "pull requests", Polarity = Polarity.Volume,
            Definition = "count of active pull requests with merged_at set, by merged_at",
            Examples = ["Merged PRs per month this year", "PRs merged without review last month, per repository"],
        },
        new()
        {
            Name = "time_to_merge_avg_hours", Title = "Average time to merge", Family = "pull_requests", Entity = EntityKind.PullRequest, Aggregation = Aggregation.Avg,
            Attribute = "time_to_merge_hours", Conditions = ["merged"], TimeAttribute = "merged_at", Unit = "hours", Polarity = Polarity.Duration,
            Definition = "average hours from created_at to merged_at over merged pull requests, by merged_at",
            Examples = ["Average time to merge by repository", "Time to merge for PRs with more than 30 changed files"],
            Synonyms = ["time[ -]to[ -]merge", "merge times?", "(?:pr|pull request) (?:cycle|lead) times?", "(?:cycle|lead) times? (?:of|for) (?:the |our )?(?:prs?|pull requests?)",
                "time (?:it takes )?to get (?:prs? |pull requests? )?merged", "review times?", "time in review",
                "(?:hours|time|days) from (?:being )?(?:open(?:ed|ing)?|creat(?:ed|ion)) to merg(?:e|ed|ing)"],
        },
        new()
        {
            Name = "time_to_merge_median_hours", Title = "Median time to merge", Family = "pull_requests", Entity = EntityKind.PullRequest, Aggregation = Aggregation.Median,
            Attribute = "time_to_merge_hours", Conditions = ["merged"], TimeAttribute = "merged_at", Unit = "hours", Polarity = Polarity.Duration,
            Definition = "median hours from created_at to merged_at over merged pull requests",
            Examples = ["Median PR merge time per team"],
        },
        new()
        {
            Name = "time_to_merge_p90_hours", Title = "90th percentile time to merge", Family = "pull_requests", Entity = EntityKind.PullRequest, Aggregation = Aggregation.P90,
            Attribute = "time_to_merge_hours", Conditions = ["merged"], TimeAttribute = "merged_at", Unit = "hours", Polarity = Polarity.Duration,
            Definition = "90th percentile hours from created_at to merged_at over merged pull requests",
            Examples = ["p90 time to merge"],
        },
        new()
        {
            Name = "review_cycles_avg", Title = "Average review cycles", Family = "pull_requests", Entity = EntityKind.PullRequest, Aggregation = Aggregation.Avg,
            Attribute = "review_cycles", TimeAttribute = "created_at", Unit = "cycles", Polarity = Polarity.Duration,
            Definition = "average review_cycles of active pull requests by created_at",
            Examples = ["Average review cycles per repository"],
        },
        new()
        {
            Name = "rework_rate_pct", Title = "Rework rate", Family = "rework", Entity = EntityKind.PullRequest, Aggregation = Aggregation.Share,
            ShareOf = "rework", ShareColumn = "rework_prs", TimeAttribute = "created_at", Unit = "%", Polarity = Polarity.BadRate, Digits = 1,
            Definition = "percent of active pull requests (by created_at) needing rework: review_cycles > 2 OR rework_commit_count > 3",
            Examples = ["Rework rate by team this year", "Which repository has the most rework?"],
            Synonyms = ["re-?work rates?", "re-?work", "re-?worked", "churn"],
        },

        // ---- DORA
        new()
        {
            Name = "deployments_count", Title = "Deployments", Family = "dora", Entity = EntityKind.Deployment, Aggregation = Aggregation.Count,
            TimeAttribute = "deployed_at", Unit = "deployments", Polarity = Polarity.Volume,
            Definition = "count of deployments (every environment and status unless the question names them) by deployed_at",
            Examples = ["How many deployments per week last quarter?", "How many deployments failed last month?"],
        },
        new()
        {
            Name = "deployment_frequency_per_day", DoraKey = true, Title = "Deployment frequency", Family = "dora", Entity = EntityKind.Deployment, Aggregation = Aggregation.RatePerDay,
            Conditions = ["successful"], Defaults = [Production], TimeAttribute = "deployed_at", Unit = "deployments/day", Polarity = Polarity.Volume, Digits = 3,
            DefaultWindowDays = 90, Dora = new(1, 1 / 7.0, 1 / 30.0, HigherIsBetter: true, Inclusive: true),
            Definition = "successful production deployments per day over the period (default last 90 days); per week or month bucket when grouped by week or month",
            Examples = ["How often do we deploy?", "Deployment frequency by team"],
            Synonyms = ["deploy(?:ment)?s? freq(?:uency)?", "frequency of deploy(?:ment)?s", "release frequency", "deploy(?:ment)? cadence", "release cadence",
                "how (?:often|frequently) (?:do|does|did) (?:we|they|the teams?|teams|it|each team|each repo(?:sitory)?) (?:deploy|ship|release)(?: to production)?",
                // "how often does mobile-app ship to production": a repository or team named (the reader has blanked it) as the subject.
                "how (?:often|frequently) (?:do|does|did) (?:[a-z0-9][a-z0-9-]* ){0,3}(?:deploy|ship|release)(?: to production)?",
                "how (?:often|frequently) (?:are|were) (?:we )?(?:deploying|shipping|releasing)"],
        },
        new()
        {
            Name = "change_lead_time_median_hours", DoraKey = true, Title = "Lead time for changes", Family = "dora", Entity = EntityKind.Deployment, Aggregation = Aggregation.Median,
            Attribute = "lead_time_hours", Conditions = ["successful", "has_lead_time"], Defaults = [Production], TimeAttribute = "deployed_at", Unit = "hours",
            Polarity = Polarity.Duration, DefaultWindowDays = 90, Dora = new(24, 168, 720, HigherIsBetter: false, Inclusive: false),
            Definition = "median deployments.lead_time_seconds / 3600 of successful production deployments (first commit to production)",
            Examples = ["Lead time for changes per repository last quarter"],
            Synonyms = ["lead times? for changes", "lead times? of changes", "change lead times?", "commit[ -]to[ -](?:deploy|production|prod)(?: times?)?", "deploy(?:ment)? lead times?",
                "dora lead times?(?: (?:for|of) changes)?", "time from (?:a )?(?:change|commit) to (?:production|prod|deploy(?:ment)?)", "time (?:for|of) (?:a )?changes? to (?:reach|get to|hit) (?:production|prod)"],
        },
        new()
        {
            Name = "change_failure_rate_pct", DoraKey = true, Title = "Change fail rate", Family = "dora", Entity = EntityKind.Deployment, Aggregation = Aggregation.Share,
            ShareOf = "failed_change", ShareColumn = "failed_deployments", Defaults = [Production], TimeAttribute = "deployed_at", Unit = "%",
            Polarity = Polarity.BadRate, Digits = 1, DefaultWindowDays = 90, Dora = new(5, 10, 15, HigherIsBetter: false, Inclusive: true),
            Definition = "percent of production deployments that failed, were rolled back or caused an incident",
            Examples = ["Change failure rate by team last quarter"],
            Synonyms = ["change fail(?:ure)? rates?", "cfr", "(?:deploy(?:ment)?|change|release) fail(?:ure)? (?:rates?|ratios?|percentages?)", "failed deploy(?:ment)? (?:rates?|ratios?)"],
        },
        new()
        {
            Name = "time_to_restore_median_hours", DoraKey = true, Title = "Failed deployment recovery time", Family = "dora", Entity = EntityKind.Incident, Aggregation = Aggregation.Median,
            Attribute = "time_to_restore_hours", Conditions = ["resolved"], TimeAttribute = "created_at", Unit = "hours",
            Polarity = Polarity.Duration, DefaultWindowDays = 90, Dora = new(1, 24, 168, HigherIsBetter: false, Inclusive: false),
            Definition = "median hours from incidents.created_at to resolved_at over resolved incidents (every incident here follows a production deployment or none)",
            Examples = ["Time to restore service this year", "Median time to restore by severity this year"],
            Synonyms = ["time to (?:restore|recover)(?: service)?", "recovery times?", "failed deployment recovery times?", "incident (?:resolution|recovery) times?",
                "time to restore service", "restore times?", "time to recovery"],
        },
        new()
        {
            Name = "time_to_restore_avg_hours", Title = "Mean time to restore (MTTR)", Family = "dora", Entity = EntityKind.Incident, Aggregation = Aggregation.Avg,
            Attribute = "time_to_restore_hours", Conditions = ["resolved"], TimeAttribute = "created_at", Unit = "hours",
            Polarity = Polarity.Duration, DefaultWindowDays = 90,
            Definition = "mean hours from incidents.created_at to resolved_at over resolved incidents (MTTR: the M is the mean)",
            Examples = ["MTTR by team", "What was our mean time to recovery last quarter?"],
            Synonyms = ["mttr", "mttrs", "mean time to (?:recover|recovery|restore|repair|resolve|resolution)"],
        },
        new()
        {
            Name = "deployment_rework_rate_pct", DoraKey = true, Title = "Deployment rework rate", Family = "dora", Entity = EntityKind.Deployment, Aggregation = Aggregation.Share,
            ShareOf = "rework_fix", ShareColumn = "rework_deployments", Defaults = [Production], TimeAttribute = "deployed_at", Unit = "%",
            Polarity = Polarity.BadRate, Digits = 1, DefaultWindowDays = 90,
            Definition = "DORA rework rate (2024): percent of production deployments that were unplanned fixes of a production incident — deployed to the same repository " +
                         "after an incident caused by another production deployment started and before it was resolved",
            Examples = ["What is our deployment rework rate?", "DORA rework rate by team last quarter"],
            Synonyms = ["deploy(?:ment)? re-?work rates?", "dora re-?work rates?", "re-?work rates? (?:of|for) deploy(?:ment)?s", "unplanned deploy(?:ment)? (?:rates?|share)",
                "share of unplanned deploy(?:ment)?s"],
        },
        new()
        {
            Name = "incidents_count", Title = "Incidents", Family = "dora", Entity = EntityKind.Incident, Aggregation = Aggregation.Count,
            TimeAttribute = "created_at", Unit = "incidents", Polarity = Polarity.BadRate,
            Definition = "count of incidents by created_at (team, repository and environment through the deployment that caused them)",
            Examples = ["How many incidents per month?", "Incidents by severity last quarter"],
        },
    ];
}
