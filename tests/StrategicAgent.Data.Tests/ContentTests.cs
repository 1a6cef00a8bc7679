using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Data.Tests;

/// <summary>
/// The named content other tests rely on, referential sanity across tenants, the status and
/// timestamp invariants, and the deliberate dirt.
/// </summary>
public sealed class ContentTests(DemoDataFixture db)
{
    private const string Category = """
        JOIN statuses s ON s.id = i.status_id JOIN status_mappings m ON m.id = s.status_mapping_id
        JOIN issuetypes t ON t.id = i.issuetype_id
        """;

    [Fact]
    public async Task Tenants_teams_projects_and_repositories_have_their_documented_names()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var clients = await Sql.RowsAsync(conn, "SELECT id, name, active FROM clients ORDER BY id", ct);
        Assert.Equal(
            [(1L, "Acme Payments", true), (2L, "Globex Logistics", true), (3L, "Initech Health", true), (9L, "Hooli Archive", false)],
            clients.Select(r => ((long)r[0]!, (string)r[1]!, (bool)r[2]!)));

        var teams = await Sql.RowsAsync(conn, "SELECT name, active FROM teams WHERE client_id = 1 ORDER BY id", ct);
        Assert.Equal(["Platform", "Payments", "Mobile", "Data"], teams.Where(r => (bool)r[1]!).Select(r => (string)r[0]!));
        Assert.Single(teams, r => !(bool)r[1]!);

        var projects = await Sql.RowsAsync(conn, "SELECT key, active FROM projects WHERE client_id = 1 ORDER BY id", ct);
        Assert.Equal(["PAY", "API", "MOB", "DATA"], projects.Where(r => (bool)r[1]!).Select(r => (string)r[0]!));
        Assert.Contains(projects, r => !(bool)r[1]!);
        Assert.Equal(["SHIP", "WMS", "FLT", "INT"], (await Sql.RowsAsync(conn,
            "SELECT key FROM projects WHERE client_id = 2 AND active ORDER BY id", ct)).Select(r => (string)r[0]!));
        Assert.Equal(["EHR", "LAB", "PORT", "FHIR"], (await Sql.RowsAsync(conn,
            "SELECT key FROM projects WHERE client_id = 3 AND active ORDER BY id", ct)).Select(r => (string)r[0]!));

        var repos = (await Sql.RowsAsync(conn, "SELECT full_name FROM repositories WHERE client_id = 1", ct)).Select(r => (string)r[0]!).ToList();
        Assert.Subset(repos.ToHashSet(), new HashSet<string> { "acme/api-gateway", "acme/payments-service", "acme/mobile-app", "acme/data-pipeline" });

