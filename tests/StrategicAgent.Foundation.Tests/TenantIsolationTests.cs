using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// Tenant isolation is PostgreSQL's job: as the SELECT-only role inside
/// <see cref="TenantSession.BeginReadOnlyAsync"/>, a query without any WHERE sees one tenant only,
/// nothing at all without a tenant, and cannot write or change the schema.
/// </summary>
public sealed class TenantIsolationTests(PostgresReplicaFixture db) : IAsyncLifetime
{
    // Far from the ids other tests and the demo data use.
    private const long TenantA = 7_100_001;
    private const long TenantB = 7_100_002;

    /// <summary>The schema contract's tenant-owned tables (DESIGN.md).</summary>
    public static readonly TheoryData<string> TenantTables =
    [
        "clients", "teams", "users", "projects", "issuetypes", "status_mappings", "statuses", "issues",
        "repositories", "pull_requests", "deployments", "incidents",
    ];

    public ValueTask InitializeAsync() => new(db.OnceAsync(nameof(TenantIsolationTests), async ct =>
    {
        await using var conn = await db.OpenPrimaryAsync(ct);
        // Tenant A gets one row per table, tenant B two: a count that ignores the tenant is caught.
        await SeedTenantAsync(conn, TenantA, rows: 1, ct);
        await SeedTenantAsync(conn, TenantB, rows: 2, ct);
        await db.WaitForReplicaAsync(ct);
    }));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task Count_without_where_sees_only_the_session_tenant_on_the_replica(string table)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        Assert.Equal(1L, await CountAsTenantAsync(conn, TenantA, table, ct));
        Assert.Equal(RowsOfB(table), await CountAsTenantAsync(conn, TenantB, table, ct));
    }

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task Count_without_where_sees_only_the_session_tenant_on_the_primary(string table)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenPrimaryAsync(ct);
        Assert.Equal(1L, await CountAsTenantAsync(conn, TenantA, table, ct));
        Assert.Equal(RowsOfB(table), await CountAsTenantAsync(conn, TenantB, table, ct));
    }

    [Theory]
    [MemberData(nameof(TenantTables))]
    public async Task Without_a_tenant_no_row_is_visible(string table)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await ExecAsync(conn, tx, "SET TRANSACTION READ ONLY; SET LOCAL ROLE " + TenantSession.QueryRole, ct);
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", conn, tx);
        Assert.Equal(0L, await count.ExecuteScalarAsync(ct));
    }

    /// <summary>
    /// Any table with a client_id column (now or added later) is either isolated by a policy or
    /// not readable by the query role at all: a new tenant table without RLS fails here.
    /// </summary>
    [Fact]
    public async Task Every_table_with_a_client_id_is_isolated_or_unreadable_for_the_query_role()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            """
            SELECT format('%I.%I', c.table_schema, c.table_name)
            FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.column_name = 'client_id' AND t.table_type = 'BASE TABLE'
              AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1
            """, conn))
        await using (var r = await list.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                tables.Add(r.GetString(0));
            }
        }
        Assert.Contains("public.issues", tables);

        var leaks = new List<string>();
        foreach (var table in tables)
        {
            long visible;
            try
            {
                visible = await CountAsTenantAsync(conn, TenantA, table, ct);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                continue; // not readable at all: isolated
            }
            await using var truth = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE client_id = $1", conn) { Parameters = { new() { Value = TenantA } } };
            var own = (long)(await truth.ExecuteScalarAsync(ct))!;
            if (visible != own)
            {
                leaks.Add($"{table}: sees {visible} rows, tenant owns {own}");
            }
        }
        Assert.Empty(leaks);
    }

    [Theory]
    [InlineData("INSERT INTO clients (id, name) VALUES (7100999, 'x')")]
    [InlineData("UPDATE issues SET summary = 'changed'")]
    [InlineData("DELETE FROM pull_requests")]
    [InlineData("TRUNCATE incidents")]
    [InlineData("CREATE TABLE sneaky (id int)")]
    [InlineData("DROP TABLE issues")]
    [InlineData("ALTER TABLE issues DISABLE ROW LEVEL SECURITY")]
    [InlineData("SELECT * FROM issues FOR UPDATE")]
    public async Task Writes_and_ddl_are_refused(string sql)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, TenantA, TimeSpan.FromSeconds(5), ct);
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync(ct));
        Assert.Contains(ex.SqlState, new[] { PostgresErrorCodes.ReadOnlySqlTransaction, PostgresErrorCodes.InsufficientPrivilege });
    }

    /// <summary>
    /// A query cannot change its own tenant or role: set_config (and UPDATE pg_settings, the same
    /// through a view) is not available to the query role. Without that, a CTE could switch
    /// app.client_id to another tenant for the rest of the statement.
    /// </summary>
    [Theory]
    [InlineData("WITH s AS MATERIALIZED (SELECT set_config('app.client_id', '7100002', true) AS x) SELECT (SELECT x FROM s), (SELECT count(*) FROM issues)")]
    [InlineData("SELECT set_config('role', 'postgres', true)")]
    [InlineData("SELECT set_config('statement_timeout', '0', true)")]
    [InlineData("UPDATE pg_settings SET setting = '7100002' WHERE name = 'app.client_id'")]
    public async Task A_query_cannot_change_its_tenant_role_or_timeout(string sql)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, TenantA, TimeSpan.FromSeconds(5), ct);
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync(ct));
        Assert.Contains(ex.SqlState, new[] { PostgresErrorCodes.InsufficientPrivilege, PostgresErrorCodes.ReadOnlySqlTransaction });
    }

    [Fact]
    public async Task The_setting_lasts_for_one_transaction_only()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        Assert.Equal(1L, await CountAsTenantAsync(conn, TenantA, "issues", ct));
        // Same connection, next transaction, no tenant: the previous tenant must not linger.
        await using var tx = await conn.BeginTransactionAsync(ct);
        await ExecAsync(conn, tx, "SET LOCAL ROLE " + TenantSession.QueryRole, ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM issues", conn, tx);
        Assert.Equal(0L, await count.ExecuteScalarAsync(ct));
    }

    /// <summary>Tenant B has two rows in every table but <c>clients</c>, where it is one row.</summary>
    private static long RowsOfB(string table) => table == "clients" ? 1 : 2;

    private static async Task<long> CountAsTenantAsync(NpgsqlConnection conn, long tenant, string table, CancellationToken ct)
    {
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, tenant, TimeSpan.FromSeconds(5), ct);
        await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {table}", conn, tx);
        var n = (long)(await cmd.ExecuteScalarAsync(ct))!;
        await tx.RollbackAsync(ct);
        return n;
    }

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One dependent row chain per table for <paramref name="rows"/> rows; ids derive from the tenant.</summary>
    private static async Task SeedTenantAsync(NpgsqlConnection conn, long tenant, int rows, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        await ExecAsync(conn, tx, $"INSERT INTO clients (id, name) VALUES ({tenant}, 'isolation {tenant}')", ct);
        for (var i = 1; i <= rows; i++)
        {
            var id = tenant * 10 + i;
            await ExecAsync(conn, tx,
                $"""
                INSERT INTO teams (id, client_id, name) VALUES ({id}, {tenant}, 'team {id}');
                INSERT INTO users (id, client_id, team_id, name) VALUES ({id}, {tenant}, {id}, 'user {id}');
                INSERT INTO projects (id, client_id, key, name) VALUES ({id}, {tenant}, 'P{id}', 'project {id}');
                INSERT INTO issuetypes (id, client_id, original_name) VALUES ({id}, {tenant}, 'Story');
                INSERT INTO status_mappings (id, client_id, status_from, status_to) VALUES ({id}, {tenant}, 'Open', 'To Do');
                INSERT INTO statuses (id, client_id, original_name, status_mapping_id) VALUES ({id}, {tenant}, 'Open', {id});
                INSERT INTO issues (id, client_id, project_id, key, summary, issuetype_id, status_id, created, updated)
                    VALUES ({id}, {tenant}, {id}, 'P{id}-1', 'issue {id}', {id}, {id}, now(), now());
                INSERT INTO repositories (id, client_id, name, full_name) VALUES ({id}, {tenant}, 'repo', 'org/repo{id}');
                INSERT INTO pull_requests (id, client_id, repository_id, issue_id, number, title, created_at, status)
                    VALUES ({id}, {tenant}, {id}, {id}, 1, 'pr {id}', now(), 'open');
                INSERT INTO deployments (id, client_id, repository_id, environment, status, deployed_at)
                    VALUES ({id}, {tenant}, {id}, 'production', 'success', now());
                INSERT INTO incidents (id, client_id, deployment_id, created_at, severity) VALUES ({id}, {tenant}, {id}, now(), 'sev3');
                """, ct);
        }
        await tx.CommitAsync(ct);
    }
}
