using StrategicAgent.Validation.Domain;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// The coverage rule of the offline judge, which reads the question itself: a concept of the question with
/// no counterpart in the SQL fails the semantic stage naming the concept; a condition, grouping, period or
/// row cut in the SQL that the question did not ask for fails it too; SQL that says exactly what was asked passes.
/// </summary>
public sealed class CoverageRuleTests(ITestOutputHelper output)
{
    private static readonly DateOnly Today = new(2026, 11, 1);

    private const string MergedPerRepo = """
        SELECT r.name AS repository, count(*) AS merged
        FROM pull_requests pr JOIN repositories r ON r.id = pr.repository_id
        WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged'
          AND pr.merged_at >= '2026-01-01 00:00:00+00'::timestamptz AND pr.merged_at < '2026-11-02 00:00:00+00'::timestamptz
        GROUP BY r.name
        """;

    private const string OpenIssuesPerTeam = """
        SELECT t.name AS team, count(*) AS open_issues
        FROM issues i JOIN projects p ON p.id = i.project_id JOIN teams t ON t.id = p.team_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to <> 'Done'
        GROUP BY t.name
        """;

    private const string AuthorsThisQuarter = """
        SELECT u.name AS author, count(*) AS prs
        FROM pull_requests pr JOIN users u ON u.id = pr.author_id
        WHERE pr.client_id = 1 AND pr.active AND pr.created_at >= date_trunc('quarter', current_date) AND pr.created_at < current_date + 1
        GROUP BY u.name ORDER BY count(*) DESC LIMIT 5
        """;

