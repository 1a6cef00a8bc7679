using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// The replica's login role for tenant reads, <c>sa_reader</c> (migration Replica/0300): a tenant
/// session works as before, and a second statement <c>RESET ROLE</c> — which as the postgres
/// superuser would have read every tenant and could write anything — leaves a role that can read
/// no tenant table, write nothing and become no one else.
/// </summary>
public sealed class ReaderRoleTests(PostgresReplicaFixture db) : IAsyncLifetime
{
    private const long TenantA = 7_300_001;
    private const long TenantB = 7_300_002;

    public ValueTask InitializeAsync() => new(db.OnceAsync(nameof(ReaderRoleTests), async ct =>
    {
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand(
            $"""
            INSERT INTO clients (id, name) VALUES ({TenantA}, 'reader A'), ({TenantB}, 'reader B');
            INSERT INTO teams (id, client_id, name) VALUES ({TenantA}1, {TenantA}, 'A1'), ({TenantB}1, {TenantB}, 'B1'), ({TenantB}2, {TenantB}, 'B2');
            """, conn);
        await cmd.ExecuteNonQueryAsync(ct);
        await db.WaitForReplicaAsync(ct);
    }));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Reader_is_an_ordinary_noinherit_login_that_can_only_become_the_query_role()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsReaderAsync(ct);
        await using var cmd = new NpgsqlCommand(
            """
            SELECT current_user, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
                   pg_has_role('sa_reader', 'sa_query', 'MEMBER'), pg_has_role('sa_reader', 'postgres', 'MEMBER')
            FROM pg_roles r WHERE r.rolname = current_user
            """, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        Assert.True(await r.ReadAsync(ct));
        Assert.Equal(LoginRole.Reader.Name, r.GetString(0));
        Assert.Equal([false, false, false, false, false, false], Enumerable.Range(1, 6).Select(r.GetBoolean));
        Assert.True(r.GetBoolean(7));
        Assert.False(r.GetBoolean(8));
    }

