using Npgsql;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Data.Tests;

/// <summary>
/// The relationships the ML models are meant to learn are present in the loaded Small data set,
/// read from the replica as the models will read them.
/// </summary>
public sealed class RelationshipTests(DemoDataFixture db)
{
    private const string IssueJoins = """
        FROM issues i
        JOIN issuetypes t ON t.id = i.issuetype_id
        JOIN statuses s ON s.id = i.status_id
        JOIN status_mappings m ON m.id = s.status_mapping_id
        """;

    private const string Rework = "(p.review_cycles > 2 OR p.rework_commit_count > 3)";

    private static void Report(string message) => TestContext.Current.SendDiagnosticMessage(message);

    [Fact]
    public async Task Story_points_correlate_positively_with_lead_time_of_done_stories()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var (corr, n) = await CorrAsync(conn, $"""
            SELECT corr(i.story_points::float8, i.total_lead_time_seconds::float8), count(*) {IssueJoins}
            WHERE t.original_name = 'Story' AND m.status_to = 'Done'
              AND i.story_points IS NOT NULL AND i.total_lead_time_seconds IS NOT NULL
            """, ct);
        Report($"corr(story_points, lead time) over {n} done stories = {corr:0.000}");
        Assert.True(n > 3000, $"only {n} done pointed stories");
        Assert.True(corr > 0.3, $"corr(story_points, lead) = {corr:0.000}");
    }

    [Fact]
    public async Task Faster_teams_have_shorter_lead_time_per_point()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var rows = await Sql.RowsAsync(conn, $"""
            SELECT tm.name, percentile_cont(0.5) WITHIN GROUP (ORDER BY i.total_lead_time_seconds / i.story_points)
            {IssueJoins}
            JOIN projects p ON p.id = i.project_id JOIN teams tm ON tm.id = p.team_id
            WHERE i.client_id = 1 AND m.status_to = 'Done' AND i.story_points > 0 AND i.total_lead_time_seconds > 0
              AND t.original_name IN ('Story', 'Task', 'Bug')
            GROUP BY tm.name ORDER BY 2
            """, ct);
        var perPoint = rows.ToDictionary(r => (string)r[0]!, r => (double)r[1]!);
        Report("median lead seconds per point, tenant 1: " + string.Join(", ", perPoint.Select(kv => $"{kv.Key} {kv.Value:0}")));
        // Platform is the fastest team of tenant 1, Mobile the slowest (DemoCatalog).
        Assert.True(perPoint["Platform"] < perPoint["Payments"]);
        Assert.True(perPoint["Payments"] < perPoint["Mobile"]);
    }

    [Fact]
    public async Task Summary_words_carry_the_size_of_the_work()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var big = await Sql.ScalarAsync<double>(conn,
            "SELECT avg(story_points)::float8 FROM issues WHERE summary ~ '^(Refactor|Migrate|Redesign|Rewrite|Re-architect) '", ct);
        var small = await Sql.ScalarAsync<double>(conn,
            "SELECT avg(story_points)::float8 FROM issues WHERE summary ~ '^(Fix typo|Update copy|Rename label|Adjust spacing) '", ct);
        var descLen = await Sql.RowsAsync(conn,
            "SELECT story_points <= 2, avg(length(description))::float8 FROM issues WHERE story_points IS NOT NULL AND description IS NOT NULL GROUP BY 1 ORDER BY 1", ct);
        Report($"mean points: big verbs {big:0.0}, small verbs {small:0.0}; description length: >2 pts {descLen[0][1]:0}, <=2 pts {descLen[1][1]:0}");
        Assert.True(big > 2.5 * small, $"big-verb mean {big:0.0} vs small-verb mean {small:0.0}");
        Assert.True((double)descLen[0][1]! > (double)descLen[1][1]!);
    }

    [Fact]
    public async Task Rework_grows_with_changed_files_and_differs_by_repository()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var rows = await Sql.RowsAsync(conn, $"""
            SELECT avg({Rework}::int) FILTER (WHERE p.changed_files <= 3)::float8,
                   avg({Rework}::int) FILTER (WHERE p.changed_files >= 15)::float8,
                   count(*) FILTER (WHERE p.status = 'merged')
            FROM pull_requests p WHERE p.status = 'merged'
            """, ct);
        var (few, many, merged) = ((double)rows[0][0]!, (double)rows[0][1]!, (long)rows[0][2]!);
        var byRepo = (await Sql.RowsAsync(conn, $"""
            SELECT r.name, avg({Rework}::int)::float8 FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
            WHERE p.client_id = 1 AND p.status = 'merged' GROUP BY r.name
            """, ct)).ToDictionary(r => (string)r[0]!, r => (double)r[1]!);
        Report($"merged PRs {merged}; rework rate ≤3 files {few:P1}, ≥15 files {many:P1}; " +
               string.Join(", ", byRepo.Select(kv => $"{kv.Key} {kv.Value:P1}")));
        Assert.True(merged > 3000);
        Assert.True(many > few + 0.2, $"rework {many:P1} (≥15 files) vs {few:P1} (≤3 files)");
        Assert.True(byRepo["payments-service"] > byRepo["infra-config"] + 0.1);
    }

    [Fact]
    public async Task Rework_is_more_frequent_for_less_experienced_authors()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        // Experience as the data shows it: PRs the author had opened before this one.
        var rows = await Sql.RowsAsync(conn, $"""
            WITH x AS (
              SELECT {Rework} AS rework, p.changed_files, p.status,
                     count(*) OVER (PARTITION BY p.author_id ORDER BY p.created_at, p.id) - 1 AS prior
              FROM pull_requests p WHERE p.author_id IS NOT NULL)
            SELECT avg(rework::int) FILTER (WHERE prior < 20)::float8, avg(rework::int) FILTER (WHERE prior >= 100)::float8
            FROM x WHERE status = 'merged' AND changed_files BETWEEN 3 AND 12
            """, ct);
        var (novice, veteran) = ((double)rows[0][0]!, (double)rows[0][1]!);
        Report($"rework rate, 3–12 files: authors with <20 prior PRs {novice:P1}, with ≥100 {veteran:P1}");
        Assert.True(novice > veteran + 0.05);
    }

    [Fact]
    public async Task Incidents_follow_failed_deployments_and_change_fail_rate_differs_by_team()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var rows = await Sql.RowsAsync(conn, """
            SELECT avg((EXISTS (SELECT 1 FROM incidents x WHERE x.deployment_id = d.id))::int) FILTER (WHERE d.status = 'failed')::float8,
                   avg((EXISTS (SELECT 1 FROM incidents x WHERE x.deployment_id = d.id))::int) FILTER (WHERE d.status = 'success')::float8
            FROM deployments d WHERE d.environment = 'production'
            """, ct);
        var (afterFailed, afterSuccess) = ((double)rows[0][0]!, (double)rows[0][1]!);
        var cfr = (await Sql.RowsAsync(conn, """
            SELECT t.name, avg((d.status <> 'success')::int)::float8
            FROM deployments d JOIN repositories r ON r.id = d.repository_id JOIN teams t ON t.id = r.team_id
            WHERE d.client_id = 1 AND d.environment = 'production' GROUP BY t.name
            """, ct)).ToDictionary(r => (string)r[0]!, r => (double)r[1]!);
        Report($"incident after failed deployment {afterFailed:P1}, after successful {afterSuccess:P1}; change fail rate: " +
               string.Join(", ", cfr.Select(kv => $"{kv.Key} {kv.Value:P1}")));
        Assert.True(afterFailed > 5 * afterSuccess);
        Assert.True(cfr["Mobile"] > cfr["Platform"] + 0.05);
    }

    [Fact]
    public async Task Epic_lead_time_comes_from_its_children_and_grows_with_their_points()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var rows = await Sql.RowsAsync(conn, $"""
            WITH epics AS (
              SELECT i.id, i.work_first_started_at, i.work_last_completed_at, i.total_lead_time_seconds {IssueJoins}
              WHERE t.original_name = 'Epic' AND m.status_to = 'Done'),
            kids AS (
              SELECT c.parent_id, min(c.work_first_started_at) AS first_start, max(c.work_last_completed_at) AS last_done,
                     sum(c.story_points) AS points, count(*) AS n
              FROM issues c WHERE c.parent_id IN (SELECT id FROM epics) GROUP BY c.parent_id)
            SELECT count(*),
                   count(*) FILTER (WHERE e.work_last_completed_at < k.last_done),
                   count(*) FILTER (WHERE e.total_lead_time_seconds <> extract(epoch FROM e.work_last_completed_at - e.work_first_started_at)::bigint),
                   corr(k.points::float8, e.total_lead_time_seconds::float8),
                   corr(k.n::float8, e.total_lead_time_seconds::float8)
            FROM epics e JOIN kids k ON k.parent_id = e.id
            """, ct);
        var (done, closedEarly, badLead, corrPoints, corrCount) =
            ((long)rows[0][0]!, (long)rows[0][1]!, (long)rows[0][2]!, (double)rows[0][3]!, (double)rows[0][4]!);
        Report($"{done} done epics; corr(child points, epic lead) {corrPoints:0.000}, corr(children, epic lead) {corrCount:0.000}");
        Assert.True(done >= 300, $"only {done} done epics");
        Assert.Equal(0, closedEarly);
        Assert.Equal(0, badLead);
        Assert.True(corrPoints > 0.3);
    }

    [Fact]
    public async Task Every_tenant_has_recent_data()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var asOf = DemoDataFixture.AsOf;
        var rows = await Sql.RowsAsync(conn, $"""
            SELECT c.id,
              (SELECT count(*) FROM issues i WHERE i.client_id = c.id AND i.created >= '{asOf:O}'::timestamptz - interval '90 days'),
              (SELECT count(*) FROM issues i WHERE i.client_id = c.id AND i.work_last_completed_at >= '{asOf:O}'::timestamptz - interval '30 days'),
              (SELECT count(*) FROM pull_requests p WHERE p.client_id = c.id AND p.merged_at >= '{asOf:O}'::timestamptz - interval '90 days'),
              (SELECT count(*) FROM deployments d WHERE d.client_id = c.id AND d.deployed_at >= '{asOf:O}'::timestamptz - interval '90 days'),
              (SELECT max(i.created) FROM issues i WHERE i.client_id = c.id)
            FROM clients c WHERE c.active ORDER BY c.id
            """, ct);
        Assert.Equal([1L, 2L, 3L], rows.Select(r => (long)r[0]!));
        foreach (var r in rows)
        {
            Report($"tenant {r[0]}: issues created last 90 d {r[1]}, completed last 30 d {r[2]}, PRs merged last 90 d {r[3]}, deployments last 90 d {r[4]}");
            Assert.All(r[1..5], v => Assert.True((long)v! > 10));
            Assert.True((DateTime)r[5]! < asOf);
        }
    }

    [Fact]
    public async Task Open_epics_mid_flight_show_what_is_known_so_far()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var n = await Sql.ScalarAsync<long>(conn, $"""
            SELECT count(*) {IssueJoins}
            WHERE t.original_name = 'Epic' AND m.status_to = 'In Progress' AND i.work_last_completed_at IS NULL
              AND (SELECT count(*) FROM issues c JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings cm ON cm.id = cs.status_mapping_id
                   WHERE c.parent_id = i.id AND cm.status_to = 'Done') >= 2
              AND EXISTS (SELECT 1 FROM issues c JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings cm ON cm.id = cs.status_mapping_id
                   WHERE c.parent_id = i.id AND cm.status_to <> 'Done')
            """, ct);
        Report($"{n} in-progress epics with ≥2 done and some open children");
        Assert.True(n >= 30);
    }

    private static async Task<(double Corr, long N)> CorrAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        var rows = await Sql.RowsAsync(conn, sql, ct);
        return ((double)rows[0][0]!, (long)rows[0][1]!);
    }
}
