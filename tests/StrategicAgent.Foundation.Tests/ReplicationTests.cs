using System.Diagnostics;
using Npgsql;
using StrategicAgent.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(PostgresReplicaFixture))]

namespace StrategicAgent.Foundation.Tests;

public sealed class ReplicationTests(PostgresReplicaFixture db)
{
    [Fact]
    public async Task Row_inserted_on_primary_is_readable_on_replica_within_two_seconds()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = 900_000 + Random.Shared.Next(1, 99_999);
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            await using var insert = new NpgsqlCommand("INSERT INTO clients (id, name) VALUES ($1, $2)", primary)
            {
                Parameters = { new() { Value = (long)id }, new() { Value = "replicated-" + id } },
            };
            await insert.ExecuteNonQueryAsync(ct);
        }

        var sw = Stopwatch.StartNew();
        await using var replica = await db.OpenReplicaAsync(ct);
        string? name = null;
        while (sw.Elapsed < TimeSpan.FromSeconds(2) && name is null)
        {
            await using var select = new NpgsqlCommand("SELECT name FROM clients WHERE id = $1", replica)
            {
                Parameters = { new() { Value = (long)id } },
            };
            name = (string?)await select.ExecuteScalarAsync(ct);
            if (name is null)
            {
                await Task.Delay(10, ct);
            }
        }
        Assert.Equal("replicated-" + id, name);
        TestContext.Current.SendDiagnosticMessage($"replicated in {sw.Elapsed.TotalMilliseconds:0.0} ms");
    }

    [Fact]
    public async Task Ml_schema_exists_and_accepts_writes_only_on_the_replica()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var replica = await db.OpenReplicaAsync(ct);
        await using var insert = new NpgsqlCommand(
            "INSERT INTO ml.ml_prediction_log (model_name, prediction_value, client_id) VALUES ('test', 1.5, 1) RETURNING id", replica);
        Assert.IsType<long>(await insert.ExecuteScalarAsync(ct));

        await using var primary = await db.OpenPrimaryAsync(ct);
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ml' OR table_name LIKE 'ml\\_%'", primary);
        Assert.Equal(0L, await count.ExecuteScalarAsync(ct));
    }
}
