using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Data.Tests;

/// <summary>
/// The feature views are repeatable scripts (Migrations/Replica/Views): a fresh replica gets the
/// numbered migrations and then every view script; a second run applies no numbered migration,
/// runs the view scripts again and leaves each view as it was (definition, security_invoker,
/// grants).
/// </summary>
public sealed class ViewScriptTests(DemoDataFixture db)
{
    private const string Views = """
        SELECT c.relname, pg_get_viewdef(c.oid), coalesce(array_to_string(c.reloptions, ','), ''),
               has_table_privilege('sa_query', c.oid, 'SELECT')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'ml' AND c.relkind = 'v'
        ORDER BY c.relname
        """;

    [Fact]
    public async Task View_scripts_run_after_the_migrations_on_every_start_and_leave_the_views_as_they_were()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var admin = await db.OpenPrimaryAsync(ct))
        {
            await using var cmd = new NpgsqlCommand("DROP DATABASE IF EXISTS view_scripts WITH (FORCE); CREATE DATABASE view_scripts", admin);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        var cs = new NpgsqlConnectionStringBuilder(db.PrimaryConnectionString) { Database = "view_scripts" }.ConnectionString;

        var first = SchemaMigrator.Migrate(cs, DatabaseRole.Replica, NullLogger.Instance);
        var viewScripts = first.Where(SchemaMigrator.IsViewScript).ToList();
        Assert.Equal(["anomaly_features", "complexity_features", "rework_features", "trajectory_features", "unified_features"],
            viewScripts.Select(s => s.Split('.')[^2]).ToList());
        // After every numbered migration.
        Assert.Equal(viewScripts, first.TakeLast(viewScripts.Count).ToList());
        var before = await ReadViewsAsync(cs, ct);

        var second = SchemaMigrator.Migrate(cs, DatabaseRole.Replica, NullLogger.Instance);
        Assert.Equal(viewScripts, second.ToList());
        var after = await ReadViewsAsync(cs, ct);
        Assert.Equal(before, after);

        foreach (var (name, _, options, granted) in after)
        {
            var tenantView = name != "anomaly_features";
            Assert.True(tenantView == options.Contains("security_invoker=true", StringComparison.Ordinal), $"{name}: options '{options}'");
            Assert.True(tenantView == granted, $"{name}: sa_query SELECT {granted}");
        }
    }

    private static async Task<List<(string Name, string Definition, string Options, bool Granted)>> ReadViewsAsync(string cs, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(Views, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var views = new List<(string, string, string, bool)>();
        while (await reader.ReadAsync(ct))
        {
            views.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3)));
        }
        return views;
    }
}