    private const string BugsToStories = """
        SELECT round(count(*) FILTER (WHERE it.original_name = 'Bug')::numeric / nullif(count(*) FILTER (WHERE it.original_name = 'Story'), 0), 3) AS bugs_per_story
        FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id
        WHERE i.client_id = 1 AND i.active AND it.original_name IN ('Bug', 'Story') AND i.created >= '2026-01-01 00:00:00+00'::timestamptz AND i.created < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string DeploysPerWeek = """
        SELECT round((count(*) / 13.0)::numeric, 2) AS deployments_per_week, count(*) AS deployments
        FROM deployments d
        WHERE d.client_id = 1 AND d.environment = 'production' AND d.deployed_at >= '2026-08-03 00:00:00+00'::timestamptz AND d.deployed_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string AvgLeadTime = """
        SELECT avg(i.total_lead_time_seconds) / 86400.0 AS avg_lead_time_days
        FROM issues i JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to = 'Done' AND i.total_lead_time_seconds IS NOT NULL
          AND i.work_last_completed_at >= '2026-08-04 00:00:00+00'::timestamptz AND i.work_last_completed_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string MergedByQuarter = """
        SELECT date_trunc('quarter', pr.merged_at)::date AS quarter, count(*) AS merged
        FROM pull_requests pr
        WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged'
          AND pr.merged_at >= '2026-07-01 00:00:00+00'::timestamptz AND pr.merged_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string IncidentsOfTeams = """
        FROM incidents x JOIN deployments d ON d.id = x.deployment_id JOIN repositories r ON r.id = d.repository_id JOIN teams t ON t.id = r.team_id
        WHERE x.client_id = 1 AND x.created_at >= '2026-01-01 00:00:00+00'::timestamptz AND x.created_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string WontDoPerProject = """
        SELECT p.key AS project, count(*) AS issues
        FROM issues i JOIN projects p ON p.id = i.project_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to = 'Done' AND s.original_name = 'Won''t Do'
        GROUP BY p.key
        """;

    private const string HighPriorityOpenBugsPerProject = """
        SELECT p.key AS project, count(*) AS open_bugs
        FROM issues i JOIN projects p ON p.id = i.project_id JOIN issuetypes it ON it.id = i.issuetype_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to <> 'Done' AND it.original_name = 'Bug' AND i.priority IN ('High', 'Highest')
        GROUP BY p.key
        """;

    private const string StagingRollbackShare = """
        SELECT round(100.0 * count(*) FILTER (WHERE d.status = 'rolled_back') / nullif(count(*), 0), 1) AS rollback_pct
        FROM deployments d
        WHERE d.client_id = 1 AND d.environment = 'staging'
          AND d.deployed_at >= '2026-07-01 00:00:00+00'::timestamptz AND d.deployed_at < '2026-10-01 00:00:00+00'::timestamptz
        """;

    private const string MergedOfTeamLastMonth = """
        SELECT count(*) AS merged
        FROM pull_requests pr JOIN repositories r ON r.id = pr.repository_id JOIN teams t ON t.id = r.team_id
        WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND t.name = 'Payments'
          AND pr.merged_at >= '2026-10-01 00:00:00+00'::timestamptz AND pr.merged_at < '2026-11-01 00:00:00+00'::timestamptz
        """;

    private const string OpenCreatedBeforeThisYear = """
        SELECT count(*) AS open_issues
        FROM issues i JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to <> 'Done'
          AND i.created >= '1970-01-01 00:00:00+00'::timestamptz AND i.created < '2026-01-01 00:00:00+00'::timestamptz
        """;

    private const string DonePerCompleteMonth = """
        SELECT date_trunc('month', i.work_last_completed_at)::date AS month, count(*) AS done
        FROM issues i JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to = 'Done'
          AND i.work_last_completed_at >= '2026-08-01 00:00:00+00'::timestamptz AND i.work_last_completed_at < '2026-11-01 00:00:00+00'::timestamptz
        GROUP BY 1
        """;

    private const string DataPipelinePerDay = """
        SELECT count(*) / 30.0 AS per_day FROM deployments d JOIN repositories r ON r.id = d.repository_id
        WHERE d.client_id = 1 AND r.name = 'data-pipeline' AND d.environment = 'production' AND d.status = 'success'
          AND d.deployed_at >= '2026-10-03 00:00:00+00'::timestamptz AND d.deployed_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string StoriesWithinWeek = """
        SELECT 100.0 * count(*) FILTER (WHERE i.total_lead_time_seconds / 86400.0 <= 7) / nullif(count(*), 0) AS pct_within_week
        FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND it.original_name = 'Story' AND sm.status_to = 'Done' AND i.total_lead_time_seconds IS NOT NULL
          AND i.work_last_completed_at >= '2026-01-01 00:00:00+00'::timestamptz AND i.work_last_completed_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string MergedByInactiveAuthors = """
        SELECT count(*) AS prs_merged FROM pull_requests pr JOIN users u ON u.id = pr.author_id
        WHERE pr.client_id = 1 AND pr.active AND pr.merged_at IS NOT NULL AND NOT u.active
          AND pr.merged_at >= '2026-01-01 00:00:00+00'::timestamptz AND pr.merged_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string MergedOverTenFiles = """
        SELECT 100.0 * count(*) FILTER (WHERE pr.changed_files > 10) / nullif(count(*), 0) AS pct_over_10_files
        FROM pull_requests pr
        WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.changed_files IS NOT NULL
          AND pr.merged_at >= '2026-01-01 00:00:00+00'::timestamptz AND pr.merged_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private static string BugsBy(string person) => $"""
        SELECT u.name, count(*) AS bugs FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id JOIN users u ON u.id = i.{person}
        WHERE i.client_id = 1 AND i.active AND it.original_name = 'Bug' AND i.created >= '2026-01-01 00:00:00+00'::timestamptz AND i.created < '2026-11-02 00:00:00+00'::timestamptz
        GROUP BY u.id, u.name ORDER BY count(*) DESC FETCH FIRST 1 ROW WITH TIES
        """;

    private const string OpenBugs = """
        SELECT count(*) AS open_bugs
        FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND it.original_name = 'Bug' AND sm.status_to <> 'Done'
        """;

    private const string RestoreBySeverity = """
        SELECT x.severity, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.resolved_at - x.created_at)) / 3600.0 AS median_hours
        FROM incidents x
        WHERE x.client_id = 1 AND x.resolved_at IS NOT NULL AND x.created_at >= '2026-01-01 00:00:00+00'::timestamptz AND x.created_at < '2026-11-02 00:00:00+00'::timestamptz
        GROUP BY x.severity
        """;

    private const string IncidentsOfRepo = """
        SELECT count(*) AS incidents
        FROM incidents x JOIN deployments d ON d.id = x.deployment_id JOIN repositories r ON r.id = d.repository_id
        WHERE x.client_id = 1 AND r.name = 'payments-service' AND x.created_at >= '2026-01-01 00:00:00+00'::timestamptz AND x.created_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string ClosedUnmerged = """
        SELECT count(*) AS closed_unmerged
        FROM pull_requests pr
        WHERE pr.client_id = 1 AND pr.active AND pr.status = 'closed'
          AND pr.closed_at >= '2026-01-01 00:00:00+00'::timestamptz AND pr.closed_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string ResolvedBugs = """
        SELECT count(*) AS resolved_bugs
        FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND it.original_name = 'Bug' AND sm.status_to = 'Done'
          AND i.work_last_completed_at >= '2026-10-01' AND i.work_last_completed_at < '2026-11-01'
        """;

    private const string OpenBugsOfPay = """
        SELECT i.key, i.summary, i.created
        FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id JOIN projects p ON p.id = i.project_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND it.original_name = 'Bug' AND sm.status_to <> 'Done' AND p.key = 'PAY' ORDER BY i.created LIMIT 100
        """;

    private const string OpenEpicOpenChildren = """
        SELECT e.key, e.summary, count(*) AS open_children
        FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id
        JOIN issues c ON c.parent_id = e.id AND c.active
        JOIN statuses es ON es.id = e.status_id JOIN status_mappings esm ON esm.id = es.status_mapping_id
        JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings csm ON csm.id = cs.status_mapping_id
        WHERE e.client_id = 1 AND e.active AND et.original_name = 'Epic' AND esm.status_to <> 'Done' AND csm.status_to <> 'Done'
        GROUP BY e.key, e.summary ORDER BY count(*) DESC, e.key LIMIT 1
        """;

    /// <summary>The agent's compiled form of the same question: the open children counted in a correlated subquery per epic.</summary>
    private const string OpenEpicOpenChildCount = """
        SELECT e.key AS epic, e.summary AS summary,
               (SELECT count(*) FROM issues c JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings csm ON csm.id = cs.status_mapping_id
                WHERE c.parent_id = e.id AND c.active AND csm.status_to <> 'Done') AS children_open
        FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id
        JOIN statuses es ON es.id = e.status_id JOIN status_mappings esm ON esm.id = es.status_mapping_id
        WHERE e.client_id = 1 AND e.active AND et.original_name = 'Epic' AND esm.status_to <> 'Done'
        ORDER BY children_open DESC NULLS LAST FETCH FIRST 1 ROW WITH TIES
        """;

    /// <summary>The top 5 epics by their Done children, the count shown and repeated as a hidden ranking column (the corpus gold's form).</summary>
    private const string EpicsByDoneChildren = """
        SELECT e.key AS epic, e.summary,
               (SELECT count(*) FROM issues c JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings csm ON csm.id = cs.status_mapping_id
                WHERE c.parent_id = e.id AND c.active AND csm.status_to = 'Done') AS done_children,
               (SELECT count(*) FROM issues c JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings csm ON csm.id = cs.status_mapping_id
                WHERE c.parent_id = e.id AND c.active AND csm.status_to = 'Done') AS _rank
        FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id
        WHERE e.client_id = 1 AND e.active AND et.original_name = 'Epic'
        ORDER BY 4 DESC FETCH FIRST 5 ROWS WITH TIES
        """;

    private const string RepoMostMerged = """
        SELECT r.name AS repository, count(*) AS merged
        FROM pull_requests pr JOIN repositories r ON r.id = pr.repository_id
        WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged'
          AND pr.merged_at >= '2026-01-01 00:00:00+00'::timestamptz AND pr.merged_at < '2026-11-02 00:00:00+00'::timestamptz
        GROUP BY r.name ORDER BY count(*) DESC FETCH FIRST 1 ROW WITH TIES
        """;

    private const string OpenPointsPerProject = """
        SELECT p.key AS project, sum(i.story_points) AS open_points
        FROM issues i JOIN projects p ON p.id = i.project_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to <> 'Done'
        GROUP BY p.key
        """;

    private const string OpenEpics = """
        SELECT count(*) AS open_epics
        FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id
        JOIN statuses s ON s.id = e.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE e.client_id = 1 AND e.active AND et.original_name = 'Epic' AND sm.status_to <> 'Done'
        """;

    private const string PointsDoneThisMonth = """
        SELECT sum(i.story_points) AS story_points
        FROM issues i JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to = 'Done'
          AND i.work_last_completed_at >= '2026-11-01 00:00:00+00'::timestamptz AND i.work_last_completed_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string OpenEpicsAverageChildren = """
        SELECT round(avg((SELECT count(*) FROM issues c WHERE c.parent_id = e.id AND c.active))::numeric, 2) AS children_avg
        FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id
        JOIN statuses es ON es.id = e.status_id JOIN status_mappings esm ON esm.id = es.status_mapping_id
        WHERE e.client_id = 1 AND e.active AND et.original_name = 'Epic' AND esm.status_to <> 'Done'
        """;

    private const string StoriesUnpointedShare = """
        SELECT round(100.0 * count(*) FILTER (WHERE i.story_points IS NULL) / nullif(count(*), 0), 1) AS share_pct
        FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to = 'Done' AND it.original_name = 'Story'
          AND i.work_last_completed_at >= '2026-01-01 00:00:00+00'::timestamptz AND i.work_last_completed_at < '2026-11-02 00:00:00+00'::timestamptz
        """;

    private const string MergedWithinHours = """
        SELECT round(100.0 * count(*) FILTER (WHERE extract(epoch FROM (pr.merged_at - pr.created_at)) / 3600.0 <= @H) / nullif(count(*), 0), 1) AS share_pct
        FROM pull_requests pr
        WHERE pr.client_id = 1 AND pr.active AND pr.merged_at IS NOT NULL
          AND pr.merged_at >= '2026-07-01 00:00:00+00'::timestamptz AND pr.merged_at < '2026-10-01 00:00:00+00'::timestamptz
        """;

    public static TheoryData<string, string, bool, string> Cases() => new()
    {
        // Exactly what was asked.
        { "How many PRs were merged without review this year, per repository?", MergedPerRepo.Replace("pr.status = 'merged'", "pr.status = 'merged' AND pr.review_cycles = 0", StringComparison.Ordinal), true, "without review" },
        { "How many open issues does each team have?", OpenIssuesPerTeam, true, "team" },
        { "Which 5 authors opened the most PRs this quarter?", AuthorsThisQuarter, true, "top 5" },
        { "How many PRs opened this quarter changed more than 20 files?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.changed_files >= 21 AND pr.created_at >= date_trunc('quarter', current_date)", true, "more than 20" },

        { "What's the ratio of bugs to stories created this year?", BugsToStories, true, "ratio" },
        { "On average, how many production deployments per week over the last 13 weeks?", DeploysPerWeek, true, "week" },
        { "What's our average lead time over the last 90 days?", AvgLeadTime, true, "lead time" },

        // Phrasings of the dev extension read in general terms: the layer's issue-type words ("defects" are bugs), a condition
        // said twice in a row is one, "the team with …" asks for the team, a metric of other rows than the ones named is not the
        // metric asked ("time to resolve incidents" is no issue lead time), a foreign key an inner join follows is set.
        { "number of defects raised last month", OpenBugs.Replace("AND sm.status_to <> 'Done'", "AND i.created >= '2026-10-01' AND i.created < '2026-11-01'", StringComparison.Ordinal), true, "issue type Bug ('defects')" },
        { "number of bugs not yet done", OpenBugs, true, "'not yet done'" },
        { "which 10 assignees have the biggest open backlog (number of issues)?",
          OpenIssuesPerTeam.Replace("t.name AS team", "u.name AS assignee", StringComparison.Ordinal).Replace("JOIN teams t ON t.id = p.team_id", "JOIN users u ON u.id = i.assignee_id", StringComparison.Ordinal)
              .Replace("GROUP BY t.name", "GROUP BY u.name ORDER BY count(*) DESC LIMIT 10", StringComparison.Ordinal), true, "'open' (not done (open))" },
        { "the team with the slowest lead time last quarter",
          AvgLeadTime.Replace("SELECT avg", "SELECT t.name AS team, avg", StringComparison.Ordinal).Replace("JOIN statuses", "JOIN projects p ON p.id = i.project_id JOIN teams t ON t.id = p.team_id JOIN statuses", StringComparison.Ordinal)
              .Replace("'2026-08-04 00:00:00+00'", "'2026-07-01 00:00:00+00'", StringComparison.Ordinal).Replace("'2026-11-02 00:00:00+00'", "'2026-10-01 00:00:00+00'", StringComparison.Ordinal)
              + " GROUP BY t.name ORDER BY 2 DESC LIMIT 1", true, "'team'" },
        { "median time to resolve incidents by severity this year", RestoreBySeverity, true, "'severity'" },
        { "number of incidents caused by deployments of the payments-service repo this year", IncidentsOfRepo, true, "'caused by deployments'" },

        // A concept of the question missing from the SQL: the judge names it.
        { "What's the ratio of bugs to stories created this year?",
          BugsToStories.Replace("nullif(count(*) FILTER (WHERE it.original_name = 'Story'), 0)", "nullif(count(*), 0)", StringComparison.Ordinal), false, "never counts issuetypes.original_name = 'story' on its own" },
        { "What's our average lead time over the last 90 days?", AvgLeadTime.Replace("sm.status_to = 'Done' AND ", "", StringComparison.Ordinal), false, "Average lead time: done (status_mappings.status_to = 'done'" },
        { "How many PRs were merged without review this year, per repository?", MergedPerRepo, false, "'without review'" },
        { "How many open issues does the Platform team have?", OpenIssuesPerTeam.Replace("GROUP BY t.name", "", StringComparison.Ordinal).Replace("t.name AS team, ", "", StringComparison.Ordinal), false, "team Platform" },
        { "What's the average number of commits per PR by repo this year?",
          MergedPerRepo.Replace("count(*) AS merged", "avg(pr.changed_files) AS commits", StringComparison.Ordinal).Replace(" AND pr.status = 'merged'", "", StringComparison.Ordinal).Replace("merged_at", "created_at", StringComparison.Ordinal),
          false, "commit_count" },
        { "Which 5 authors opened the most PRs this quarter?", AuthorsThisQuarter.Replace("u.name AS author, ", "", StringComparison.Ordinal).Replace("GROUP BY u.name ", "", StringComparison.Ordinal), false, "grouping" },
        { "How many PRs were merged last month per repository?", MergedPerRepo, false, "starts 2026-01-01 instead of 2026-10-01" },
        { "Which 5 authors opened the most PRs this quarter?", AuthorsThisQuarter.Replace("LIMIT 5", "LIMIT 10", StringComparison.Ordinal), false, "LIMIT is 10" },
        { "Which 5 authors opened the most PRs this quarter?", AuthorsThisQuarter.Replace("DESC", "ASC", StringComparison.Ordinal), false, "orders ASC" },
        { "How many PRs opened this quarter changed more than 20 files?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.changed_files > 30 AND pr.created_at >= date_trunc('quarter', current_date)", false, "'more than 20 files'" },
        { "What are the 10 longest-running open epics?",
          "SELECT count(*) FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id JOIN statuses s ON s.id = e.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE e.client_id = 1 AND et.original_name = 'Epic' AND sm.status_to <> 'Done'",
          false, "list of rows" },

        // Words the judge's reading cannot place, numbers the SQL does not say, a unit it does not convert to: written as
        // wrong-but-plausible SQL for each, the way a reader with the same blind spot would compile it.
        { "How many open issues belong to teams other than Platform?", OpenIssuesPerTeam.Replace("GROUP BY t.name", "", StringComparison.Ordinal).Replace("t.name AS team, ", "", StringComparison.Ordinal)
              .Replace("sm.status_to <> 'Done'", "sm.status_to <> 'Done' AND t.name = 'Platform'", StringComparison.Ordinal), false, "'other', a word that changes what is counted" },
        { "Which repositories had more than 40 merged PRs this year?", MergedPerRepo + " HAVING count(*) > 20", false, "the number 40" },
        { "Which repositories had more than 40 merged PRs this year?", MergedPerRepo, false, "the number 40" },
        { "Which repositories had more than 40 merged PRs this year?", MergedPerRepo + " HAVING count(*) > 40", true, "'repositories'" },
        { "How many PRs merged this year per repository came after the first review?", MergedPerRepo, false, "'first'" },
        { "Which are the noisiest repositories this year by merged PRs?", MergedPerRepo, false, "'noisiest'" },
        { "Do bigger issues take longer? Average lead time by story points over the last 90 days",
          AvgLeadTime.Replace("SELECT avg", "SELECT i.story_points, avg", StringComparison.Ordinal) + " GROUP BY i.story_points", true, "per 'story points'" },
        { "What's our average lead time in hours over the last 90 days?", AvgLeadTime, false, "a duration in hours, but the SQL converts to days" },
        { "What's our average lead time in days over the last 90 days?", AvgLeadTime, true, "lead time" },
        { "how many pull requests were merged in each of the last 3 whole months (not counting the current month)?",
          "SELECT date_trunc('month', pr.merged_at) AS month, count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.merged_at >= '2026-08-01' AND pr.merged_at < '2026-11-01' GROUP BY 1 ORDER BY 1",
          true, "'merged'" },

        { "How many production deployments per week over the last 13 weeks?",
          "SELECT date_trunc('week', d.deployed_at) AS week, round(count(*) / 7.0, 2) AS deployments FROM deployments d WHERE d.client_id = 1 AND d.environment = 'production' AND d.deployed_at >= '2026-08-03' AND d.deployed_at < '2026-11-02' GROUP BY 1 ORDER BY 1",
          false, "a per-day rate" },
        { "How many production deployments per week over the last 13 weeks?",
          "SELECT date_trunc('week', d.deployed_at) AS week, count(*) AS deployments FROM deployments d WHERE d.client_id = 1 AND d.environment = 'production' AND d.deployed_at >= '2026-08-03' AND d.deployed_at < '2026-11-02' GROUP BY 1 ORDER BY 1",
          true, "'week'" },
        // Deployment frequency is defined per day (DORA): by week it is each week's per-day rate, as the dashboard asks it;
        // put per week in words it is each week's count.
        { "deployment frequency by week in the last 12 weeks",
          "SELECT date_trunc('week', d.deployed_at) AS week, round(count(*) / 7.0, 2) AS deployment_frequency_per_day, count(*) AS deployments FROM deployments d WHERE d.client_id = 1 AND d.environment = 'production' AND d.status = 'success' AND d.deployed_at >= '2026-08-10' AND d.deployed_at < '2026-11-02' GROUP BY 1 ORDER BY 1",
          true, "'week'" },
        { "deployment frequency per week, by week, in the last 12 weeks",
          "SELECT date_trunc('week', d.deployed_at) AS week, round(count(*) / 7.0, 2) AS deployment_frequency_per_day, count(*) AS deployments FROM deployments d WHERE d.client_id = 1 AND d.environment = 'production' AND d.status = 'success' AND d.deployed_at >= '2026-08-10' AND d.deployed_at < '2026-11-02' GROUP BY 1 ORDER BY 1",
          false, "a per-day rate" },
        { "How big are the stories each team finishes, on average, in story points? this year",
          "SELECT t.name AS team, avg(i.story_points) AS avg_points FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id JOIN projects p ON p.id = i.project_id JOIN teams t ON t.id = p.team_id JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE i.client_id = 1 AND i.active AND it.original_name = 'Story' AND sm.status_to = 'Done' AND i.story_points IS NOT NULL AND i.work_last_completed_at >= '2026-01-01' AND i.work_last_completed_at < '2026-11-02' GROUP BY t.name",
          true, "'team'" },
        { "What is the oldest open bug?",
          "SELECT i.key, i.summary, i.created FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE i.client_id = 1 AND i.active AND it.original_name = 'Bug' AND sm.status_to <> 'Done' ORDER BY i.created, i.id LIMIT 3",
          false, "one bug (the first by the ordering) but the SQL's LIMIT is 3" },
        { "Which PR merged last month added the most lines?",
          "SELECT pr.number, pr.title, pr.additions FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.merged_at >= '2026-10-01' AND pr.merged_at < '2026-11-01' LIMIT 1",
          false, "no ORDER BY" },

        // Session 5: a period attached to an event verb filters that event's column (closed → closed_at, resolved → completion,
        // opened → created_at), also when the verb heads a state phrase ("closed without merging").
        { "How many PRs were closed without merging this year?", ClosedUnmerged, true, "'closed without merging'" },
        { "How many PRs were closed without merging this year?", ClosedUnmerged.Replace("pr.closed_at", "pr.created_at", StringComparison.Ordinal), false, "the period applies to pull_requests.closed_at but the SQL restricts pull_requests.created_at" },
        { "How many PRs were closed this month?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.created_at >= '2026-11-01' AND pr.created_at < '2026-11-02'", false, "pull_requests.closed_at" },
        { "How many bugs were resolved last month?", ResolvedBugs, true, "issue type Bug" },
        { "How many bugs were resolved last month?", ResolvedBugs.Replace("i.work_last_completed_at", "i.created", StringComparison.Ordinal), false, "issues.work_last_completed_at" },
        { "How many incidents were resolved this year?",
          "SELECT count(*) FROM incidents x WHERE x.client_id = 1 AND x.resolved_at IS NOT NULL AND x.created_at >= '2026-01-01' AND x.created_at < '2026-11-02'", false, "incidents.resolved_at" },
        { "How many PRs opened this year were merged last month?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.created_at >= '2026-01-01' AND pr.created_at < '2026-11-02' AND pr.merged_at >= '2026-10-01' AND pr.merged_at < '2026-11-01'",
          true, "'merged'" },
        { "How many PRs opened this year were merged last month?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.merged_at >= '2026-01-01' AND pr.merged_at < '2026-11-02' AND pr.created_at >= '2026-10-01' AND pr.created_at < '2026-11-01'",
          false, "but the SQL's period" },

        // Session 5: a singular head noun with a superlative asks for one row (or the ties of the first, WITH TIES); a plural
        // head noun, or "per repository", asks for the ranking.
        { "Which repo had the highest number of merged PRs this year?", MergedPerRepo + " ORDER BY count(*) DESC", false, "one repo (the first by the ordering) but the SQL returns every repo ranked" },
        { "the repository with the most merged PRs this year", MergedPerRepo, false, "one repository (the first by the ordering) but the SQL returns every repository" },
        { "Which repo had the highest number of merged PRs this year?", MergedPerRepo + " ORDER BY count(*) DESC LIMIT 1", true, "'repo'" },
        { "Which repo had the highest number of merged PRs this year?", MergedPerRepo + " ORDER BY count(*) DESC FETCH FIRST 1 ROWS WITH TIES", true, "'repo'" },
        { "Which repos had the most merged PRs this year?", MergedPerRepo + " ORDER BY count(*) DESC", true, "'repos'" },
        { "which repo merges the most? merged PRs per repository this year", MergedPerRepo + " ORDER BY count(*) DESC", true, "'repo'" },
        { "What is the biggest PR merged last month?",
          "SELECT pr.number, pr.title, pr.changed_files FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.merged_at >= '2026-10-01' AND pr.merged_at < '2026-11-01' ORDER BY pr.changed_files DESC LIMIT 100",
          false, "one pr (the first by the ordering) but the SQL's LIMIT is 100" },

        // Session 5: a listing ("list …", "show me the …", "what are the …") asks for the rows themselves, picked by its conditions;
        // a question for a count per row is not answered by the rows.
        { "List the open bugs in project PAY", OpenBugsOfPay, true, "a list of 'bugs'" },
        { "List the open bugs in project PAY", OpenBugsOfPay.Replace("i.key, i.summary, i.created", "count(*)", StringComparison.Ordinal).Replace(" ORDER BY i.created LIMIT 100", "", StringComparison.Ordinal),
          false, "the bugs themselves but the SQL returns one aggregate row" },
        { "show me the open bugs in project PAY", OpenBugsOfPay.Replace("i.key, i.summary, i.created", "i.priority, count(*)", StringComparison.Ordinal).Replace(" ORDER BY i.created LIMIT 100", " GROUP BY i.priority", StringComparison.Ordinal),
          false, "one aggregate row per issues.priority" },
        { "list the PRs merged without review last month",
          "SELECT pr.number, pr.title, count(*) FILTER (WHERE pr.review_cycles = 0) AS unreviewed FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.merged_at >= '2026-10-01' AND pr.merged_at < '2026-11-01' GROUP BY pr.number, pr.title",
          false, "that picks the rows listed" },
        { "list the PRs merged without review last month",
          "SELECT pr.number, pr.title FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.review_cycles = 0 AND pr.merged_at >= '2026-10-01' AND pr.merged_at < '2026-11-01' LIMIT 100",
          true, "'without review'" },
        { "How many open issues does each epic have?",
          "SELECT e.key, c.key FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id JOIN issues c ON c.parent_id = e.id JOIN statuses s ON s.id = c.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE e.client_id = 1 AND e.active AND et.original_name = 'Epic' AND c.active AND sm.status_to <> 'Done' LIMIT 1000",
          false, "count but the SQL computes no aggregate" },

        // Session 5: in a question about epics and their issues, each state word is said of one of them ("the open epic", "the open
        // child issues"); SQL that puts it on the other rows answers another question.
        { "Which open epic has the most unfinished issues?", OpenEpicOpenChildren, true, "'unfinished'" },
        { "Which open epic has the most unfinished issues?", OpenEpicOpenChildren.Replace("es.id = e.status_id", "es.id = c.status_id", StringComparison.Ordinal), false, "said of the epic" },
        { "Which open epic has the most child issues?", OpenEpicOpenChildren.Replace(" AND csm.status_to <> 'Done'", "", StringComparison.Ordinal), true, "'open'" },
        { "Which open epic has the most child issues?", OpenEpicOpenChildren.Replace(" AND esm.status_to <> 'Done'", "", StringComparison.Ordinal), false, "said of the epic" },
        // Session 7: "unfinished child issues" is one phrase of the layer's children_open (the children take every word of the
        // issues' own open state), named whole.
        { "Which epic has the most unfinished child issues?", OpenEpicOpenChildren.Replace(" AND esm.status_to <> 'Done'", "", StringComparison.Ordinal), true, "'unfinished child issues'" },
        { "Which epic has the most unfinished child issues?", OpenEpicOpenChildren.Replace(" AND csm.status_to <> 'Done'", "", StringComparison.Ordinal), false, "said of the child issues" },
        { "Which epic has the most unfinished child issues?", OpenEpicOpenChildren.Replace(" AND esm.status_to <> 'Done'", "", StringComparison.Ordinal).Replace("cs.id = c.status_id", "cs.id = e.status_id", StringComparison.Ordinal),
          false, "said of the child issues" },
        // Session 6: every entity with state-changing events dates the rows by the event the question names, in a plain verb too
        // ("did we resolve", "did we merge", "did we complete"); a deployment's status is dated by its one time column.
        { "How many incidents did we resolve last month?",
          "SELECT count(*) AS resolved FROM incidents x WHERE x.client_id = 1 AND x.resolved_at >= '2026-10-01' AND x.resolved_at < '2026-11-01'", true, "last month" },
        { "How many incidents did we resolve last month?",
          "SELECT count(*) AS resolved FROM incidents x WHERE x.client_id = 1 AND x.resolved_at IS NOT NULL AND x.created_at >= '2026-10-01' AND x.created_at < '2026-11-01'", false, "incidents.resolved_at" },
        { "How many PRs did we merge last month?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.merged_at >= '2026-10-01' AND pr.merged_at < '2026-11-01'", true, "last month" },
        { "How many PRs did we merge last month?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.created_at >= '2026-10-01' AND pr.created_at < '2026-11-01'", false, "pull_requests.merged_at" },
        { "How many bugs did we complete last month?", ResolvedBugs, true, "issue type Bug" },
        { "How many bugs did we complete last month?", ResolvedBugs.Replace("i.work_last_completed_at", "i.created", StringComparison.Ordinal), false, "issues.work_last_completed_at" },
        { "How many deployments were rolled back last month?",
          "SELECT count(*) FROM deployments d WHERE d.client_id = 1 AND d.status = 'rolled_back' AND d.deployed_at >= '2026-10-01' AND d.deployed_at < '2026-11-01'", true, "rolled back" },
        { "How many deployments were rolled back last month?",
          "SELECT count(*) FROM deployments d WHERE d.client_id = 1 AND d.status = 'failed' AND d.deployed_at >= '2026-10-01' AND d.deployed_at < '2026-11-01'", false, "rolled back" },
        { "How many pull requests got closed without being merged this year?", ClosedUnmerged.Replace("pr.status = 'closed'", "pr.status = 'closed' AND pr.merged_at IS NULL", StringComparison.Ordinal), true, "closed without" },
        { "How many pull requests got closed without being merged this year?", ClosedUnmerged.Replace("pr.status = 'closed'", "pr.status = 'closed' AND pr.review_cycles = 0", StringComparison.Ordinal), false, "review_cycles" },
        { "the open epic with the largest number of open child tickets", OpenEpicOpenChildren, true, "the child issues' state" },
        { "the open epic with the largest number of open child tickets", OpenEpicOpenChildren.Replace("cs.id = c.status_id", "cs.id = e.status_id", StringComparison.Ordinal), false, "said of the child issues" },
        { "the open epic with the largest number of open child tickets", OpenEpicOpenChildCount, true, "the child issues' state" },
        { "the open epic with the largest number of open child tickets", OpenEpicOpenChildCount.Replace("csm.status_to <> 'Done'", "csm.status_to = 'Done'", StringComparison.Ordinal), false, "child" },
        // Session 6: what is "under" an epic (in it, beneath it) is its children: "the most work still open under it" says open of them.
        { "what epic has the most work still open under it?", OpenEpicOpenChildren, true, "'still open'" },
        { "what epic has the most work still open under it?", OpenEpicOpenChildren.Replace("cs.id = c.status_id", "cs.id = e.status_id", StringComparison.Ordinal), false, "said of the child issues" },

        // Session 7: a repeated subquery's copy is tied to what the question asks (the copy that ranks carries the children's state on
        // their rows and the count the question names); "number of" a count attribute is that count; "the single repo" is one repo;
        // a bare attribute the layer sums is summed; "close without merging" in the base form.
        { "top 5 epics by completed child issues", EpicsByDoneChildren, true, "the child issues' state" },
        { "top 5 epics by completed child issues", ReplaceLast(EpicsByDoneChildren, "cs.id = c.status_id", "cs.id = e.status_id"), false, "on the epic's rows (the question says it only of the child issues)" },
        { "Which open epic has the most open child issues?", OpenEpicOpenChildCount.Replace("SELECT count(*)", "SELECT avg(c.story_points)", StringComparison.Ordinal), false, "avg(issues.story_points), a value the question does not name" },
        { "top 5 epics by completed child issues", EpicsByDoneChildren.Replace("FROM issues e JOIN", "FROM issues e JOIN statuses es ON es.id = e.status_id JOIN status_mappings esm ON esm.id = es.status_mapping_id JOIN", StringComparison.Ordinal)
            .Replace("AND e.active", "AND esm.status_to = 'Done' AND e.active", StringComparison.Ordinal), false, "on the epic's rows" },
        { "Which open epic has the most open child issues?", OpenEpicOpenChildren.Replace("count(*) AS open_children", "avg(e.story_points) AS open_children", StringComparison.Ordinal), false, "a value the question does not name" },
        { "the open epic with the highest number of open child tickets", OpenEpicOpenChildCount, true, "'number of open child tickets'" },
        { "the open epic with the highest number of open child tickets", OpenEpicOpenChildren, true, "'number of open child tickets'" },
        { "What's the single repo with the most PRs merged this year?", RepoMostMerged, true, "'repo'" },
        { "What's the single repo with the most PRs merged this year?", RepoMostMerged.Replace("GROUP BY r.name ORDER BY count(*) DESC FETCH FIRST 1 ROW WITH TIES", "", StringComparison.Ordinal).Replace("r.name AS repository, ", "", StringComparison.Ordinal), false, "a grouping by repo" },
        { "open story points per project", OpenPointsPerProject, true, "'story points'" },
        { "open story points per project", OpenPointsPerProject.Replace("sum(", "avg(", StringComparison.Ordinal), false, "sum but the SQL computes avg" },
        { "How many pull requests did we close without merging last quarter?", ClosedUnmerged.Replace("'2026-01-01 00:00:00+00'", "'2026-07-01 00:00:00+00'", StringComparison.Ordinal).Replace("'2026-11-02 00:00:00+00'", "'2026-10-01 00:00:00+00'", StringComparison.Ordinal), true, "closed without merging" },
        { "How many pull requests did we close without merging last quarter?", ClosedUnmerged.Replace("pr.closed_at", "pr.created_at", StringComparison.Ordinal).Replace("'2026-01-01 00:00:00+00'", "'2026-07-01 00:00:00+00'", StringComparison.Ordinal).Replace("'2026-11-02 00:00:00+00'", "'2026-10-01 00:00:00+00'", StringComparison.Ordinal), false, "pull_requests.closed_at" },

        // Session 7, the mutation kinds that got through: a count answered by its share, the epics counted over their children (or the
        // children by their distinct epics), "total" of a summed metric as a count of the column.
        { "How many open issues does each team have?", OpenIssuesPerTeam.Replace("count(*) AS open_issues", "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS open_issues", StringComparison.Ordinal), false, "a share (a division by an aggregate)" },
        { "How many epics are still open?", OpenEpics, true, "'still open'" },
        { "How many epics are still open?", OpenEpics.Replace("count(*)", "count(c.id)", StringComparison.Ordinal).Replace("WHERE", "JOIN issues c ON c.parent_id = e.id AND c.active WHERE", StringComparison.Ordinal), false, "the epics' child issues" },
        { "the open epic with the largest number of open child tickets", OpenEpicOpenChildren.Replace("count(*) AS open_children", "count(DISTINCT e.id) AS open_children", StringComparison.Ordinal), false, "a count of distinct issues.id" },
        { "total story points done this month", PointsDoneThisMonth, true, "'total" },
        { "total story points done this month", PointsDoneThisMonth.Replace("sum(i.story_points)", "count(i.story_points)", StringComparison.Ordinal), false, "sum but the SQL computes count" },

        { "Which open epic has the most open child issues?", EpicsByDoneChildren.Replace("'Done'", "'XX'", StringComparison.Ordinal).Replace("= 'XX'", "<> 'Done'", StringComparison.Ordinal)
            .Replace("FROM issues e JOIN", "FROM issues e JOIN statuses es ON es.id = e.status_id JOIN status_mappings esm ON esm.id = es.status_mapping_id JOIN", StringComparison.Ordinal)
            .Replace("AND e.active", "AND esm.status_to <> 'Done' AND e.active", StringComparison.Ordinal).Replace("FETCH FIRST 5 ROWS", "FETCH FIRST 1 ROW", StringComparison.Ordinal), true, "the child issues' state" },
        { "Which open epic has the most open child issues?", ReplaceLast(EpicsByDoneChildren.Replace("'Done'", "'XX'", StringComparison.Ordinal).Replace("= 'XX'", "<> 'Done'", StringComparison.Ordinal)
            .Replace("FROM issues e JOIN", "FROM issues e JOIN statuses es ON es.id = e.status_id JOIN status_mappings esm ON esm.id = es.status_mapping_id JOIN", StringComparison.Ordinal)
            .Replace("AND e.active", "AND esm.status_to <> 'Done' AND e.active", StringComparison.Ordinal).Replace("FETCH FIRST 5 ROWS", "FETCH FIRST 1 ROW", StringComparison.Ordinal), "cs.id = c.status_id", "cs.id = e.status_id"), false, "on every copy of the child issues" },
        { "Which three epics have the most open child issues?", OpenEpicOpenChildren.Replace("count(*) AS open_children", "round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS open_children", StringComparison.Ordinal)
            .Replace("esm.status_to <> 'Done' AND ", "", StringComparison.Ordinal).Replace("LIMIT 1", "FETCH FIRST 3 ROWS WITH TIES", StringComparison.Ordinal).Replace(", e.key FETCH", " FETCH", StringComparison.Ordinal), false, "a share" },
        { "for every story created this year, how many bugs were created?", BugsToStories, true, "'how many'" },
        { "For each team, how many bugs got resolved last month?", ResolvedBugs.Replace("count(*) AS resolved_bugs", "t.name AS team, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS resolved_bugs", StringComparison.Ordinal)
            .Replace("WHERE", "JOIN projects p ON p.id = i.project_id JOIN teams t ON t.id = p.team_id WHERE", StringComparison.Ordinal) + " GROUP BY t.name", false, "a share" },
        { "average number of issues per open epic", OpenEpicsAverageChildren, true, "'average'" },

        { "how long do PRs adding over five hundred lines take to merge on average? merged this year",
          "SELECT avg(extract(epoch FROM pr.merged_at - pr.created_at)) / 3600.0 AS avg_hours FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.additions > 500 AND pr.merged_at >= '2026-01-01' AND pr.merged_at < '2026-11-02'", true, "'over 500 lines'" },
        { "how long do PRs adding over five hundred lines take to merge on average? merged this year",
          "SELECT avg(extract(epoch FROM pr.merged_at - pr.created_at)) / 3600.0 AS avg_hours FROM pull_requests pr WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged' AND pr.deletions > 500 AND pr.merged_at >= '2026-01-01' AND pr.merged_at < '2026-11-02'", false, "pull_requests.additions" },

        // The population of a share: "share of stories completed this year [that] had no story points" is taken of the stories.
        { "What share of stories completed this year had no story points?", StoriesUnpointedShare, true, "issue type Story" },
        { "What share of stories completed this year had no story points?",
          StoriesUnpointedShare.Replace("count(*) FILTER (WHERE i.story_points IS NULL)", "count(*) FILTER (WHERE it.original_name = 'Story')", StringComparison.Ordinal)
            .Replace("AND it.original_name = 'Story'", "AND i.story_points IS NULL", StringComparison.Ordinal), false, "the share is of" },

        { "How many open issues does each team have?", OpenIssuesPerTeam.Replace("sm.status_to <> 'Done'", "sm.status_to = 'To Do' AND sm.status_to = 'Done'", StringComparison.Ordinal), false, "conditions no row meets" },

        // A threshold in time units is the rows' own duration in the attribute's unit (session 8): "within 2 days" of a time to merge
        // in hours is <= 48; another value, or no threshold, is refused.
        { "What fraction of merge requests merged in Q3 2026 landed within 2 days?", MergedWithinHours.Replace("@H", "48", StringComparison.Ordinal), true, "'within 2 days'" },
        { "share of merge requests merged in Q3 2026 that took a day or less", MergedWithinHours.Replace("@H", "24", StringComparison.Ordinal), true, "'a day or less'" },
        { "What fraction of merge requests merged in Q3 2026 landed within 2 days?", MergedWithinHours.Replace("@H", "2", StringComparison.Ordinal), false, "<= '2'" },
        // "N or fewer <attribute>": the number before the comparator, as "N or more".
        { "How many PRs opened this quarter changed 20 or fewer files?",
          "SELECT count(*) FROM pull_requests pr WHERE pr.client_id = 1 AND pr.changed_files <= 20 AND pr.created_at >= date_trunc('quarter', current_date)", true, "'or fewer 20 files'" },

        // "hours to resolve": the verb ends the duration and dates nothing — the incidents of the period are those created in it;
        // an event said of the rows apart ("incidents resolved this year") dates them by resolution (session 9).
        { "median hours to resolve this year's incidents, split by severity", RestoreBySeverity, true, "'median'" },
        { "median hours to resolve this year's incidents, split by severity", RestoreBySeverity.Replace("x.created_at >=", "x.resolved_at >=", StringComparison.Ordinal)
            .Replace("x.created_at <", "x.resolved_at <", StringComparison.Ordinal), false, "the period applies to incidents.created_at" },
        { "median hours to resolve, by severity, for incidents resolved this year", RestoreBySeverity, false, "the period applies to incidents.resolved_at" },

        // Two adjacent periods compared (session 9): one window over both, one row per period — a total over both, or another grain, is refused.
        { "merged PRs, this quarter against last quarter", MergedByQuarter + " GROUP BY 1", true, "'this quarter against last quarter'" },
        { "merged PRs, this quarter against last quarter", MergedByQuarter.Replace("date_trunc('quarter', pr.merged_at)::date AS quarter,", "", StringComparison.Ordinal), false, "a grouping by quarter" },
        { "merged PRs, this quarter against last quarter", MergedByQuarter.Replace("'quarter'", "'month'", StringComparison.Ordinal) + " GROUP BY 1", false, "a grouping by month" },

        // An average of a count over a grouping (session 9): the rows divided by the count of the grouping's distinct keys, one number —
        // a grouping, a division by another key, or no division is refused.
        { "on average, how many incidents does each team have this year?", "SELECT count(*)::numeric / nullif(count(DISTINCT t.id), 0) AS per_team " + IncidentsOfTeams, true, "'on average'" },
        { "on average, how many incidents does each team have this year?", "SELECT t.name, count(*) AS n " + IncidentsOfTeams + " GROUP BY t.name", false, "but the SQL groups by teams.name" },
        { "on average, how many incidents does each team have this year?", "SELECT count(*)::numeric / nullif(count(DISTINCT r.id), 0) AS per_team " + IncidentsOfTeams, false, "divides by no such count" },
        { "on average, how many incidents does each team have this year?", "SELECT count(*) AS n " + IncidentsOfTeams, false, "an average over the groups" },

        // "How often does <a repository> ship", "<repo> deploy freq": the deployment frequency metric, whose successful production
        // deployments are its own definition, not conditions added (session 9).
        { "how often does data-pipeline ship to production, last 30 days?", DataPipelinePerDay, true, "Deployment frequency: successful" },
        { "how often does data-pipeline ship to production, last 30 days?", DataPipelinePerDay.Replace("d.status = 'success'", "d.status = 'failed'", StringComparison.Ordinal), false, "successful" },

        // Session 10: words of what the layer has. A status by its name (Won't Do is a Done status: "closed as" says no more);
        // a lower-case team name first in the question; "before <a period>"; complete months "(not this one)".
        { "How many issues were closed as Won't Do, per project?", WontDoPerProject, true, "in status Won't Do" },
        { "How many issues were closed as Won't Do, per project?", WontDoPerProject.Replace(" AND s.original_name = 'Won''t Do'", "", StringComparison.Ordinal), false, "won't do" },
        { "won't-do tickets by project", WontDoPerProject, true, "in status Won't Do" },
        { "open high/highest prio bugs per project", HighPriorityOpenBugsPerProject, true, "(priority Highest)" },
        { "open bugs with a priority of High or Highest, per project", HighPriorityOpenBugsPerProject, true, "(priority High)" },
        { "open bugs with a priority of High or Highest, per project", HighPriorityOpenBugsPerProject.Replace("IN ('High', 'Highest')", "= 'High'", StringComparison.Ordinal), false, "priority Highest" },
        { "staging rollback rate last quarter", StagingRollbackShare, true, "'rate'" },
        { "staging rollback rate last quarter", "SELECT count(*) AS n FROM deployments d WHERE d.client_id = 1 AND d.environment = 'staging' AND d.status = 'rolled_back' "
            + "AND d.deployed_at >= '2026-07-01 00:00:00+00'::timestamptz AND d.deployed_at < '2026-10-01 00:00:00+00'::timestamptz", false, "share" },
        { "payments merged PRs last month", MergedOfTeamLastMonth, true, "team Payments" },
        { "payments merged PRs last month", MergedOfTeamLastMonth.Replace(" AND t.name = 'Payments'", "", StringComparison.Ordinal), false, "team Payments" },
        { "payments-service merged PRs last month", MergedOfTeamLastMonth, false, "teams.name = 'payments'" },
        { "open tickets created before this year", OpenCreatedBeforeThisYear, true, "before this year (before 2026-01-01)" },
        { "open tickets created before this year", OpenCreatedBeforeThisYear.Replace("1970-01-01", "2025-01-01", StringComparison.Ordinal), false, "before 2026-01-01" },
        { "issues done per month, last 3 complete months (not this one)", DonePerCompleteMonth, true, "the last 3 complete months" },

        // A share of a threshold on a value the data may leave empty (session 10): the share is of the rows with a known value — the
        // population says so in its WHERE; the same SQL counting the rows without one as outside the threshold is refused, naming it.
        { "what share of the stories completed this year had a lead time of 7 days or less?", StoriesWithinWeek, true, "a known value of lead time" },
        { "what share of the stories completed this year had a lead time of 7 days or less?", StoriesWithinWeek.Replace(" AND i.total_lead_time_seconds IS NOT NULL", "", StringComparison.Ordinal), false, "a known value of lead time" },
        { "share of merged PRs with over 10 changed files this year", MergedOverTenFiles, true, "a known value of changed files" },
        { "share of merged PRs with over 10 changed files this year", MergedOverTenFiles.Replace(" AND pr.changed_files IS NOT NULL", "", StringComparison.Ordinal), false, "a known value of changed files" },
        // Session 11: the words fix the population. Said recorded ("of those with a recorded file count") it is the known rows, as above;
        // "counting unknown as not over 10" is every row, so the known value's condition is one the question did not ask for.
        { "share of merged PRs with over 10 changed files this year, of those with a recorded number of changed files", MergedOverTenFiles, true, "with a recorded number of changed files" },
        { "share of merged PRs with over 10 changed files this year, of those with a recorded number of changed files", MergedOverTenFiles.Replace(" AND pr.changed_files IS NOT NULL", "", StringComparison.Ordinal), false, "with a recorded number of changed files" },
        { "share of merged PRs with over 10 changed files this year, counting unknown as not over 10", MergedOverTenFiles.Replace(" AND pr.changed_files IS NOT NULL", "", StringComparison.Ordinal), true, "changed files" },
        { "share of merged PRs with over 10 changed files this year, counting unknown as not over 10", MergedOverTenFiles, false, "adds the condition pull_requests.changed_files IS NOT NULL" },
        { "what fraction of the bugs done this year took 3 days or less, counting those without a lead time as outside it",
            StoriesWithinWeek.Replace("'Story'", "'Bug'", StringComparison.Ordinal).Replace("<= 7", "<= 3", StringComparison.Ordinal).Replace(" AND i.total_lead_time_seconds IS NOT NULL", "", StringComparison.Ordinal), true, "'3 days or less'" },
        { "what fraction of the bugs done this year took 3 days or less, counting those without a lead time as outside it",
            StoriesWithinWeek.Replace("'Story'", "'Bug'", StringComparison.Ordinal).Replace("<= 7", "<= 3", StringComparison.Ordinal), false, "adds the condition issues.total_lead_time_seconds IS NOT NULL" },
        // PRs of deactivated authors (session 11): the author's account, never dropped.
        { "merged PRs this year by deactivated authors", MergedByInactiveAuthors, true, "whose author's account is deactivated" },
        { "merged PRs this year by deactivated authors", MergedByInactiveAuthors.Replace(" AND NOT u.active", "", StringComparison.Ordinal), false, "whose author's account is deactivated" },
        // A threshold that picks the rows (in the WHERE) holds only on rows with a value: nothing more to say.
        { "what percentage of PRs with more than 10 changed files were merged?", "SELECT 100.0 * count(*) FILTER (WHERE pr.merged_at IS NOT NULL) / nullif(count(*), 0) AS pct FROM pull_requests pr "
            + "WHERE pr.client_id = 1 AND pr.active AND pr.changed_files > 10", true, "a known value of changed files" },

        // Who reported issues is their reporter (session 10): the same users.name reached through the assignee is another question.
        { "who reported the most bugs this year?", BugsBy("reporter_id"), true, "'who'" },
        { "who reported the most bugs this year?", BugsBy("assignee_id"), false, "reached through issues.reporter_id" },
        { "which engineers closed the most bugs this year?", BugsBy("assignee_id").Replace("i.created", "i.work_last_completed_at", StringComparison.Ordinal)
            .Replace("WHERE", "JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE sm.status_to = 'Done' AND", StringComparison.Ordinal), true, "'engineers'" },

        // Something the question did not ask for.
        { "On average, how many production deployments per week over the last 13 weeks?", DeploysPerWeek.Replace("round((count(*)", "round((avg(d.lead_time_seconds)", StringComparison.Ordinal), false, "avg(deployments.lead_time_seconds) where the question asks for a count" },
        { "How many PRs were merged this year, per repository?", MergedPerRepo.Replace("pr.status = 'merged'", "pr.status = 'merged' AND pr.review_cycles = 0", StringComparison.Ordinal), false, "adds the condition pull_requests.review_cycles = '0'" },
        { "How many open issues does each team have?", OpenIssuesPerTeam.Replace("sm.status_to <> 'Done'", "sm.status_to <> 'Done' AND t.name = 'Mobile'", StringComparison.Ordinal), false, "teams.name = 'mobile'" },
        { "How many open issues does each team have?", OpenIssuesPerTeam.Replace("sm.status_to <> 'Done'", "sm.status_to <> 'Done' AND i.created >= '2026-08-01'", StringComparison.Ordinal), false, "names no period" },
        { "How many open issues does each team have?", OpenIssuesPerTeam.Replace("GROUP BY t.name", "GROUP BY t.name, i.priority", StringComparison.Ordinal), false, "grouping by issues.priority" },
        { "median time to resolve incidents by severity this year", RestoreBySeverity.Replace("percentile_cont(0.5)", "percentile_cont(0.9)", StringComparison.Ordinal), false, "'median" },
        { "number of defects raised last month", OpenBugs.Replace("AND sm.status_to <> 'Done'", "AND i.created >= '2026-10-01' AND i.created < '2026-11-01'", StringComparison.Ordinal).Replace("it.original_name = 'Bug'", "it.original_name = 'Story'", StringComparison.Ordinal), false, "issue type Bug" },
    };

    private static string ReplaceLast(string text, string what, string with)
    {
        var at = text.LastIndexOf(what, StringComparison.Ordinal);
        return text[..at] + with + text[(at + what.Length)..];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_judge_holds_the_sql_to_the_questions_concepts(string question, string sql, bool valid, string named)
    {
        var report = await TestCatalog.Validator().ValidateAsync(new SqlValidationRequest(sql, question, ClientId: 1) { Today = Today }, ValidationMode.Semantic,
            TestContext.Current.CancellationToken);
        output.WriteLine(report.Judge?.Justification ?? string.Join("; ", report.Errors));
        Assert.True(report.Judge!.Available);
        Assert.Equal(valid, report.Valid);
        Assert.Contains(named, report.Judge.Justification, StringComparison.Ordinal);
        if (!valid)
        {
            Assert.Equal(Codes.SemanticMismatch, Assert.Single(report.Errors).Code);
        }
    }
}
