using System.Text.Json;
using Npgsql;
using StrategicAgent.Data;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The unified feature view as the service reads it (sa_reader → sa_query, row-level security on one tenant):
/// the plan never re-runs a window for each row of an outer input. Migration 0114's view did (a nested loop over
/// the rework history window): one medium tenant took almost 5 minutes. Guards migration 0500's shape against a
/// later redefinition of the view.
/// </summary>
public sealed class UnifiedViewPlanTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("SELECT * FROM ml.unified_features WHERE client_id = 1")]
    [InlineData("SELECT * FROM ml.unified_features WHERE client_id = 1 AND entity_id = ANY('{1,2,3,4,5,6,7,8,9,10}'::bigint[])")]
    public async Task A_tenants_unified_read_runs_each_window_once(string sql)
    {
        await using var conn = await f.OpenReplicaAsReaderAsync(Ct);
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, PredictionFixture.Acme, TimeSpan.FromSeconds(30), Ct);
        await using var cmd = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + sql, conn, tx);
        var plan = JsonDocument.Parse((string)(await cmd.ExecuteScalarAsync(Ct))!).RootElement[0].GetProperty("Plan");

        var rescanned = new List<string>();
        Walk(plan, insideInnerOfLoop: false, rescanned);
        Assert.True(rescanned.Count == 0, "windows re-run per outer row: " + string.Join(", ", rescanned) + "\n" + plan);
    }

    /// <summary>Collects WindowAgg nodes on the inner (second) side of a Nested Loop: they run once per outer row.</summary>
    private static void Walk(JsonElement node, bool insideInnerOfLoop, List<string> rescanned)
    {
        var type = node.GetProperty("Node Type").GetString();
        if (type == "WindowAgg" && insideInnerOfLoop)
        {
            rescanned.Add($"WindowAgg (est. {node.GetProperty("Plan Rows").GetDouble():0} rows)");
        }
        if (!node.TryGetProperty("Plans", out var children))
        {
            return;
        }
        var i = 0;
        foreach (var child in children.EnumerateArray())
        {
            var inner = type == "Nested Loop" && i == 1;
            Walk(child, insideInnerOfLoop || inner, rescanned);
            i++;
        }
    }
}
