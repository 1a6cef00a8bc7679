using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Data.DemoData;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Data.Tests;

/// <summary>
/// Same seed and reference date → the same checksum of every table; another seed → different
/// data. Loads go into fresh databases on the fixture's primary server.
/// </summary>
public sealed class DeterminismTests(DemoDataFixture db)
{
    private async Task<string> FreshDatabaseAsync(string name, bool migrate, CancellationToken ct)
    {
        await using (var admin = await db.OpenPrimaryAsync(ct))
        {
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE); CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        var cs = new NpgsqlConnectionStringBuilder(db.PrimaryConnectionString) { Database = name }.ConnectionString;
        if (migrate)
        {
            SchemaMigrator.Migrate(cs, DatabaseRole.Replica, NullLogger.Instance);
        }
        return cs;
    }

    [Fact]
    public async Task Same_seed_and_date_give_identical_tables_and_another_seed_does_not()
    {
        var ct = TestContext.Current.CancellationToken;
        var reference = await DemoDataGenerator.ChecksumsAsync(db.PrimaryConnectionString, ct);

        // Loaded the other way (a commit per COPY instead of one transaction): the same rows.
        var again = await FreshDatabaseAsync("demo_again", migrate: true, ct);
        var summary = await DemoDataGenerator.LoadAsync(again, DemoDataFixture.Options with { Atomic = false }, null, ct);
        Assert.Equal(db.Summary.Rows, summary.Rows);
        Assert.Equal(reference, await DemoDataGenerator.ChecksumsAsync(again, ct));

        // The replica received exactly what the primary holds.
        Assert.Equal(reference, await DemoDataGenerator.ChecksumsAsync(db.ReplicaConnectionString, ct));

        var other = await FreshDatabaseAsync("demo_other_seed", migrate: true, ct);
        await DemoDataGenerator.LoadAsync(other, DemoDataFixture.Options with { Seed = 43 }, null, ct);
        var otherSums = await DemoDataGenerator.ChecksumsAsync(other, ct);
        foreach (var table in new[] { "users", "issues", "pull_requests", "deployments", "incidents" })
        {
            Assert.NotEqual(reference[table], otherSums[table]);
        }
        // Names are fixed by the catalogue, not by the seed.
        Assert.Equal(reference["clients"], otherSums["clients"]);
        Assert.Equal(reference["projects"], otherSums["projects"]);
        TestContext.Current.SendDiagnosticMessage($"small load: {summary.TotalRows} rows in {summary.Elapsed.TotalSeconds:0.0} s ({summary.RowsPerSecond:0} rows/s)");
    }

    [Fact]
    public async Task Load_refuses_a_database_that_already_has_data()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.False(await DemoDataGenerator.IsEmptyAsync(db.PrimaryConnectionString, ct));
        var before = await DemoDataGenerator.ChecksumsAsync(db.PrimaryConnectionString, ct);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => DemoDataGenerator.LoadAsync(db.PrimaryConnectionString, DemoDataFixture.Options, null, ct));
        Assert.Contains("already hold data", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await DemoDataGenerator.ChecksumsAsync(db.PrimaryConnectionString, ct));
    }

    [Fact]
    public async Task Empty_database_is_reported_empty_and_unmigrated_one_gets_a_clear_error()
    {
        var ct = TestContext.Current.CancellationToken;
        var empty = await FreshDatabaseAsync("demo_empty", migrate: true, ct);
        Assert.True(await DemoDataGenerator.IsEmptyAsync(empty, ct));

        var bare = await FreshDatabaseAsync("demo_bare", migrate: false, ct);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => DemoDataGenerator.IsEmptyAsync(bare, ct));
        Assert.Contains("schema migrations", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(
            () => DemoDataGenerator.LoadAsync(bare, DemoDataFixture.Options, null, ct));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_load_cancelled_half_way_leaves_the_schema_empty(bool atomic)
    {
        var ct = TestContext.Current.CancellationToken;
        var cs = await FreshDatabaseAsync(atomic ? "demo_cancel_atomic" : "demo_cancel_pieces", migrate: true, ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Cancel once some issues are in (and, without Atomic, committed).
        var progress = new CancelOn(m => m.StartsWith("issues:", StringComparison.Ordinal) && m.Contains("MOB", StringComparison.Ordinal), cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => DemoDataGenerator.LoadAsync(cs, DemoDataFixture.Options with { Atomic = atomic }, progress, cts.Token));
        Assert.True(await DemoDataGenerator.IsEmptyAsync(cs, ct));
        if (!atomic)
        {
            // The pieces were committed and truncated again; nothing is left in the way of the next start.
            var summary = await DemoDataGenerator.LoadAsync(cs, DemoDataFixture.Options with { Atomic = false }, null, ct);
            Assert.Equal(db.Summary.Rows, summary.Rows);
        }
    }

    private sealed class CancelOn(Func<string, bool> when, CancellationTokenSource cts) : IProgress<string>
    {
        public void Report(string value)
        {
            if (when(value))
            {
                cts.Cancel();
            }
        }
    }

    [Fact]
    public void Sizes_parse_from_text_and_bad_ones_are_named()
    {
        Assert.Equal(DemoDataSize.Medium, DemoDataOptions.ParseSize("medium"));
        Assert.Equal(DemoDataSize.Large, DemoDataOptions.ParseSize("LARGE"));
        var ex = Assert.Throws<ArgumentException>(() => DemoDataOptions.ParseSize("huge"));
        Assert.Contains("small, medium, large", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => DemoDataOptions.ParseSize("7"));
    }
}
