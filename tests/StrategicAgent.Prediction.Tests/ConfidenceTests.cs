using System.Text;
using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Protos.Prediction.V1;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The confidence the service states is real: on held-out data (the newest rows, which the
/// deployed version neither trained nor calibrated on) its 80% intervals contain the truth about
/// 80% of the time, and its rework probabilities are calibrated. Everything goes through gRPC.
/// </summary>
public sealed class ConfidenceTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<List<(long Client, string Key, double Label)>> HeldOutAsync(string view, string keyColumn, string model, int perTenant)
    {
        var testFrom = f.Deployed[model].TrainingStats!.TestFrom;
        await using var conn = await f.OpenReplicaAsync(Ct);
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT client_id, {keyColumn}, label FROM (
                SELECT client_id, {keyColumn}, label, row_number() OVER (PARTITION BY client_id ORDER BY label_known_at, entity_id) AS n
                FROM {view} WHERE label IS NOT NULL AND label_known_at > $1
            ) t WHERE n <= $2 ORDER BY client_id, n
            """, conn)
        {
            Parameters = { new() { Value = DateTime.SpecifyKind(testFrom, DateTimeKind.Utc) }, new() { Value = perTenant } },
        };
        var list = new List<(long, string, double)>();
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct))
        {
            list.Add((r.GetInt64(0), r.GetString(1), r.GetFloat(2)));
        }
        return list;
    }

    [Fact]
    public async Task Complexity_80_percent_intervals_cover_75_to_85_percent_of_held_out_issues()
    {
        var held = await HeldOutAsync("ml.complexity_features", "issue_key", ModelNames.Complexity, 1000);
        Assert.True(held.Count >= 300, $"only {held.Count} held-out issues");
        var inside = 0;
        foreach (var tenant in held.GroupBy(h => h.Client))
        {
            foreach (var chunk in tenant.Chunk(100))
            {
                var response = await f.Host.ClientFor(tenant.Key).EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { chunk.Select(c => c.Key) } }, cancellationToken: Ct);
                for (var i = 0; i < chunk.Length; i++)
                {
                    var p = response.Predictions[i];
                    Assert.True(p.Found, p.Message);
                    Assert.Equal(0.8, p.IntervalLevel, 3);
                    inside += chunk[i].Label >= p.Low - 1e-9 && chunk[i].Label <= p.High + 1e-9 ? 1 : 0;
                }
            }
        }
        var coverage = inside / (double)held.Count;
        TestContext.Current.SendDiagnosticMessage($"complexity: {inside}/{held.Count} held-out labels inside the stated 80% interval = {coverage:P1}");
        Assert.InRange(coverage, 0.75, 0.85);
    }

    [Fact]
    public async Task Trajectory_80_percent_intervals_cover_75_to_85_percent_of_held_out_epics()
    {
        var held = await HeldOutAsync("ml.trajectory_features", "issue_key", ModelNames.Trajectory, 1000);
        Assert.True(held.Count >= 100, $"only {held.Count} held-out epics");
        var inside = 0;
        foreach (var tenant in held.GroupBy(h => h.Client))
        {
            foreach (var chunk in tenant.Chunk(25))
            {
                var response = await f.Host.ClientFor(tenant.Key).PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { chunk.Select(c => c.Key) } }, cancellationToken: Ct);
                for (var i = 0; i < chunk.Length; i++)
                {
                    var p = response.Predictions[i];
                    Assert.True(p.Found, p.Message);
                    // The API rounds days to 0.01; allow that much.
                    inside += chunk[i].Label >= p.LeadTimeLowDays - 0.006 && chunk[i].Label <= p.LeadTimeHighDays + 0.006 ? 1 : 0;
                }
            }
        }
        var coverage = inside / (double)held.Count;
        TestContext.Current.SendDiagnosticMessage($"trajectory: {inside}/{held.Count} held-out lead times inside the stated 80% interval = {coverage:P1}");
        Assert.InRange(coverage, 0.75, 0.85);
    }

    [Fact]
    public async Task Rework_probabilities_are_calibrated_on_held_out_pull_requests()
    {
        var testFrom = f.Deployed[ModelNames.Rework].TrainingStats!.TestFrom;
        var held = new List<(long Client, string Key, bool Label)>();
        await using (var conn = await f.OpenReplicaAsync(Ct))
        {
            await using var cmd = new NpgsqlCommand(
                """
                SELECT v.client_id, r.name || '#' || p.number, v.label
                FROM ml.rework_features v JOIN pull_requests p ON p.id = v.entity_id JOIN repositories r ON r.id = p.repository_id
                WHERE v.label IS NOT NULL AND v.label_known_at > $1
                ORDER BY v.client_id, v.label_known_at, v.entity_id
                """, conn) { Parameters = { new() { Value = DateTime.SpecifyKind(testFrom, DateTimeKind.Utc) } } };
            await using var r = await cmd.ExecuteReaderAsync(Ct);
            while (await r.ReadAsync(Ct))
            {
                held.Add((r.GetInt64(0), r.GetString(1), r.GetFloat(2) > 0.5));
            }
        }
        Assert.True(held.Count >= 200, $"only {held.Count} held-out PRs");
        var pairs = new List<(double P, bool Y)>();
        foreach (var tenant in held.GroupBy(h => h.Client))
        {
            foreach (var chunk in tenant.Chunk(50))
            {
                var response = await f.Host.ClientFor(tenant.Key).AssessReworkRiskAsync(new ReworkRequest { PullRequests = { chunk.Select(c => c.Key) } }, cancellationToken: Ct);
                for (var i = 0; i < chunk.Length; i++)
                {
                    Assert.True(response.Predictions[i].Found, response.Predictions[i].Message);
                    pairs.Add((response.Predictions[i].Probability, chunk[i].Label));
                }
            }
        }
        var brier = pairs.Average(x => Math.Pow(x.P - (x.Y ? 1 : 0), 2));
        var baseRate = pairs.Average(x => x.Y ? 1.0 : 0.0);
        var climatology = baseRate * (1 - baseRate);
        var table = new StringBuilder();
        table.AppendLine($"rework on {pairs.Count} held-out PRs: Brier {brier:0.0000} (always-the-base-rate {climatology:0.0000}), base rate {baseRate:P1}");
        table.AppendLine("  bin          n   mean predicted   observed");
        var ece = 0.0;
        for (var b = 0; b < 10; b++)
        {
            var lo = b / 10.0;
            var hi = (b + 1) / 10.0;
            var bin = pairs.Where(x => x.P >= lo && (x.P < hi || (b == 9 && x.P <= 1))).ToList();
            if (bin.Count == 0)
            {
                continue;
            }
            var predicted = bin.Average(x => x.P);
            var observed = bin.Average(x => x.Y ? 1.0 : 0.0);
            ece += bin.Count / (double)pairs.Count * Math.Abs(predicted - observed);
            table.AppendLine($"  [{lo:0.0}, {hi:0.0})  {bin.Count,4}   {predicted,14:0.000}   {observed,8:0.000}");
        }
        table.AppendLine($"  expected calibration error {ece:0.000}");
        TestContext.Current.SendDiagnosticMessage(table.ToString());
        Assert.True(brier < climatology, $"Brier {brier:0.0000} is no better than always predicting the base rate ({climatology:0.0000})");
        Assert.True(ece < 0.1, $"expected calibration error {ece:0.000} ≥ 0.1");
    }
}
