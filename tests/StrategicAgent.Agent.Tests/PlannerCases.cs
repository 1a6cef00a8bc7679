namespace StrategicAgent.Agent.Tests;

/// <summary>
/// Questions over every metric family, each with SQL written by hand (independently of the
/// planner's compiler, in its own formulation) that states what the answer must be on the demo
/// data of tenant 1 with "today" = 2026-11-01. The session runs in UTC.
/// </summary>
public static class PlannerCases
{
    // Hand-written building blocks for tenant 1 (Acme Payments).
    private const string DoneIssues = """
        FROM issues i
        JOIN statuses s ON s.id = i.status_id
        JOIN status_mappings sm ON sm.id = s.status_mapping_id
        JOIN projects p ON p.id = i.project_id
        LEFT JOIN teams t ON t.id = p.team_id
        LEFT JOIN issuetypes it ON it.id = i.issuetype_id
        WHERE i.client_id = 1 AND i.active AND sm.status_to = 'Done' AND i.work_last_completed_at IS NOT NULL
        """;

    private const string LeadDone = DoneIssues + " AND i.total_lead_time_seconds IS NOT NULL";

    private const string ProdDeploys = """
        FROM deployments d
        JOIN repositories r ON r.id = d.repository_id
        LEFT JOIN teams t ON t.id = r.team_id
        WHERE d.client_id = 1 AND d.environment = 'production'
        """;

    private const string Prs = """
        FROM pull_requests pr
        JOIN repositories r ON r.id = pr.repository_id
        LEFT JOIN teams t ON t.id = r.team_id
        LEFT JOIN users u ON u.id = pr.author_id
        WHERE pr.client_id = 1 AND pr.active
        """;

    private const string Failed = "(d.status IN ('failed', 'rolled_back') OR EXISTS (SELECT 1 FROM incidents x WHERE x.deployment_id = d.id))";

    private static string Completed(string from, string to) =>
        $" AND i.work_last_completed_at >= '{from}+00' AND i.work_last_completed_at < '{to}+00'";

    private static string Merged(string from, string to) => $" AND pr.merged_at >= '{from}+00' AND pr.merged_at < '{to}+00'";

    private static string Opened(string from, string to) => $" AND pr.created_at >= '{from}+00' AND pr.created_at < '{to}+00'";

    private static string Deployed(string from, string to) => $" AND d.deployed_at >= '{from}+00' AND d.deployed_at < '{to}+00'";

