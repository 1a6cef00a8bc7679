using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Models.Anomaly;
using StrategicAgent.Ml.Training;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The anomaly model per tenant: after one tenant's heavy traffic the model is retrained on a log made mostly of
/// that tenant's calls, and another tenant's profile, scores and alerts are exactly what they were.
/// </summary>
public sealed class AnomalyIsolationTests
{
    private static readonly DateTime End = DemoDataFixture.AsOf;

    [Fact]
    public void One_tenants_flood_changes_neither_another_tenants_profile_nor_its_alerts()
    {
        var normal = PredictionLogSimulator.GenerateTenants([(1, 3000), (2, 3000)], End, seed: 11);
        // Tenant 1 floods: 20,000 more predictions over the last three days, slower and with other values.
        var flood = PredictionLogSimulator.Generate(20_000, End, seed: 12, clientId: 1, span: TimeSpan.FromDays(3), scale: 2.5);
        var flooded = normal.Concat(flood).OrderBy(e => e.CreatedAt).Select((e, i) => e with { Id = i + 1 }).ToList();
        Assert.True(flooded.Count(e => e.ClientId == 1) > 7 * flooded.Count(e => e.ClientId == 2));

        var h = new Hyperparameters { MinRows = 100 };
        var before = AnomalyModel.Instance.Train(normal, h).Calibration.Anomaly!;
        var after = AnomalyModel.Instance.Train(flooded, h).Calibration.Anomaly!;

        // Tenant 2's profile is its own: identical. Tenant 1's moved with its own traffic.
        Assert.Equal(MlJson.Serialize(before.Tenants!["2"]), MlJson.Serialize(after.Tenants!["2"]));
        Assert.NotEqual(MlJson.Serialize(before.Tenants!["1"]), MlJson.Serialize(after.Tenants!["1"]));

        // Tenant 2's next day, with a few real anomalies in it, scored by either version (each on a stream that has
        // also seen tenant 1's flood of that day): the same scores and the same alerts.
        var nextDay = PredictionLogSimulator.Generate(600, End.AddDays(1), seed: 13, clientId: 2, span: TimeSpan.FromDays(1), scale: 0.7 + 0.15 * 2);
        nextDay = nextDay.Select((e, i) => i % 100 == 50 ? e with { ResponseTimeMs = e.ResponseTimeMs * 200 } : e).ToList();
        var tenant1Day = PredictionLogSimulator.Generate(5000, End.AddDays(1), seed: 14, clientId: 1, span: TimeSpan.FromDays(1), scale: 2.5);
        var day = nextDay.Concat(tenant1Day).OrderBy(e => e.CreatedAt).ToList();

        var (scoresBefore, alertsBefore) = ScoreTenant(before, day, clientId: 2);
        var (scoresAfter, alertsAfter) = ScoreTenant(after, day, clientId: 2);
        Assert.Equal(scoresBefore, scoresAfter);
        Assert.Equal(alertsBefore, alertsAfter);
        Assert.InRange(alertsBefore, 6, 12); // the six injected latencies (and little else): the test can fail
        TestContext.Current.SendDiagnosticMessage($"tenant 2: {alertsBefore} alerts of {nextDay.Count} before and after tenant 1's flood; " +
            $"cut points {before.Tenants["2"].Threshold:0.###}/{before.Tenants["2"].High:0.###}/{before.Tenants["2"].Critical:0.###}");
    }

    private static (List<double> Scores, int Alerts) ScoreTenant(AnomalyCalibration cal, IReadOnlyList<PredictionLogEntry> day, long clientId)
    {
        var stream = new AnomalyStream();
        var scores = new List<double>();
        var alerts = 0;
        foreach (var e in day)
        {
            var profile = cal.ProfileFor(e.ClientId);
            var o = stream.Observe(e, profile);
            if (e.ClientId == clientId)
            {
                scores.Add(o.Score);
                alerts += profile.Severity(o.Score) is null ? 0 : 1;
            }
        }
        return (scores, alerts);
    }
}
