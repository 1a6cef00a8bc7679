using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Testing;
using Xunit;
using static StrategicAgent.Foundation.Tests.ReaderRoleTests;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// The agent's login on the primary, <c>sa_agent</c> (migration Primary/0120): it works with the
/// agent's own tables — learning memory and conversations — and can touch nothing else.
/// </summary>
public sealed class AgentRoleTests(PostgresReplicaFixture db) : IAsyncLifetime
{
    private const long Tenant = 7_400_001;

    public ValueTask InitializeAsync() => new(db.OnceAsync(nameof(AgentRoleTests), async ct =>
    {
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand($"INSERT INTO clients (id, name) VALUES ({Tenant}, 'agent role')", conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Agent_is_an_ordinary_noinherit_login_member_of_no_role()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await OpenAsync(db.PrimaryAgentConnectionString, ct);
        await using var cmd = new NpgsqlCommand(
            """
            SELECT current_user, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
                   (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)
            FROM pg_roles r WHERE r.rolname = current_user
            """, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        Assert.True(await r.ReadAsync(ct));
        Assert.Equal(LoginRole.Agent.Name, r.GetString(0));
        Assert.Equal([false, false, false, false, false, false], Enumerable.Range(1, 6).Select(r.GetBoolean));
        Assert.Equal(0L, r.GetInt64(7));
    }

    [Fact]
    public async Task Agent_reads_and_writes_learning_memory_and_conversations()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await OpenAsync(db.PrimaryAgentConnectionString, ct);
        var id = (long)(await ScalarAsync(conn, null,
            $"INSERT INTO ai_learning_memory (client_id, user_intent, failed_query) VALUES ({Tenant}, 'lead time by team', 'SELECT 1') RETURNING id", ct))!;
        await ScalarAsync(conn, null, $"UPDATE ai_learning_memory SET suggested_fix = 'SELECT 2', confidence = 0.9 WHERE id = {id}", ct);
        Assert.Equal(1L, await ScalarAsync(conn, null, $"SELECT count(*) FROM ai_learning_memory WHERE client_id = {Tenant} AND user_intent % 'lead time per team'", ct));
        await ScalarAsync(conn, null, $"DELETE FROM ai_learning_memory WHERE id = {id}", ct);

        await ScalarAsync(conn, null,
            $"INSERT INTO agent_conversations (client_id, conversation_id, plan, updated_at) VALUES ({Tenant}, 'role-test', '{{}}', now()) " +
            "ON CONFLICT (client_id, conversation_id) DO UPDATE SET updated_at = excluded.updated_at", ct);
        Assert.Equal(1L, await ScalarAsync(conn, null, $"SELECT count(*) FROM agent_conversations WHERE client_id = {Tenant}", ct));
        await ScalarAsync(conn, null, $"DELETE FROM agent_conversations WHERE client_id = {Tenant}", ct);
    }

    [Fact]
    public async Task Agent_touches_no_platform_table_no_key_and_cannot_escalate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await OpenAsync(db.PrimaryAgentConnectionString, ct);
        foreach (var sql in new[]
        {
            "SELECT count(*) FROM clients",
            "SELECT count(*) FROM issues",
            "SELECT count(*) FROM api_keys",
            $"INSERT INTO clients (id, name) VALUES ({Tenant + 1}, 'x')",
            "UPDATE api_keys SET active = true",
            "DELETE FROM teams",
            "TRUNCATE ai_learning_memory",
            "DROP TABLE agent_conversations",
            "ALTER TABLE agent_conversations ADD COLUMN x int",
            "CREATE TABLE public.agent_was_here (id int)",
            "CREATE TEMP TABLE agent_was_here (id int)",
            "SET ROLE postgres",
            "SET ROLE sa_query",
            "ALTER ROLE sa_agent SUPERUSER",
            "COPY (SELECT 1) TO PROGRAM 'true'",
            "SELECT pg_read_file('postgresql.conf')",
        })
        {
            await AssertRefusedAsync(conn, null, sql, ct);
        }
    }

    [Fact]
    public async Task Agent_cannot_log_in_with_another_password()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = new NpgsqlConnection(LoginRole.Agent.ConnectionString(db.PrimaryConnectionString, "not-the-password"));
        var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync(ct));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, ex.SqlState);
    }
}