    public static IEnumerable<(string Question, string Metric, string Sql)> All() =>
    [
        // ---- issue counts
        ("How many issues were created last month?", "issues_created",
            "SELECT count(*) FROM issues WHERE client_id = 1 AND active AND created >= '2026-10-01+00' AND created < '2026-11-01+00'"),
        ("How many bugs were opened in project PAY this year?", "issues_created", """
            SELECT count(*) FROM issues i JOIN projects p ON p.id = i.project_id JOIN issuetypes t ON t.id = i.issuetype_id
            WHERE i.client_id = 1 AND i.active AND p.key = 'PAY' AND t.original_name = 'Bug'
              AND i.created >= '2026-01-01+00' AND i.created < '2026-11-02+00'
            """),
        ("Issues created per month in 2025", "issues_created", """
            SELECT date_trunc('month', created)::date, count(*) FROM issues
            WHERE client_id = 1 AND active AND created >= '2025-01-01+00' AND created < '2026-01-01+00'
            GROUP BY 1 ORDER BY 1
            """),
        ("How many tickets did team Payments close last quarter?", "issues_completed",
            "SELECT count(*) " + DoneIssues + " AND t.name = 'Payments'" + Completed("2026-07-01", "2026-10-01")),
        ("Number of completed issues by project in the last 90 days", "issues_completed",
            "SELECT p.key, count(*) " + DoneIssues + Completed("2026-08-04", "2026-11-02") + " GROUP BY p.key ORDER BY 2 DESC, 1"),
        ("How many open bugs does project MOB have?", "issues_open", """
            SELECT count(*) FROM issues i
            WHERE i.client_id = 1 AND i.active
              AND i.project_id = (SELECT id FROM projects WHERE client_id = 1 AND key = 'MOB')
              AND i.issuetype_id IN (SELECT id FROM issuetypes WHERE client_id = 1 AND original_name = 'Bug')
              AND i.status_id IN (SELECT s.id FROM statuses s JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE sm.status_to <> 'Done')
            """),
        ("Open issues by team", "issues_open", """
            SELECT t.name, count(*) FROM issues i
            JOIN projects p ON p.id = i.project_id JOIN teams t ON t.id = p.team_id
            JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
            WHERE i.client_id = 1 AND i.active AND sm.status_to IN ('To Do', 'In Progress')
            GROUP BY t.name ORDER BY 2 DESC, 1
            """),
        ("Issues created by issue type last year", "issues_created", """
            SELECT it.original_name, count(*) FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id
            WHERE i.client_id = 1 AND i.active AND i.created >= '2025-01-01+00' AND i.created < '2026-01-01+00'
            GROUP BY 1 ORDER BY 2 DESC, 1
            """),
        ("Which assignee completed the most issues this quarter?", "issues_completed",
            "SELECT u.name, count(*) " + DoneIssues.Replace("WHERE", "JOIN users u ON u.id = i.assignee_id WHERE", StringComparison.Ordinal)
            + Completed("2026-10-01", "2026-11-02") + " GROUP BY u.name ORDER BY 2 DESC, 1 LIMIT 1"),
        ("How many tasks were completed in the last 30 days?", "issues_completed",
            "SELECT count(*) " + DoneIssues + " AND it.original_name = 'Task'" + Completed("2026-10-03", "2026-11-02")),
        ("Top 3 assignees by issues completed last month", "issues_completed",
            "SELECT u.name, count(*) " + DoneIssues.Replace("WHERE", "JOIN users u ON u.id = i.assignee_id WHERE", StringComparison.Ordinal)
            + Completed("2026-10-01", "2026-11-01") + " GROUP BY u.name ORDER BY 2 DESC FETCH FIRST 3 ROWS WITH TIES"),
        ("Issues completed since 2026-06-01 by team", "issues_completed",
            "SELECT t.name, count(*) " + DoneIssues + " AND t.id IS NOT NULL" + Completed("2026-06-01", "2026-11-02") + " GROUP BY t.name ORDER BY 2 DESC, 1"),
        ("Bugs created in March 2026 by project", "issues_created", """
            SELECT p.key, count(*) FROM issues i JOIN projects p ON p.id = i.project_id JOIN issuetypes it ON it.id = i.issuetype_id
            WHERE i.client_id = 1 AND i.active AND it.original_name = 'Bug' AND i.created >= '2026-03-01+00' AND i.created < '2026-04-01+00'
            GROUP BY p.key ORDER BY 2 DESC, 1
            """),

        // ---- lead time
        ("What is the average lead time by team last quarter?", "lead_time_avg_days",
            "SELECT t.name, avg(i.total_lead_time_seconds) / 86400.0, count(*) " + LeadDone + " AND t.id IS NOT NULL" + Completed("2026-07-01", "2026-10-01") + " GROUP BY t.name ORDER BY 2 DESC, 1"),
        ("Which team had the longest lead time last quarter?", "lead_time_avg_days",
            "SELECT t.name, avg(i.total_lead_time_seconds) / 86400.0, count(*) " + LeadDone + " AND t.id IS NOT NULL" + Completed("2026-07-01", "2026-10-01") + " GROUP BY t.name ORDER BY 2 DESC, 1 LIMIT 1"),
        ("Median cycle time for project API in 2025", "lead_time_median_days",
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND p.key = 'API'" + Completed("2025-01-01", "2026-01-01")),
        ("p90 lead time per project this year", "lead_time_p90_days",
            "SELECT p.key, percentile_cont(0.9) WITHIN GROUP (ORDER BY i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + Completed("2026-01-01", "2026-11-02") + " GROUP BY p.key ORDER BY 2 DESC, 1"),
        ("How long do tickets take in team Mobile?", "lead_time_avg_days",
            "SELECT avg(i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND t.name = 'Mobile'"),
        ("What's the slowest team?", "lead_time_avg_days",
            "SELECT t.name, avg(i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND t.id IS NOT NULL GROUP BY t.name ORDER BY 2 DESC, 1 LIMIT 1"),
        ("Fastest project by median lead time in the last 6 months", "lead_time_median_days",
            "SELECT p.key, percentile_cont(0.5) WITHIN GROUP (ORDER BY i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + Completed("2026-05-02", "2026-11-02") + " GROUP BY p.key ORDER BY 2 ASC, 1 LIMIT 1"),
        ("Lead time trend per month for bugs this year", "lead_time_avg_days",
            "SELECT date_trunc('month', i.work_last_completed_at)::date, avg(i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND it.original_name = 'Bug'" + Completed("2026-01-01", "2026-11-02") + " GROUP BY 1 ORDER BY 1"),
        ("How long did stories take on average in Q2 2026?", "lead_time_avg_days",
            "SELECT avg(i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND it.original_name = 'Story'" + Completed("2026-04-01", "2026-07-01")),
        ("Average lead time of Platform vs Payments last year", "lead_time_avg_days",
            "SELECT t.name, avg(i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND t.name IN ('Payments', 'Platform')" + Completed("2025-01-01", "2026-01-01") + " GROUP BY t.name ORDER BY 2 DESC, 1"),
        ("Compare projects PAY and MOB on average lead time", "lead_time_avg_days",
            "SELECT p.key, avg(i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND p.key IN ('MOB', 'PAY') GROUP BY p.key ORDER BY 2 DESC, 1"),
        ("Lead time between 2026-01-01 and 2026-03-31 by issue type", "lead_time_avg_days",
            "SELECT it.original_name, avg(i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + Completed("2026-01-01", "2026-04-01") + " GROUP BY it.original_name ORDER BY 2 DESC, 1"),
        ("What was the median lead time for the Data team last year?", "lead_time_median_days",
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY i.total_lead_time_seconds / 86400.0), count(*) " + LeadDone + " AND t.name = 'Data'" + Completed("2025-01-01", "2026-01-01")),

        // ---- throughput
        ("Weekly throughput for team Platform in the last 2 months", "throughput",
            "SELECT date_trunc('week', i.work_last_completed_at)::date, count(*) " + DoneIssues + " AND t.name = 'Platform'" + Completed("2026-09-02", "2026-11-02") + " GROUP BY 1 ORDER BY 1"),
        ("Throughput per month this year", "throughput",
            "SELECT date_trunc('month', i.work_last_completed_at)::date, count(*) " + DoneIssues + Completed("2026-01-01", "2026-11-02") + " GROUP BY 1 ORDER BY 1"),
        ("What was our throughput by team last month?", "throughput",
            "SELECT t.name, count(*) " + DoneIssues + " AND t.id IS NOT NULL" + Completed("2026-10-01", "2026-11-01") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("Bottom 2 projects by throughput this quarter", "throughput",
            "SELECT p.key, count(*) " + DoneIssues + Completed("2026-10-01", "2026-11-02") + " GROUP BY 1 ORDER BY 2 ASC FETCH FIRST 2 ROWS WITH TIES"),
        ("Throughput of project DATA by month in 2025", "throughput",
            "SELECT date_trunc('month', i.work_last_completed_at)::date, count(*) " + DoneIssues + " AND p.key = 'DATA'" + Completed("2025-01-01", "2026-01-01") + " GROUP BY 1 ORDER BY 1"),

        // ---- story points and velocity
        ("Velocity of team Mobile per week in the last 6 weeks", "story_points_completed",
            "SELECT date_trunc('week', i.work_last_completed_at)::date, coalesce(sum(i.story_points), 0), count(*) " + DoneIssues + " AND t.name = 'Mobile'" + Completed("2026-09-21", "2026-11-02") + " GROUP BY 1 ORDER BY 1"),
        ("Story points delivered by project last quarter", "story_points_completed",
            "SELECT p.key, coalesce(sum(i.story_points), 0), count(*) " + DoneIssues + Completed("2026-07-01", "2026-10-01") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("Average story points per issue type", "story_points_avg", """
            SELECT it.original_name, avg(i.story_points), count(i.story_points)
            FROM issues i JOIN issuetypes it ON it.id = i.issuetype_id
            WHERE i.client_id = 1 AND i.active AND i.story_points IS NOT NULL
            GROUP BY 1 ORDER BY 2 DESC, 1
            """),
        ("Which team delivered the most story points this year?", "story_points_completed",
            "SELECT t.name, sum(i.story_points), count(*) " + DoneIssues + " AND t.id IS NOT NULL" + Completed("2026-01-01", "2026-11-02") + " GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1 LIMIT 1"),

        // ---- epics
        ("Progress of open epics in project PAY", "epic_progress_pct", EpicProgress("p.key = 'PAY'", "pct DESC NULLS LAST, e.key", 500)),
        ("Which epics are furthest behind in team Data?", "epic_progress_pct", EpicProgress("t.name = 'Data'", "pct ASC NULLS LAST, e.key", 500)),
        ("Average epic lead time by team", "epic_lead_time_avg_days", """
            SELECT t.name, avg(e.total_lead_time_seconds) / 86400.0, count(*)
            FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id AND et.original_name = 'Epic'
            JOIN statuses s ON s.id = e.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id AND sm.status_to = 'Done'
            JOIN projects p ON p.id = e.project_id JOIN teams t ON t.id = p.team_id
            WHERE e.client_id = 1 AND e.active AND e.total_lead_time_seconds IS NOT NULL
            GROUP BY t.name ORDER BY 2 DESC, 1
            """),
        ("Epic lead time in project API last year", "epic_lead_time_avg_days", """
            SELECT avg(e.total_lead_time_seconds) / 86400.0, count(*)
            FROM issues e JOIN issuetypes et ON et.id = e.issuetype_id AND et.original_name = 'Epic'
            JOIN statuses s ON s.id = e.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id AND sm.status_to = 'Done'
            JOIN projects p ON p.id = e.project_id AND p.key = 'API'
            WHERE e.client_id = 1 AND e.active AND e.total_lead_time_seconds IS NOT NULL
              AND e.work_last_completed_at >= '2025-01-01+00' AND e.work_last_completed_at < '2026-01-01+00'
            """),

        // ---- pull requests
        ("How many PRs were opened last week per repository?", "prs_opened",
            "SELECT r.name, count(*) " + Prs + Opened("2026-10-19", "2026-10-26") + " GROUP BY r.name ORDER BY 2 DESC, 1"),
        ("Merged pull requests per month in api-gateway this year", "prs_merged",
            "SELECT date_trunc('month', pr.merged_at)::date, count(*) " + Prs + " AND r.name = 'api-gateway'" + Merged("2026-01-01", "2026-11-02") + " GROUP BY 1 ORDER BY 1"),
        ("Average time to merge by repository in the last 90 days", "time_to_merge_avg_hours",
            "SELECT r.name, avg(extract(epoch FROM pr.merged_at - pr.created_at)) / 3600, count(*) " + Prs + Merged("2026-08-04", "2026-11-02") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("Median PR merge time per team in 2025", "time_to_merge_median_hours",
            "SELECT t.name, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM pr.merged_at - pr.created_at) / 3600), count(*) " + Prs + " AND t.id IS NOT NULL" + Merged("2025-01-01", "2026-01-01") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("p90 time to merge for payments-service", "time_to_merge_p90_hours",
            "SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM pr.merged_at - pr.created_at) / 3600), count(*) " + Prs + " AND r.name = 'payments-service' AND pr.merged_at IS NOT NULL"),
        ("how long do PRs take to merge in api-gateway?", "time_to_merge_avg_hours",
            "SELECT avg(extract(epoch FROM pr.merged_at - pr.created_at) / 3600), count(*) " + Prs + " AND r.name = 'api-gateway' AND pr.merged_at IS NOT NULL"),
        ("Compare api-gateway and payments-service on time to merge last year", "time_to_merge_avg_hours",
            "SELECT r.name, avg(extract(epoch FROM pr.merged_at - pr.created_at) / 3600), count(*) " + Prs + " AND r.name IN ('api-gateway', 'payments-service')" + Merged("2025-01-01", "2026-01-01") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("Top 5 developers by merged PRs this year", "prs_merged",
            "SELECT u.name, count(*) " + Prs + " AND u.id IS NOT NULL" + Merged("2026-01-01", "2026-11-02") + " GROUP BY 1 ORDER BY 2 DESC FETCH FIRST 5 ROWS WITH TIES"),
        ("Average review cycles per repository", "review_cycles_avg",
            "SELECT r.name, avg(pr.review_cycles), count(*) " + Prs + " AND pr.review_cycles IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("Who has the most review cycles?", "review_cycles_avg",
            "SELECT u.name, avg(pr.review_cycles), count(*) " + Prs + " AND u.id IS NOT NULL AND pr.review_cycles IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"),

        // ---- rework
        ("Rework rate by team this year", "rework_rate_pct", Rework("t.name", " AND t.id IS NOT NULL" + Opened("2026-01-01", "2026-11-02"), "2 DESC, 1")),
        ("Which repository has the most rework?", "rework_rate_pct", Rework("r.name", "", "2 DESC, 1 LIMIT 1")),
        ("Rework rate per month for mobile-app in 2025", "rework_rate_pct", Rework("date_trunc('month', pr.created_at)::date", " AND r.name = 'mobile-app'" + Opened("2025-01-01", "2026-01-01"), "1")),
        ("Rework rate by author last quarter", "rework_rate_pct", Rework("u.name", " AND u.id IS NOT NULL" + Opened("2026-07-01", "2026-10-01"), "2 DESC, 1")),

        // ---- DORA
        ("How often do we deploy?", "deployment_frequency_per_day",
            "SELECT count(*) / 90.0, count(*) " + ProdDeploys + " AND d.status = 'success'" + Deployed("2026-08-04", "2026-11-02")),
        ("Deployment frequency by team last month", "deployment_frequency_per_day",
            "SELECT t.name, count(*) / 31.0, count(*) " + ProdDeploys + " AND d.status = 'success' AND t.id IS NOT NULL" + Deployed("2026-10-01", "2026-11-01") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("Deployment frequency per month for data-pipeline this year", "deployment_frequency_per_day",
            "SELECT date_trunc('month', d.deployed_at)::date, count(*)::numeric / extract(day FROM date_trunc('month', d.deployed_at) + interval '1 month - 1 day'), count(*) "
            + ProdDeploys + " AND d.status = 'success' AND r.name = 'data-pipeline'" + Deployed("2026-01-01", "2026-11-02") + " GROUP BY 1, date_trunc('month', d.deployed_at) ORDER BY 1"),
        ("deployment frequency of team Mobile in Q3 2026", "deployment_frequency_per_day",
            "SELECT count(*) / 92.0, count(*) " + ProdDeploys + " AND d.status = 'success' AND t.name = 'Mobile'" + Deployed("2026-07-01", "2026-10-01")),
        ("Lead time for changes per repository last quarter", "change_lead_time_median_hours",
            "SELECT r.name, percentile_cont(0.5) WITHIN GROUP (ORDER BY d.lead_time_seconds) / 3600.0, count(*) " + ProdDeploys + " AND d.status = 'success' AND d.lead_time_seconds IS NOT NULL" + Deployed("2026-07-01", "2026-10-01") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("Change lead time for team Platform in 2025", "change_lead_time_median_hours",
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.lead_time_seconds) / 3600.0, count(*) " + ProdDeploys + " AND d.status = 'success' AND d.lead_time_seconds IS NOT NULL AND t.name = 'Platform'" + Deployed("2025-01-01", "2026-01-01")),
        ("Change failure rate by team last quarter", "change_failure_rate_pct",
            $"SELECT t.name, 100.0 * sum(CASE WHEN {Failed} THEN 1 ELSE 0 END) / count(*), sum(CASE WHEN {Failed} THEN 1 ELSE 0 END), count(*) " + ProdDeploys + " AND t.id IS NOT NULL" + Deployed("2026-07-01", "2026-10-01") + " GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("What's the change fail rate of mobile-app this year?", "change_failure_rate_pct",
            $"SELECT 100.0 * sum(CASE WHEN {Failed} THEN 1 ELSE 0 END) / count(*), sum(CASE WHEN {Failed} THEN 1 ELSE 0 END), count(*) " + ProdDeploys + " AND r.name = 'mobile-app'" + Deployed("2026-01-01", "2026-11-02")),
        ("Which team has the worst change failure rate?", "change_failure_rate_pct",
            $"SELECT t.name, 100.0 * sum(CASE WHEN {Failed} THEN 1 ELSE 0 END) / count(*), sum(CASE WHEN {Failed} THEN 1 ELSE 0 END), count(*) " + ProdDeploys + " AND t.id IS NOT NULL" + Deployed("2026-08-04", "2026-11-02") + " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"),
        ("MTTR by team", "time_to_restore_avg_hours", """
            SELECT t.name, avg(extract(epoch FROM x.resolved_at - x.created_at)) / 3600.0, count(*)
            FROM incidents x JOIN deployments d ON d.id = x.deployment_id AND d.environment = 'production'
            JOIN repositories r ON r.id = d.repository_id JOIN teams t ON t.id = r.team_id
            WHERE x.client_id = 1 AND x.resolved_at IS NOT NULL AND x.created_at >= '2026-08-04+00' AND x.created_at < '2026-11-02+00'
            GROUP BY 1 ORDER BY 2 DESC, 1
            """),
        ("Time to restore service for payments-service this year", "time_to_restore_median_hours", """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.resolved_at - x.created_at)) / 3600.0, count(*)
            FROM incidents x JOIN deployments d ON d.id = x.deployment_id AND d.environment = 'production'
            JOIN repositories r ON r.id = d.repository_id AND r.name = 'payments-service'
            WHERE x.client_id = 1 AND x.resolved_at IS NOT NULL AND x.created_at >= '2026-01-01+00' AND x.created_at < '2026-11-02+00'
            """),
        ("How many deployments last month?", "deployments_count",
            "SELECT count(*) FROM deployments d WHERE d.client_id = 1" + Deployed("2026-10-01", "2026-11-01")),
        ("Deployments per week for team Payments in the last 2 months", "deployments_count",
            "SELECT date_trunc('week', d.deployed_at)::date, count(*) FROM deployments d JOIN repositories r ON r.id = d.repository_id JOIN teams t ON t.id = r.team_id"
            + " WHERE d.client_id = 1 AND t.name = 'Payments'" + Deployed("2026-09-02", "2026-11-02") + " GROUP BY 1 ORDER BY 1"),
        ("Number of incidents by severity", "incidents_count",
            "SELECT severity, count(*) FROM incidents WHERE client_id = 1 GROUP BY 1 ORDER BY 2 DESC, 1"),
        ("How many incidents per month this year?", "incidents_count", """
            SELECT date_trunc('month', created_at)::date, count(*) FROM incidents
            WHERE client_id = 1 AND created_at >= '2026-01-01+00' AND created_at < '2026-11-02+00' GROUP BY 1 ORDER BY 1
            """),
        ("Incidents by repository last quarter", "incidents_count", """
            SELECT r.name, count(*) FROM incidents x JOIN deployments d ON d.id = x.deployment_id JOIN repositories r ON r.id = d.repository_id
            WHERE x.client_id = 1 AND x.created_at >= '2026-07-01+00' AND x.created_at < '2026-10-01+00' GROUP BY 1 ORDER BY 2 DESC, 1
            """),
    ];

    private static string EpicProgress(string filter, string order, int limit) => $"""
        WITH epics AS (
            SELECT e.id, e.key, e.summary, p.key AS project
            FROM issues e
            JOIN issuetypes et ON et.id = e.issuetype_id
            JOIN statuses s ON s.id = e.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
            JOIN projects p ON p.id = e.project_id LEFT JOIN teams t ON t.id = p.team_id
            WHERE e.client_id = 1 AND e.active AND et.original_name = 'Epic' AND sm.status_to <> 'Done' AND {filter}
        ), counts AS (
            SELECT e.id,
                   (SELECT count(*) FROM issues c WHERE c.parent_id = e.id AND c.active) AS children,
                   (SELECT count(*) FROM issues c JOIN statuses cs ON cs.id = c.status_id
                      JOIN status_mappings csm ON csm.id = cs.status_mapping_id
                    WHERE c.parent_id = e.id AND c.active AND csm.status_to = 'Done') AS done
            FROM epics e
        )
        SELECT e.key, e.summary, e.project, c.children, c.done,
               CASE WHEN c.children = 0 THEN NULL ELSE round(100.0 * c.done / c.children, 1) END AS pct
        FROM epics e JOIN counts c ON c.id = e.id
        ORDER BY {order}
        LIMIT {limit}
        """;

    private static string Rework(string label, string filter, string order) =>
        $"SELECT {label}, 100.0 * avg(CASE WHEN pr.review_cycles > 2 OR pr.rework_commit_count > 3 THEN 1 ELSE 0 END), " +
        "sum(CASE WHEN pr.review_cycles > 2 OR pr.rework_commit_count > 3 THEN 1 ELSE 0 END), count(*) " +
        Prs + filter + $" GROUP BY 1 ORDER BY {order}";

    /// <summary>Questions the planner must refuse (no guessed query), with the refusal kind they get.</summary>
    public static IEnumerable<string> OutOfScope() =>
    [
        "What is the weather in Paris?",
        "Who will win the world cup?",
        "What's the salary of our engineers?",
        "Tell me a joke",
        "How many employees do we have?",
        "What is our revenue this quarter?",
        "Show me the office locations",
        "How many coffee cups did we drink last week?",
        "Write a poem about deployments",
        "What's the stock price of Acme?",
        "Translate this sentence into French",
        "Who is the CEO?",
        "What is the capital of France?",
        "How do I bake bread?",
        "What's the customer satisfaction score by team?",
        "Which marketing campaign performed best?",
        "What is the average salary by team?",
        "List all API keys",
        "average lead time per sprint",
    ];
}
