using Npgsql;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Data.Tests;

/// <summary>
/// The replica's issue rollups (Replica/0700_issue_rollups.sql, keyed by the status category since 0710) as the logical
/// replication keeps them: rows inserted, updated (a key and a measure changed, a row deactivated) and deleted on the
/// primary reach the rollups on the replica through the triggers that fire in the apply worker, and so does a status's
/// category changed on the primary (statuses, status_mappings), equal to a recomputation from the replicated issues;
/// the query role sees only its tenant's rollup rows. Own primary and replica (no demo data), so the writes touch no
/// other test's rows.
/// </summary>
public sealed class RollupReplicationTests(RollupReplicationTests.Servers db) : IClassFixture<RollupReplicationTests.Servers>
{
    public sealed class Servers : PostgresReplicaFixture;

    // Keyed by the status category (Replica/0710): the status's mapping's status_to, NULL for a status mapped to none.
    internal const string CreatedRecomputed = """
        SELECT i.client_id, date_trunc('day', i.created AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', i.project_id, i.issuetype_id, sm.status_to,
               count(*)::int, coalesce(sum(i.story_points), 0)::numeric, count(i.story_points)::int
        FROM issues i LEFT JOIN statuses s ON s.id = i.status_id LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.active GROUP BY 1, 2, 3, 4, 5
        """;

    internal const string CompletedRecomputed = """
        SELECT i.client_id, date_trunc('day', i.work_last_completed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', i.project_id, i.issuetype_id, sm.status_to,
               count(*)::int, coalesce(sum(i.story_points), 0)::numeric, count(i.story_points)::int,
               coalesce(sum(i.total_lead_time_seconds), 0)::numeric, count(i.total_lead_time_seconds)::int
        FROM issues i LEFT JOIN statuses s ON s.id = i.status_id LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.active AND i.work_last_completed_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5
        """;

    internal const string PullRequestsCreatedRecomputed = """
        SELECT client_id, date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', repository_id, status, count(*)::int,
               coalesce(sum(commit_count), 0)::numeric, count(commit_count)::int, coalesce(sum(changed_files), 0)::numeric, count(changed_files)::int, coalesce(sum(additions), 0)::numeric, count(additions)::int, coalesce(sum(deletions), 0)::numeric, count(deletions)::int, coalesce(sum(review_cycles), 0)::numeric, count(review_cycles)::int, coalesce(sum(rework_commit_count), 0)::numeric, count(rework_commit_count)::int
        FROM pull_requests WHERE active GROUP BY 1, 2, 3, 4
        """;

    internal const string PullRequestsMergedRecomputed = """
        SELECT client_id, date_trunc('day', merged_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', repository_id, status, count(*)::int,
               coalesce(sum(commit_count), 0)::numeric, count(commit_count)::int, coalesce(sum(changed_files), 0)::numeric, count(changed_files)::int, coalesce(sum(additions), 0)::numeric, count(additions)::int, coalesce(sum(deletions), 0)::numeric, count(deletions)::int, coalesce(sum(review_cycles), 0)::numeric, count(review_cycles)::int, coalesce(sum(rework_commit_count), 0)::numeric, count(rework_commit_count)::int
        FROM pull_requests WHERE active AND merged_at IS NOT NULL GROUP BY 1, 2, 3, 4
        """;

    /// <summary>Rows in one rollup and not in its recomputation, or the other way round (0 when they are equal).</summary>
    internal static string Difference(string table, string recomputed, string where = "true") =>
        $"SELECT count(*) FROM ((SELECT * FROM {table} WHERE {where} EXCEPT SELECT * FROM ({recomputed}) r) UNION ALL (SELECT * FROM ({recomputed}) r EXCEPT SELECT * FROM {table} WHERE {where})) d";

