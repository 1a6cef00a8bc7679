namespace StrategicAgent.Semantic;

/// <summary>
/// The groupings and the value filters over them. Names from the tenant (teams, projects,
/// repositories, issue types, people) come from the tenant's vocabulary at question time; fixed
/// value sets (severity, environment, priority, status) are listed here with their words.
/// </summary>
public static class Dimensions
{
    private static DimensionBinding B(string expression, params string[] joins) => new(expression, joins);

    public static DimensionDef Team { get; } = new(Dimension.Team, "team", "team", "teams",
        ["teams?", "squads?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("t.name", "team") with { Key = "t.id" },
            [EntityKind.Epic] = B("t.name", "team") with { Key = "t.id" },
            [EntityKind.PullRequest] = B("t.name", "team") with { Key = "t.id" },
            [EntityKind.Deployment] = B("t.name", "team") with { Key = "t.id" },
            [EntityKind.Incident] = B("t.name", "team") with { Key = "t.id" },
        })
    { Filter = FilterKind.Team, TenantNames = true };

    public static DimensionDef Project { get; } = new(Dimension.Project, "project", "project", "projects",
        ["projects?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("p.key", "project") with { Key = "p.id" },
            [EntityKind.Epic] = B("p.key", "project") with { Key = "p.id" },
        })
    { Filter = FilterKind.Project, TenantNames = true };