        foreach (var client in new[] { 1, 2, 3 })
        {
            Assert.Equal(["Bug", "Epic", "Story", "Sub-task", "Task"], (await Sql.RowsAsync(conn,
                $"SELECT original_name FROM issuetypes WHERE client_id = {client} ORDER BY 1", ct)).Select(r => (string)r[0]!));
            var mappings = (await Sql.RowsAsync(conn,
                $"SELECT status_from, status_to FROM status_mappings WHERE client_id = {client} AND active", ct))
                .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
            Assert.Equal("To Do", mappings["Backlog"]);
            Assert.Equal("In Progress", mappings["In Review"]);
            Assert.Equal("Done", mappings["Won't Do"]);
            Assert.Equal("Done", mappings["Resolved"]);
        }
    }

    [Fact]
    public async Task In_every_active_project_keys_1_to_20_are_epics_odd_done_even_open()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var rows = await Sql.RowsAsync(conn, $"""
            SELECT p.key, split_part(i.key, '-', 2)::int AS n, t.original_name, m.status_to,
                   (SELECT count(*) FROM issues c WHERE c.parent_id = i.id)
            FROM issues i {Category} JOIN projects p ON p.id = i.project_id
            WHERE p.active AND split_part(i.key, '-', 2)::int <= 20
            """, ct);
        Assert.Equal(12 * 20, rows.Count);
        Assert.All(rows, r => Assert.Equal("Epic", r[2]));
        Assert.All(rows, r => Assert.Equal((int)r[1]! % 2 == 1, (string)r[3]! == "Done"));
        var pay12 = rows.Single(r => (string)r[0]! == "PAY" && (int)r[1]! == 12);
        Assert.Equal("In Progress", pay12[3]);
        Assert.True((long)pay12[4]! >= 2);

        // Keys are unique per tenant and numbered without gaps per project.
        var gaps = await Sql.ScalarAsync<long>(conn, """
            SELECT count(*) FROM (
              SELECT project_id, count(*) AS n, max(split_part(key, '-', 2)::int) AS top FROM issues GROUP BY project_id) x
            WHERE n <> top
            """, ct);
        Assert.Equal(0, gaps);
    }

    [Fact]
    public async Task Every_reference_stays_within_its_tenant_and_parents_have_the_right_type()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        // Each check counts rows whose reference is missing or belongs to another tenant.
        string[] checks =
        [
            "SELECT count(*) FROM users x LEFT JOIN teams r ON r.id = x.team_id WHERE x.team_id IS NOT NULL AND r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM projects x LEFT JOIN teams r ON r.id = x.team_id WHERE r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM repositories x LEFT JOIN teams r ON r.id = x.team_id WHERE r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM statuses x LEFT JOIN status_mappings r ON r.id = x.status_mapping_id WHERE r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM issues x LEFT JOIN projects r ON r.id = x.project_id WHERE r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM issues x LEFT JOIN issuetypes r ON r.id = x.issuetype_id WHERE r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM issues x LEFT JOIN statuses r ON r.id = x.status_id WHERE r.client_id IS DISTINCT FROM x.client_id OR NOT r.active",
            "SELECT count(*) FROM issues x LEFT JOIN users r ON r.id = x.assignee_id WHERE x.assignee_id IS NOT NULL AND r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM issues x LEFT JOIN users r ON r.id = x.reporter_id WHERE x.reporter_id IS NOT NULL AND r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM issues x LEFT JOIN issues r ON r.id = x.parent_id WHERE x.parent_id IS NOT NULL AND (r.client_id IS DISTINCT FROM x.client_id OR r.project_id <> x.project_id)",
            "SELECT count(*) FROM pull_requests x LEFT JOIN repositories r ON r.id = x.repository_id WHERE r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM pull_requests x LEFT JOIN issues r ON r.id = x.issue_id WHERE x.issue_id IS NOT NULL AND r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM pull_requests x LEFT JOIN users r ON r.id = x.author_id WHERE x.author_id IS NOT NULL AND r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM deployments x LEFT JOIN repositories r ON r.id = x.repository_id WHERE r.client_id IS DISTINCT FROM x.client_id",
            "SELECT count(*) FROM incidents x LEFT JOIN deployments r ON r.id = x.deployment_id WHERE x.deployment_id IS NOT NULL AND r.client_id IS DISTINCT FROM x.client_id",
            // Stories, tasks and bugs hang under epics; sub-tasks under a story; epics under nothing.
            $"""
            SELECT count(*) FROM issues i {Category} JOIN issues pa ON pa.id = i.parent_id JOIN issuetypes pt ON pt.id = pa.issuetype_id
            WHERE (t.original_name IN ('Story', 'Task', 'Bug') AND pt.original_name <> 'Epic')
               OR (t.original_name = 'Sub-task' AND pt.original_name <> 'Story')
               OR t.original_name = 'Epic'
            """,
            $"SELECT count(*) FROM issues i {Category} WHERE t.original_name = 'Sub-task' AND i.parent_id IS NULL",
            // A pull request's author belongs to the team that owns its repository (or has no team).
            "SELECT count(*) FROM pull_requests x JOIN users u ON u.id = x.author_id JOIN repositories r ON r.id = x.repository_id WHERE u.team_id <> r.team_id",
            "SELECT count(*) - count(DISTINCT (repository_id, number)) FROM pull_requests",
        ];
        foreach (var sql in checks)
        {
            Assert.True(await Sql.ScalarAsync<long>(conn, sql, ct) == 0, "violations: " + sql);
        }
    }

    [Fact]
    public async Task Status_and_timestamps_are_consistent_and_before_the_reference_date()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var asOf = $"'{DemoDataFixture.AsOf:O}'::timestamptz";
        string[] checks =
        [
            // Done: completed; lead = completed - started when started; not done: never completed.
            $"SELECT count(*) FROM issues i {Category} WHERE m.status_to = 'Done' AND i.work_last_completed_at IS NULL",
            $"SELECT count(*) FROM issues i {Category} WHERE m.status_to <> 'Done' AND (i.work_last_completed_at IS NOT NULL OR i.total_lead_time_seconds IS NOT NULL)",
            $"SELECT count(*) FROM issues i {Category} WHERE m.status_to = 'In Progress' AND i.work_first_started_at IS NULL",
            $"SELECT count(*) FROM issues i {Category} WHERE m.status_to = 'To Do' AND i.work_first_started_at IS NOT NULL",
            "SELECT count(*) FROM issues WHERE work_first_started_at IS NOT NULL AND work_last_completed_at IS NOT NULL AND total_lead_time_seconds <> extract(epoch FROM work_last_completed_at - work_first_started_at)::bigint",
            "SELECT count(*) FROM issues WHERE work_first_started_at < created OR work_last_completed_at < work_first_started_at OR updated < created",
            $"SELECT count(*) FROM issues WHERE greatest(created, updated, work_first_started_at, work_last_completed_at) >= {asOf}",
            $"SELECT count(*) FROM issues WHERE created < {asOf} - interval '731 days'",
            "SELECT count(*) FROM issues WHERE story_points IS NOT NULL AND story_points NOT IN (1, 2, 3, 5, 8, 13, 21)",
            // Children exist no earlier than their parent.
            "SELECT count(*) FROM issues c JOIN issues p ON p.id = c.parent_id WHERE c.created < p.created OR c.id < p.id",
            // Pull requests: merged ones have merged_at, open ones neither merged_at nor closed_at.
            "SELECT count(*) FROM pull_requests WHERE (status = 'merged') <> (merged_at IS NOT NULL)",
            "SELECT count(*) FROM pull_requests WHERE status = 'open' AND closed_at IS NOT NULL",
            "SELECT count(*) FROM pull_requests WHERE status = 'closed' AND closed_at IS NULL",
            $"SELECT count(*) FROM pull_requests WHERE greatest(created_at, merged_at, closed_at) >= {asOf} OR merged_at < created_at",
            $"SELECT count(*) FROM deployments WHERE deployed_at >= {asOf} OR lead_time_seconds < 0",
            $"SELECT count(*) FROM incidents WHERE created_at >= {asOf} OR resolved_at >= {asOf} OR resolved_at < created_at",
        ];
        foreach (var sql in checks)
        {
            Assert.True(await Sql.ScalarAsync<long>(conn, sql, ct) == 0, "violations: " + sql);
        }
    }

    [Fact]
    public async Task The_data_has_realistic_dirt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var dirt = new Dictionary<string, string>
        {
            ["stories/tasks/bugs without points"] = $"SELECT count(*) FROM issues i {Category} WHERE t.original_name IN ('Story', 'Task', 'Bug') AND i.story_points IS NULL",
            ["issues without description"] = "SELECT count(*) FROM issues WHERE description IS NULL",
            ["started issues without assignee"] = "SELECT count(*) FROM issues WHERE assignee_id IS NULL AND work_first_started_at IS NOT NULL",
            ["done issues without lead time (Won't Do)"] = $"SELECT count(*) FROM issues i {Category} WHERE m.status_to = 'Done' AND i.total_lead_time_seconds IS NULL",
            ["absurd lead times (> 30x the median)"] = """
                SELECT count(*) FROM issues, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total_lead_time_seconds) AS med FROM issues WHERE parent_id IS NOT NULL) m
                WHERE parent_id IS NOT NULL AND total_lead_time_seconds > 30 * m.med
                """,
            ["inactive users"] = "SELECT count(*) FROM users WHERE NOT active",
            ["inactive projects"] = "SELECT count(*) FROM projects WHERE NOT active",
            ["open pull requests"] = "SELECT count(*) FROM pull_requests WHERE status = 'open'",
            ["closed unmerged pull requests"] = "SELECT count(*) FROM pull_requests WHERE status = 'closed'",
            ["pull requests without issue"] = "SELECT count(*) FROM pull_requests WHERE issue_id IS NULL",
            ["pull requests without size"] = "SELECT count(*) FROM pull_requests WHERE changed_files IS NULL",
            ["production deployments without lead time"] = "SELECT count(*) FROM deployments WHERE environment = 'production' AND lead_time_seconds IS NULL",
            ["incidents without deployment"] = "SELECT count(*) FROM incidents WHERE deployment_id IS NULL",
            ["unresolved incidents"] = "SELECT count(*) FROM incidents WHERE resolved_at IS NULL",
        };
        foreach (var (what, sql) in dirt)
        {
            var n = await Sql.ScalarAsync<long>(conn, sql, ct);
            TestContext.Current.SendDiagnosticMessage($"{what}: {n}");
            Assert.True(n > 0, what);
        }
    }
}