    [Fact]
    public async Task Reader_outside_a_tenant_session_reads_no_tenant_table_and_no_ml_table()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsReaderAsync(ct);
        foreach (var sql in new[] { "SELECT count(*) FROM teams", "SELECT count(*) FROM clients", "SELECT count(*) FROM api_keys",
                                    "SELECT count(*) FROM ml.model_versions", "SELECT count(*) FROM ml.ml_prediction_log" })
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(conn, null, sql, ct));
            Assert.True(ex.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {ex.SqlState} {ex.MessageText}");
        }
    }

    [Fact]
    public async Task Tenant_session_as_the_reader_sees_exactly_its_tenant()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsReaderAsync(ct);
        foreach (var (tenant, teams) in new[] { (TenantA, 1L), (TenantB, 2L) })
        {
            await using var tx = await TenantSession.BeginReadOnlyAsync(conn, tenant, TimeSpan.FromSeconds(5), ct);
            Assert.Equal(teams, await ScalarAsync(conn, tx, "SELECT count(*) FROM teams WHERE client_id IN (7300001, 7300002)", ct));
            Assert.Equal(TenantSession.QueryRole, await ScalarAsync(conn, tx, "SELECT current_user", ct));
            await tx.RollbackAsync(ct);
        }
    }

    [Fact]
    public async Task Tenant_session_as_the_reader_reads_every_ml_feature_view_the_query_role_may()
    {
        // What the prediction service's feature reads need (migration 0200): the security_invoker views.
        var ct = TestContext.Current.CancellationToken;
        List<string> views = [];
        await using (var admin = await db.OpenReplicaAsync(ct))
        await using (var list = new NpgsqlCommand("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'ml' AND c.relkind = 'v' AND has_table_privilege('sa_query', c.oid, 'SELECT') ORDER BY 1", admin))
        await using (var r = await list.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                views.Add(r.GetString(0));
            }
        }
        Assert.NotEmpty(views);
        await using var conn = await db.OpenReplicaAsReaderAsync(ct);
        foreach (var view in views)
        {
            await using var tx = await TenantSession.BeginReadOnlyAsync(conn, TenantA, TimeSpan.FromSeconds(10), ct);
            Assert.NotNull(await ScalarAsync(conn, tx, $"SELECT count(*) FROM ml.\"{view}\"", ct));
            await tx.RollbackAsync(ct);
        }
    }

    [Fact]
    public async Task Reset_role_as_the_superuser_escaped_the_tenant_which_is_why_the_reader_exists()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsync(ct);
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, TenantA, TimeSpan.FromSeconds(5), ct);
        await ScalarAsync(conn, tx, "RESET ROLE", ct);
        Assert.Equal(3L, await ScalarAsync(conn, tx, "SELECT count(*) FROM teams WHERE client_id IN (7300001, 7300002)", ct));
    }

    [Fact]
    public async Task Reset_role_as_the_reader_reads_no_other_tenant_and_writes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await db.OpenReplicaAsReaderAsync(ct);
        await using (var tx = await TenantSession.BeginReadOnlyAsync(conn, TenantA, TimeSpan.FromSeconds(5), ct))
        {
            await ScalarAsync(conn, tx, "RESET ROLE", ct);
            Assert.Equal(LoginRole.Reader.Name, await ScalarAsync(conn, tx, "SELECT current_user", ct));
            await AssertRefusedAsync(conn, tx, "SELECT count(*) FROM teams", ct);
            await tx.RollbackAsync(ct);
        }

        // Even out of the read-only transaction (a COMMIT slipped in), the reader itself can change nothing.
        foreach (var sql in new[]
        {
            "SELECT count(*) FROM teams WHERE client_id = 7300002",
            "SELECT count(*) FROM issues",
            "INSERT INTO teams (id, client_id, name) VALUES (73000099, 7300002, 'x')",
            "UPDATE teams SET name = 'x' WHERE client_id = 7300002",
            "DELETE FROM api_keys",
            "INSERT INTO ml.ml_prediction_log (model_name) VALUES ('x')",
            "UPDATE ml.model_versions SET status = 'retired'",
            "CREATE TABLE public.reader_was_here (id int)",
            "CREATE TEMP TABLE reader_was_here (id int)",
            "CREATE SCHEMA reader_was_here",
            "SET ROLE postgres",
            "SET SESSION AUTHORIZATION postgres",
            "ALTER ROLE sa_reader SUPERUSER",
            "ALTER ROLE sa_reader BYPASSRLS",
            "GRANT SELECT ON teams TO sa_reader",
            "COPY (SELECT 1) TO PROGRAM 'true'",
            "SELECT pg_read_file('postgresql.conf')",
            "ALTER SYSTEM SET log_statement = 'all'",
        })
        {
            await AssertRefusedAsync(conn, null, sql, ct);
        }
    }

    [Fact]
    public async Task Reader_cannot_log_in_with_another_password()
    {
        var ct = TestContext.Current.CancellationToken;
        var wrong = LoginRole.Reader.ConnectionString(db.ReplicaConnectionString, "not-the-password");
        await using var conn = new NpgsqlConnection(wrong);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync(ct));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, ex.SqlState);
    }

    [Fact]
    public void Scram_verifier_is_postgres_format_and_refuses_what_saslprep_would_change()
    {
        var v = LoginRole.ScramVerifier("p@ss word!");
        Assert.Matches(@"^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$", v);
        Assert.NotEqual(v, LoginRole.ScramVerifier("p@ss word!")); // fresh salt each time
        Assert.Throws<ArgumentException>(() => LoginRole.ScramVerifier("pässword"));
        Assert.Throws<ArgumentException>(() => LoginRole.ScramVerifier(" "));
    }

    /// <summary>An open connection as whoever <paramref name="connectionString"/> logs in as (the login-role tests).</summary>
    internal static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        return conn;
    }

    internal static async Task AssertRefusedAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        var ex = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(conn, tx, sql, ct));
        // 42501 insufficient_privilege (or, for the role switch, "permission denied to set role"); never success.
        Assert.True(ex.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {ex.SqlState} {ex.MessageText}");
    }

    internal static async Task<object?> ScalarAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        return await cmd.ExecuteScalarAsync(ct);
    }
}