    public static DimensionDef Repository { get; } = new(Dimension.Repository, "repository", "repository", "repositories",
        ["repos?", "repositor(?:y|ies)", "codebases?", "services"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.PullRequest] = B("r.name", "repository") with { Key = "r.id" },
            [EntityKind.Deployment] = B("r.name", "repository") with { Key = "r.id" },
            [EntityKind.Incident] = B("r.name", "repository") with { Key = "r.id" },
        })
    { Filter = FilterKind.Repository, TenantNames = true };

    public static DimensionDef Assignee { get; } = new(Dimension.Assignee, "assignee", "assignee", "assignees",
        ["assignees?", "developers?", "engineers?", "people", "persons?", "contributors?", "users?", "devs?", "individuals?", "team members?", "members?",
         "assigned to (?:them|him|her|each(?: person| one)?)", "assigned(?=\\s*(?:[?.!,]|$))"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("u.name", "assignee") with { Key = "u.id" },
            [EntityKind.Epic] = B("u.name", "assignee") with { Key = "u.id" },
            [EntityKind.PullRequest] = B("u.name", "author") with { Column = "author", Label = "author", Key = "u.id" },
        })
    { Filter = FilterKind.Assignee, TenantNames = true };

    /// <summary>
    /// Who reported an issue (<c>issues.reporter_id</c>): "top 5 bug reporters", and "who reported / filed / raised the most bugs" — the
    /// person a created-verb is said of. Never the assignee (a different person: a grouping by assignee answers another question).
    /// </summary>
    public static DimensionDef Reporter { get; } = new(Dimension.Reporter, "reporter", "reporter", "reporters",
        ["reporters?", "filers?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("rp.name", "reporter") with { Key = "rp.id" },
        });

    /// <summary>"author" is the person of a pull request only; on issues it is not a grouping we have.</summary>
    public static DimensionDef Author { get; } = new(Dimension.Assignee, "author", "author", "authors",
        ["authors?", "pr authors?", "submitters?", "openers?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.PullRequest] = B("u.name", "author") with { Column = "author", Label = "author", Key = "u.id" },
        })
    { Filter = FilterKind.Assignee, TenantNames = true };

    public static DimensionDef IssueType { get; } = new(Dimension.IssueType, "issue_type", "issue type", "issue types",
        ["issue ?types?", "ticket ?types?", "types?", "kinds?", "work ?types?", "categor(?:y|ies)"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("it.original_name", "issuetype"),
        })
    { Filter = FilterKind.IssueType, TenantNames = true };

    public static DimensionDef StoryPoints { get; } = new(Dimension.StoryPoints, "story_points", "story points", "story point values",
        ["story[ -]?point (?:values?|estimates?|sizes?)", "point values?", "point sizes?", "(?<=by (?:their |the )?)story[ -]?points?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("i.story_points"),
        });

    public static DimensionDef Epic { get; } = new(Dimension.Epic, "epic", "epic", "epics",
        ["epics?", "parent epics?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("ep.key", "epic_type"),
        });

    public static DimensionDef Week { get; } = new(Dimension.Week, "week", "week", "weeks",
        ["weeks?", "wks?", "weekly", "week over week", "week by week", "week on week", "wow"], new Dictionary<EntityKind, DimensionBinding>())
    { TimeGrain = "week" };

    public static DimensionDef Month { get; } = new(Dimension.Month, "month", "month", "months",
        ["months?", "monthly", "month over month", "month by month", "month on month", "mom"], new Dictionary<EntityKind, DimensionBinding>())
    { TimeGrain = "month" };

    public static DimensionDef Quarter { get; } = new(Dimension.Quarter, "quarter", "quarter", "quarters",
        ["quarters?", "qtrs?", "quarterly", "quarter over quarter", "quarter by quarter", "qoq"], new Dictionary<EntityKind, DimensionBinding>())
    { TimeGrain = "quarter" };

    public static DimensionDef Severity { get; } = new(Dimension.Severity, "severity", "severity", "severities",
        ["severity", "severities", "severity levels?", "sev levels?", "incident severity", "incident severities"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Incident] = B("x.severity") with
            {
                Values =
                [
                    new("sev1", "sev1", ["sev ?-?1s?", "severity ?-?1", "s1", "sev[ -]ones?", "severity[ -]one"]),
                    new("sev2", "sev2", ["sev ?-?2s?", "severity ?-?2", "s2", "sev[ -]twos?", "severity[ -]two"]),
                    new("sev3", "sev3", ["sev ?-?3s?", "severity ?-?3", "s3", "sev[ -]threes?", "severity[ -]three"]),
                    new("sev4", "sev4", ["sev ?-?4s?", "severity ?-?4", "s4", "sev[ -]fours?", "severity[ -]four"]),
                ],
            },
        })
    { Filter = FilterKind.Severity };

    public static DimensionDef Environment { get; } = new(Dimension.Environment, "environment", "environment", "environments",
        ["environments?", "envs?", "stages?", "targets?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Deployment] = B("d.environment") with { Values = EnvironmentValues },
            [EntityKind.Incident] = B("d.environment", "deployment") with { Values = EnvironmentValues },
        })
    { Filter = FilterKind.Environment };

    public static DimensionDef Priority { get; } = new(Dimension.Priority, "priority", "priority", "priorities",
        ["priorit(?:y|ies)", "priority levels?", "priority values?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("i.priority") with { Values = PriorityValues },
            [EntityKind.Epic] = B("e.priority") with { Values = PriorityValues },
        })
    { Filter = FilterKind.Priority };

    private static IReadOnlyList<ValueDef> EnvironmentValues =>
    [
        new("production", "production", ["production", "prod", "live", "prd"]),
        new("staging", "staging", ["staging", "stage", "pre-?prod(?:uction)?", "stg"]),
    ];

    private static IReadOnlyList<ValueDef> PriorityValues =>
    [
        new("Highest", "Highest", [.. PriorityWords("highest"), "top[ -]priority"]),
        new("High", "High", [.. PriorityWords("high"), "high-pri"]),
        new("Medium", "Medium", [.. PriorityWords("medium"), "normal[ -]priority", "mid[ -]priority"]),
        new("Low", "Low", [.. PriorityWords("low"), "low-pri"]),
        new("Lowest", "Lowest", PriorityWords("lowest")),
    ];

    private const string PriorityLevel = "(?:highest|high|medium|low|lowest)";

    /// <summary>A deployment that did not succeed: failed or rolled back.</summary>
    private const string Unsuccessful = "(?:unsuccessful|not successful|did(?:n't| not) succeed)";
    private const string ListSeparator = @"\s*(?:,|/|&|\bor\b|\band\b)\s*";

    /// <summary>
    /// A priority level is read only beside the word priority (or "prio", or after "marked"): alone, "high" and "highest" are
    /// orderings. A list of levels is each of them ("High or Highest priority", "high/highest prio", "with a priority of High or
    /// Highest", "marked High or Highest"), the rows of any of them.
    /// </summary>
    private static string[] PriorityWords(string level) =>
    [
        $"(?:marked (?:as )?)?{level}[ -]prio(?:rity)?",
        $"(?:(?:with|of|at) (?:a |an |the )?)?(?:priority|prio)(?: level)?(?: of| is| =|:)? {level}",
        $"marked (?:as )?{level}",
        // Each level of a list that the word priority ends ("high/highest prio") or begins ("priority of high or highest").
        $@"{level}(?=(?:{ListSeparator}{PriorityLevel})+[\s-]+prio(?:rity)?\b)",
        $@"(?<=\b(?:(?:priority|prio)(?:\s+level)?(?:\s+of|\s+is|\s*=|:)?|marked(?:\s+as)?)\s+(?:{PriorityLevel}{ListSeparator})+){level}(?![\w-])",
    ];

    private static IReadOnlyList<ValueDef> IssueStatusValues =>
    [
        new("To Do", "To Do", []),
        new("In Progress", "In Progress", []),
        new("Done", "Done", []),
    ];

    public static DimensionDef Status { get; } = new(Dimension.Status, "status", "status", "statuses",
        ["status(?:es)?", "states?", "status categor(?:y|ies)", "outcomes?", "results?"],
        new Dictionary<EntityKind, DimensionBinding>
        {
            [EntityKind.Issue] = B("sm.status_to", "status_mapping") with { Values = IssueStatusValues, Label = "status category" },
            [EntityKind.Epic] = B("esm.status_to", "status_mapping") with { Values = IssueStatusValues, Label = "status category" },
            [EntityKind.PullRequest] = B("pr.status") with
            {
                Values = [new("open", "open", []), new("merged", "merged", []), new("closed", "closed", [])],
            },
            [EntityKind.Deployment] = B("d.status") with
            {
                Values =
                [
                    new("success", "successful", ["successful", "successfully", "succeeded", "success", "succeeding", "passed", "good", "green"]),
                    // "Unsuccessful" / "not successful" is every status but success: failed and rolled back (both values carry the words;
                    // the reader takes every value a phrase names). Before, it was failed only — a rolled-back release is not a success either.
                    new("failed", "failed", ["failed", "failing", "failures?", Unsuccessful, "broken", "broke", "errored", "red", "ended (?:up )?(?:in|with) (?:a )?failure"]),
                    new("rolled_back", "rolled back", ["rolled[ -]back", "rollbacks?", "roll-?backs?", "reverted", "were rolled back", "(?:had to )?roll(?:ed)? back",
                            "ended (?:up )?(?:in|with) (?:a )?roll-?backs?", "ended (?:up )?(?:being )?rolled[ -]back", Unsuccessful]),
                ],
            },
        })
    { Filter = FilterKind.Status };

    public static IReadOnlyList<DimensionDef> All { get; } =
        [Team, Project, Repository, Assignee, Author, IssueType, Epic, Week, Month, Quarter, Severity, Environment, Priority, Status, StoryPoints, Reporter];
}
