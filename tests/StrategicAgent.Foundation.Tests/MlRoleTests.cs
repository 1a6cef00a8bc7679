using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Testing;
using Xunit;
using static StrategicAgent.Foundation.Tests.ReaderRoleTests;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// The ml writers' login on the replica, <c>sa_ml</c> (migration Replica/0400): every tenant's platform
/// rows to train on, the ml schema to write — and no key, no agent memory, no platform write, no escalation.
/// </summary>
public sealed class MlRoleTests(PostgresReplicaFixture db) : IAsyncLifetime
{
    private const long TenantA = 7_600_001;
    private const long TenantB = 7_600_002;

    public ValueTask InitializeAsync() => new(db.OnceAsync(nameof(MlRoleTests), async ct =>
    {
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand(
            $"""
            INSERT INTO clients (id, name) VALUES ({TenantA}, 'ml A'), ({TenantB}, 'ml B');
            INSERT INTO teams (id, client_id, name) VALUES ({TenantA}1, {TenantA}, 'A1'), ({TenantB}1, {TenantB}, 'B1');
            """, conn);
        await cmd.ExecuteNonQueryAsync(ct);
        await db.WaitForReplicaAsync(ct);
    }));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Ml_reads_every_tenant_writes_the_ml_schema_and_refreshes_the_training_summary()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await OpenAsync(db.ReplicaMlConnectionString, ct);
        Assert.Equal(false, await ScalarAsync(conn, null, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", ct));
        Assert.Equal(2L, await ScalarAsync(conn, null, $"SELECT count(*) FROM teams WHERE client_id IN ({TenantA}, {TenantB})", ct));
        Assert.NotNull(await ScalarAsync(conn, null, "SELECT count(*) FROM ml.rework_features", ct));
        await ScalarAsync(conn, null, "INSERT INTO ml.retraining_decisions (model_name, due, reason, max_age_days, min_new_records) VALUES ('rework', false, 'role test', 21, 50)", ct);
        await ScalarAsync(conn, null, "DELETE FROM ml.retraining_decisions WHERE reason = 'role test'", ct);
        await ScalarAsync(conn, null, "SELECT ml.refresh_training_data_summary()", ct);
        Assert.NotNull(await ScalarAsync(conn, null, "SELECT count(*) FROM pg_stat_subscription", ct));
    }

    [Fact]
    public async Task Ml_reads_no_key_or_memory_writes_no_platform_table_and_cannot_escalate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await OpenAsync(db.ReplicaMlConnectionString, ct);
        foreach (var sql in new[]
        {
            "SELECT count(*) FROM api_keys",
            "SELECT count(*) FROM ai_learning_memory",
            $"INSERT INTO teams (id, client_id, name) VALUES ({TenantA}9, {TenantA}, 'x')",
            "UPDATE issues SET summary = 'x'",
            "DELETE FROM clients",
            "DROP TABLE ml.model_versions",
            "CREATE TABLE ml.ml_was_here (id int)",
            "CREATE TEMP TABLE ml_was_here (id int)",
            "REFRESH MATERIALIZED VIEW ml.training_data_summary",
            "SET ROLE postgres",
            "SET ROLE sa_query",
            "COPY (SELECT 1) TO PROGRAM 'true'",
            "SELECT pg_read_file('postgresql.conf')",
        })
        {
            await AssertRefusedAsync(conn, null, sql, ct);
        }
    }
}