    [Fact]
    public async Task A_changed_status_category_on_the_primary_re_keys_the_rollups_on_the_replica()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, """
                INSERT INTO clients (id, name) VALUES (73, 'Rollup C');
                INSERT INTO teams (id, client_id, name) VALUES (731, 73, 'Core');
                INSERT INTO projects (id, client_id, key, name, team_id) VALUES (731, 73, 'THR', 'Three', 731);
                INSERT INTO status_mappings (id, client_id, status_from, status_to) VALUES (731, 73, 'Done', 'Done'), (732, 73, 'Open', 'To Do'),
                                                                                    (733, 73, 'Closed', 'Done');
                -- 733 'Triage' maps to no category yet: its issues count for questions that do not read the status only.
                INSERT INTO statuses (id, client_id, original_name, status_mapping_id) VALUES (731, 73, 'Done', 731), (732, 73, 'Open', 732), (733, 73, 'Triage', NULL),
                                                                                              (734, 73, 'Closed', 733);
                INSERT INTO issuetypes (id, client_id, original_name) VALUES (731, 73, 'Bug');
                INSERT INTO issues (id, client_id, project_id, key, summary, issuetype_id, status_id, story_points, created, updated, work_last_completed_at)
                SELECT 73000 + g, 73, 731, 'C-' || g, 'issue ' || g, 731, 731 + g % 4, g % 5,
                       timestamptz '2026-04-01 00:00+00' + g * interval '9 hours', timestamptz '2026-06-01 00:00+00',
                       CASE WHEN g % 4 IN (0, 3) THEN timestamptz '2026-04-03 00:00+00' + g * interval '9 hours' END
                FROM generate_series(1, 120) g;
                """, ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertRollupsEqualRecomputedAsync("after the inserts", ct);
        Assert.Equal(new Dictionary<string, long> { ["Done"] = 60, ["To Do"] = 30, ["(none)"] = 30 }, await CategoriesAsync(73, ct));
        await AssertCategoryQueriesEqualBaseAsync(73, ct);

        // A status moved to a mapping (from none), a mapping's category edited, a status moved to another mapping of the same
        // category: the first two re-key the tenant's rollup rows on the replica, the last changes nothing.
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, "UPDATE statuses SET status_mapping_id = 732 WHERE id = 733", ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertRollupsEqualRecomputedAsync("after a status got a mapping", ct);
        Assert.Equal(new Dictionary<string, long> { ["Done"] = 60, ["To Do"] = 60 }, await CategoriesAsync(73, ct));

        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, """
                UPDATE status_mappings SET status_to = 'In Progress' WHERE id = 732;
                UPDATE statuses SET status_mapping_id = 731 WHERE id = 734;
                """, ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertRollupsEqualRecomputedAsync("after a mapping's category changed", ct);
        Assert.Equal(new Dictionary<string, long> { ["Done"] = 60, ["In Progress"] = 60 }, await CategoriesAsync(73, ct));

        // Back to no category, and to Done through another mapping.
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, "UPDATE statuses SET status_mapping_id = NULL WHERE id = 732; UPDATE statuses SET status_mapping_id = 733 WHERE id = 733", ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertRollupsEqualRecomputedAsync("after a status lost its mapping", ct);
        Assert.Equal(new Dictionary<string, long> { ["Done"] = 90, ["(none)"] = 30 }, await CategoriesAsync(73, ct));
        await AssertCategoryQueriesEqualBaseAsync(73, ct);
    }

    [Fact]
    public async Task Pull_request_inserts_updates_and_deletes_on_the_primary_reach_the_pull_request_rollups_on_the_replica()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, """
                INSERT INTO clients (id, name) VALUES (74, 'Rollup D');
                INSERT INTO teams (id, client_id, name) VALUES (741, 74, 'Core');
                INSERT INTO repositories (id, client_id, name, full_name, team_id) VALUES (741, 74, 'api', 'd/api', 741), (742, 74, 'web', 'd/web', NULL);
                -- 300 PRs over ~50 days: open, merged (with merged_at) and closed; some sizes unknown.
                INSERT INTO pull_requests (id, client_id, repository_id, number, title, commit_count, changed_files, additions, deletions, review_cycles,
                                           rework_commit_count, created_at, merged_at, closed_at, status)
                SELECT 74000 + g, 74, 741 + g % 2, g, 'pr ' || g, g % 7, CASE WHEN g % 9 = 0 THEN NULL ELSE g % 40 END, g * 3, g, g % 4, g % 5,
                       timestamptz '2026-05-01 00:00+00' + g * interval '4 hours 7 minutes',
                       CASE WHEN g % 3 = 0 THEN timestamptz '2026-05-02 00:00+00' + g * interval '4 hours 41 minutes' END,
                       CASE WHEN g % 3 <> 1 THEN timestamptz '2026-05-02 00:00+00' + g * interval '4 hours 41 minutes' END,
                       CASE g % 3 WHEN 0 THEN 'merged' WHEN 1 THEN 'open' ELSE 'closed' END
                FROM generate_series(1, 300) g;
                """, ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertPullRequestRollupsEqualRecomputedAsync("after the inserts", ct);

        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, """
                UPDATE pull_requests SET status = 'merged', merged_at = timestamptz '2026-06-20 09:00+00', closed_at = timestamptz '2026-06-20 09:00+00'
                WHERE client_id = 74 AND status = 'open' AND id % 4 = 0;                                 -- merged now: a key and the merged day
                UPDATE pull_requests SET review_cycles = 9, changed_files = NULL WHERE client_id = 74 AND id % 11 = 0;  -- measures, one unset
                UPDATE pull_requests SET repository_id = 742, created_at = created_at + interval '1 day' WHERE client_id = 74 AND id % 13 = 0;  -- keys
                UPDATE pull_requests SET active = false WHERE client_id = 74 AND id % 17 = 0;           -- no longer counted
                UPDATE pull_requests SET title = 'renamed' WHERE client_id = 74;                          -- nothing rolled up changes
                DELETE FROM pull_requests WHERE client_id = 74 AND id % 19 = 0;
                """, ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertPullRequestRollupsEqualRecomputedAsync("after the updates and deletes", ct);
        await using (var replica = await db.OpenReplicaAsync(ct))
        {
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM pull_requests_created_daily WHERE n = 0", ct));
            await Exec(replica, "SELECT rollup_rebuild_pull_requests(74)", ct);
        }
        await AssertPullRequestRollupsEqualRecomputedAsync("after a rebuild", ct);

        // Row-level security as on the base tables.
        await using (var replica = await db.OpenReplicaAsync(ct))
        {
            await using var tx = await replica.BeginTransactionAsync(ct);
            await Exec(replica, "SELECT set_config('app.client_id', '74', true); SET LOCAL ROLE sa_query", ct);
            Assert.Equal(1L, await Sql.ScalarAsync<long>(replica, "SELECT count(DISTINCT client_id) FROM pull_requests_merged_daily", ct));
            Assert.Equal(await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM pull_requests WHERE active", ct),
                await Sql.ScalarAsync<long>(replica, "SELECT sum(n) FROM pull_requests_created_daily", ct));
        }
        await using (var replica = await db.OpenReplicaAsync(ct))
        {
            await using var tx = await replica.BeginTransactionAsync(ct);
            await Exec(replica, "SET LOCAL ROLE sa_query", ct);
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM pull_requests_created_daily", ct));
        }
    }

    private async Task AssertPullRequestRollupsEqualRecomputedAsync(string when, CancellationToken ct)
    {
        await using var replica = await db.OpenReplicaAsync(ct);
        Assert.True(await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM pull_requests_merged_daily", ct) > 0, "no merged rollup rows " + when);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, Difference("pull_requests_created_daily", PullRequestsCreatedRecomputed), ct));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, Difference("pull_requests_merged_daily", PullRequestsMergedRecomputed), ct));
    }

    /// <summary>Active issues per status category in the created-day rollup ("(none)": a status mapped to no category).</summary>
    private async Task<Dictionary<string, long>> CategoriesAsync(long tenant, CancellationToken ct)
    {
        await using var replica = await db.OpenReplicaAsync(ct);
        await using var cmd = new NpgsqlCommand($"SELECT coalesce(status_to, '(none)'), sum(n)::bigint FROM issues_created_daily WHERE client_id = {tenant} GROUP BY 1", replica);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var result = new Dictionary<string, long>();
        while (await reader.ReadAsync(ct))
        {
            result[reader.GetString(0)] = reader.GetInt64(1);
        }
        return result;
    }

    /// <summary>
    /// The rollup read as the agent's RollupCompiler writes it equals the base SQL it replaces: a count without the status
    /// counts the issues of a status without a category too; by category (and a category filter) the compiler adds
    /// <c>status_to IS NOT NULL</c>, as the base SQL's inner joins to the mapping drop those issues.
    /// </summary>
    private async Task AssertCategoryQueriesEqualBaseAsync(long tenant, CancellationToken ct)
    {
        await using var replica = await db.OpenReplicaAsync(ct);
        (string Rollup, string Base)[] pairs =
        [
            ($"SELECT coalesce(sum(i.n), 0) FROM issues_created_daily i WHERE i.client_id = {tenant}",
             $"SELECT count(*) FROM issues i WHERE i.client_id = {tenant} AND i.active"),
            ($"SELECT string_agg(status_to || '=' || c, ',' ORDER BY status_to) FROM (SELECT i.status_to, coalesce(sum(i.n), 0) c FROM issues_created_daily i WHERE i.client_id = {tenant} AND i.status_to IS NOT NULL GROUP BY i.status_to) x",
             $"SELECT string_agg(status_to || '=' || c, ',' ORDER BY status_to) FROM (SELECT sm.status_to, count(*) c FROM issues i JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE i.client_id = {tenant} AND i.active GROUP BY sm.status_to) x"),
            ($"SELECT coalesce(sum(i.story_points_sum), 0) FROM issues_completed_daily i WHERE i.client_id = {tenant} AND i.status_to <> 'Done' AND i.status_to IS NOT NULL",
             $"SELECT coalesce(sum(i.story_points), 0) FROM issues i JOIN statuses s ON s.id = i.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE i.client_id = {tenant} AND i.active AND sm.status_to <> 'Done' AND i.work_last_completed_at IS NOT NULL"),
        ];
        foreach (var (rollup, @base) in pairs)
        {
            Assert.Equal(await Sql.ScalarAsync<object>(replica, @base, ct), await Sql.ScalarAsync<object>(replica, rollup, ct));
        }
    }

    [Fact]
    public async Task Inserts_updates_and_deletes_on_the_primary_reach_the_rollups_on_the_replica()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, """
                INSERT INTO clients (id, name) VALUES (71, 'Rollup A'), (72, 'Rollup B');
                INSERT INTO teams (id, client_id, name) VALUES (711, 71, 'Core'), (721, 72, 'Other');
                INSERT INTO projects (id, client_id, key, name, team_id) VALUES (711, 71, 'ONE', 'One', 711), (712, 71, 'TWO', 'Two', 711), (721, 72, 'OTH', 'Other', 721);
                INSERT INTO status_mappings (id, client_id, status_from, status_to) VALUES (711, 71, 'Done', 'Done'), (712, 71, 'Open', 'To Do'), (721, 72, 'Done', 'Done');
                INSERT INTO statuses (id, client_id, original_name, status_mapping_id) VALUES (711, 71, 'Done', 711), (712, 71, 'Open', 712), (713, 71, 'Triage', NULL), (721, 72, 'Done', 721);
                INSERT INTO issuetypes (id, client_id, original_name) VALUES (711, 71, 'Bug'), (712, 71, 'Story'), (721, 72, 'Bug');
                -- 400 issues of tenant 71 over ~60 days, some completed with a lead time, some with points; 20 of tenant 72.
                INSERT INTO issues (id, client_id, project_id, key, summary, issuetype_id, status_id, story_points, created, updated,
                                    work_first_started_at, work_last_completed_at, total_lead_time_seconds)
                SELECT 71000 + g, 71, 711 + g % 2, 'K-' || g, 'issue ' || g, 711 + g % 3 % 2, CASE WHEN g % 3 = 0 THEN 711 WHEN g % 5 = 0 THEN 713 ELSE 712 END,
                       CASE WHEN g % 4 = 0 THEN NULL ELSE g % 8 END,
                       timestamptz '2026-03-01 00:00+00' + g * interval '3 hours 37 minutes', timestamptz '2026-06-01 00:00+00',
                       CASE WHEN g % 3 = 0 THEN timestamptz '2026-03-02 00:00+00' + g * interval '3 hours' END,
                       CASE WHEN g % 3 = 0 THEN timestamptz '2026-03-05 00:00+00' + g * interval '4 hours 11 minutes' END,
                       CASE WHEN g % 3 = 0 THEN 259200 + g * 900 END
                FROM generate_series(1, 400) g;
                INSERT INTO issues (id, client_id, project_id, key, summary, issuetype_id, status_id, story_points, created, updated, work_last_completed_at, total_lead_time_seconds)
                SELECT 72000 + g, 72, 721, 'O-' || g, 'other ' || g, 721, 721, 3, timestamptz '2026-03-01 00:00+00' + g * interval '1 day', timestamptz '2026-06-01 00:00+00',
                       timestamptz '2026-03-03 00:00+00' + g * interval '1 day', 86400
                FROM generate_series(1, 20) g;
                """, ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertRollupsEqualRecomputedAsync("after the inserts", ct);
        var before = await TenantCountAsync(71, ct);
        Assert.Equal(400, before);

        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await Exec(primary, """
                UPDATE issues SET status_id = 711, work_last_completed_at = timestamptz '2026-05-20 10:00+00', total_lead_time_seconds = 1000
                WHERE client_id = 71 AND id % 7 = 1 AND work_last_completed_at IS NULL;                 -- completed now: a key (status) and measures
                UPDATE issues SET story_points = 13 WHERE client_id = 71 AND id % 11 = 0;               -- a measure
                UPDATE issues SET project_id = 712, created = created + interval '2 days' WHERE client_id = 71 AND id % 13 = 0;  -- keys: project and day
                UPDATE issues SET issuetype_id = 712, total_lead_time_seconds = NULL WHERE client_id = 71 AND id % 17 = 0;      -- a key, a measure unset
                UPDATE issues SET active = false WHERE client_id = 71 AND id % 19 = 0;                  -- no longer counted
                UPDATE issues SET comment_count = 4, updated = timestamptz '2026-06-02 00:00+00' WHERE client_id = 71;  -- nothing rolled up changes
                DELETE FROM issues WHERE client_id = 71 AND id % 23 = 0;
                """, ct);
        }
        await db.WaitForReplicaAsync(ct);
        await AssertRollupsEqualRecomputedAsync("after the updates and deletes", ct);
        await using (var replica = await db.OpenReplicaAsync(ct))
        {
            var counted = await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues WHERE client_id = 71 AND active", ct);
            Assert.Equal(counted, await TenantCountAsync(71, ct));
            Assert.True(counted < before, "the deactivated and deleted issues left the rollup");
            // A group whose rows all left is gone, not kept with a count of zero.
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues_created_daily WHERE n = 0", ct));
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues_completed_daily WHERE n = 0", ct));

            // The safety net recomputes a tenant to the same rows.
            await Exec(replica, "SELECT rollup_rebuild(71)", ct);
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, Difference("issues_created_daily", CreatedRecomputed), ct));
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, Difference("issues_completed_daily", CompletedRecomputed), ct));
        }

        // Row-level security as on the base tables: the query role sees its tenant's rollup rows only, none without a tenant.
        await using (var replica = await db.OpenReplicaAsync(ct))
        {
            await using var tx = await replica.BeginTransactionAsync(ct);
            await Exec(replica, "SELECT set_config('app.client_id', '72', true); SET LOCAL ROLE sa_query", ct);
            Assert.Equal(1L, await Sql.ScalarAsync<long>(replica, "SELECT count(DISTINCT client_id) FROM issues_created_daily", ct));
            Assert.Equal(20L, await Sql.ScalarAsync<long>(replica, "SELECT sum(n) FROM issues_created_daily", ct));
            Assert.Equal(20L, await Sql.ScalarAsync<long>(replica, "SELECT sum(n) FROM issues_completed_daily WHERE client_id = 71 OR client_id = 72", ct));
        }
        await using (var replica = await db.OpenReplicaAsync(ct))
        {
            await using var tx = await replica.BeginTransactionAsync(ct);
            await Exec(replica, "SET LOCAL ROLE sa_query", ct);
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues_completed_daily", ct));
            Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues_created_daily", ct));
        }
    }

    private async Task<long> TenantCountAsync(long tenant, CancellationToken ct)
    {
        await using var replica = await db.OpenReplicaAsync(ct);
        return await Sql.ScalarAsync<long>(replica, $"SELECT coalesce(sum(n), 0) FROM issues_created_daily WHERE client_id = {tenant}", ct);
    }

    private async Task AssertRollupsEqualRecomputedAsync(string when, CancellationToken ct)
    {
        await using var replica = await db.OpenReplicaAsync(ct);
        Assert.True(await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues_completed_daily", ct) > 0, "no completed rollup rows " + when);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, Difference("issues_created_daily", CreatedRecomputed), ct));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, Difference("issues_completed_daily", CompletedRecomputed), ct));
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>The demo data reached the replica through the apply worker, row by row: its rollups (issues and pull requests) equal a recomputation.</summary>
public sealed class RollupContentTests(DemoDataFixture db)
{
    [Fact]
    public async Task The_demo_datas_rollups_equal_a_recomputation_from_the_issues()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var replica = await db.OpenReplicaAsync(ct);
        var issues = await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues WHERE active", ct);
        var rows = await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM issues_created_daily", ct);
        TestContext.Current.SendDiagnosticMessage($"{issues} active issues in {rows} created-day rollup rows ({(double)issues / rows:0.0} per row)");
        Assert.Equal(issues, await Sql.ScalarAsync<long>(replica, "SELECT sum(n) FROM issues_created_daily", ct));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, RollupReplicationTests.Difference("issues_created_daily", RollupReplicationTests.CreatedRecomputed), ct));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, RollupReplicationTests.Difference("issues_completed_daily", RollupReplicationTests.CompletedRecomputed), ct));
        Assert.Equal(await Sql.ScalarAsync<long>(replica, "SELECT count(*) FROM pull_requests WHERE active", ct), await Sql.ScalarAsync<long>(replica, "SELECT sum(n) FROM pull_requests_created_daily", ct));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, RollupReplicationTests.Difference("pull_requests_created_daily", RollupReplicationTests.PullRequestsCreatedRecomputed), ct));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(replica, RollupReplicationTests.Difference("pull_requests_merged_daily", RollupReplicationTests.PullRequestsMergedRecomputed), ct));
    }
}
