using System.Text.Json;
using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StrategicAgent.Contracts;
using StrategicAgent.Ml;
using AnomalyModelStats = StrategicAgent.Ml.Features.AnomalyModelStats;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Prediction.V1;
using ProtoModelName = StrategicAgent.Protos.Ml.V1.ModelName;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// Anomaly detection over the prediction log with the anomaly model trained on the fixture's real
/// serving traffic: an injected anomalous stream raises alerts of the severity its scores call
/// for, the alert is published as AnomalyDetected, and listing and acknowledging are tenant-scoped.
/// </summary>
public sealed class AlertTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_anomalous_stream_raises_alerts_of_the_right_severity_and_acknowledging_is_tenant_scoped()
    {
        var host = f.Host;
        var anomaly = host.Models.Get(ModelNames.Anomaly);
        var cal = anomaly.Predictor.Calibration.Anomaly!;
        Assert.True(cal.HasOwnProfile(PredictionFixture.Acme), "the fixture's log gives Acme a profile of its own");
        var profile = cal.ProfileFor(PredictionFixture.Acme);
        var options = host.Services.GetRequiredService<IOptions<AnomalyOptions>>().Value;
        var stats = profile.Stats[ModelNames.Complexity];

        // Candidates that break normal serving in one respect at a time, in growing measure (as the
        // training service's anomaly evaluation does): latency, feature count, confidence, value.
        var now = DateTimeOffset.UtcNow;
        var run = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var candidates = new List<(PredictionLogEntry Entry, int Sigmas)>();
        foreach (var k in new[] { 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 30, 40 })
        {
            foreach (var kind in new[] { "latency", "features", "confidence", "value" })
            {
                candidates.Add((Deviating(stats, $"ANOM{run}-{candidates.Count + 1}", kind, k, now), k));
            }
        }
        var diagnostics = $"anomaly v{anomaly.Version}, Acme's profile: cut points {profile.Threshold:0.####}/{profile.High:0.####}/{profile.Critical:0.####}, " +
            $"units point {profile.Scales.Point:0.###} shift {profile.Scales.Shift:0.###} rate {profile.Scales.Rate:0.###}; complexity stats value {stats.Value}, count {stats.FeatureCount}, confidence {stats.Confidence}, log latency {stats.LogLatency}";
        TestContext.Current.SendDiagnosticMessage(diagnostics);

        var published = new List<AnomalyDetected>();
        var handle = host.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint($"alert-test-{run}", e =>
            e.Handler<AnomalyDetected>(ctx =>
            {
                lock (published)
                {
                    published.Add(ctx.Message);
                }
                return Task.CompletedTask;
            }));
        await handle.Ready;
        try
        {
            foreach (var (c, _) in candidates)
            {
                Assert.True(host.Log.TryEnqueue(c));
            }
            await host.FlushLogAsync(TimeSpan.FromSeconds(30));

            var alerts = (await host.ClientFor(PredictionFixture.Acme).ListAlertsAsync(new ListAlertsRequest { ModelName = ProtoModelName.Complexity, Limit = 500 }, cancellationToken: Ct))
                .Alerts.Where(a => Key(a).StartsWith($"ANOM{run}-", StringComparison.Ordinal)).ToList();
            TestContext.Current.SendDiagnosticMessage("alerts: " + string.Join(", ", candidates.Select(c =>
                alerts.SingleOrDefault(a => Key(a) == c.Entry.Key) is { } a ? $"{c.Entry.Key[^3..]}={a.Severity.ToWire()[0]}{a.Score:0.##}" : $"{c.Entry.Key[^3..]}=-")));
            // A one-sigma deviation is normal: the first candidates (one per kind) raise nothing of their own. Only a
            // burst may flag them: the rate component counts Acme's calls in the last minute, and the fixture's other
            // tests may just have made many (the candidates arrive at once, too). That alert is about the rate.
            foreach (var (c, _) in candidates.Take(4))
            {
                Assert.DoesNotContain(alerts, a => Key(a) == c.Key && Cause(a) != "request_burst");
            }
            // From twelve sigmas every candidate is an alert, and the largest deviations are critical. (Confidence
            // cannot fall below 0, so its candidates stop at a few sigmas and are not among them.)
            foreach (var (c, k) in candidates.Where(x => x.Sigmas >= 12 && x.Entry.Confidence == stats.Confidence.Mean))
            {
                Assert.Contains(alerts, a => Key(a) == c.Key);
            }
            Assert.Contains(alerts, a => a.Severity == Severity.Critical);
            Assert.All(alerts, a => Assert.Equal(ProtoModelName.Complexity, a.ModelName));
            foreach (var alert in alerts)
            {
                // The stored severity is the one its score and Acme's cut points (scaled by the options) call for.
                Assert.Equal(options.Classify(alert.Score, profile.Threshold, profile.High, profile.Critical), (AlertSeverity)(int)alert.Severity);
                Assert.NotEmpty(alert.RecommendedAction);
                Assert.False(alert.Acknowledged);
                using var data = JsonDocument.Parse(alert.AlertDataJson);
                Assert.Equal(9, data.RootElement.GetProperty("monitoring_features").EnumerateObject().Count());
                Assert.Equal(3, data.RootElement.GetProperty("components").EnumerateObject().Count());
                Assert.Equal("own", data.RootElement.GetProperty("tenant_profile").GetString());
                Assert.False(string.IsNullOrEmpty(data.RootElement.GetProperty("likely_cause").GetString()));
                Assert.Equal(anomaly.Version, data.RootElement.GetProperty("anomaly_model_version").GetInt32());
            }
            var critical = alerts.First(a => a.Severity == Severity.Critical);

            // Only the critical ones when asked for them.
            var onlyCritical = await host.ClientFor(PredictionFixture.Acme).ListAlertsAsync(new ListAlertsRequest { Severity = Severity.Critical, Limit = 500 }, cancellationToken: Ct);
            Assert.All(onlyCritical.Alerts, a => Assert.Equal(Severity.Critical, a.Severity));
            Assert.Contains(onlyCritical.Alerts, a => a.Id == critical.Id);

            // Published as an event.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!published.Any(p => p.AlertId == critical.Id) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }
            Assert.Contains(published, p => p.AlertId == critical.Id && p.Severity == "critical" && p.ClientId == PredictionFixture.Acme);

            // Another tenant can neither see nor acknowledge it.
            var globex = await host.ClientFor(PredictionFixture.Globex).ListAlertsAsync(new ListAlertsRequest { Limit = 500 }, cancellationToken: Ct);
            Assert.DoesNotContain(globex.Alerts, a => a.Id == critical.Id);
            var foreign = await Assert.ThrowsAsync<RpcException>(() => host.ClientFor(PredictionFixture.Globex).AcknowledgeAlertAsync(
                new AcknowledgeAlertRequest { Id = critical.Id, AcknowledgedBy = "mallory" }, cancellationToken: Ct).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, foreign.StatusCode);

            // The owner acknowledges it.
            var acked = await host.ClientFor(PredictionFixture.Acme).AcknowledgeAlertAsync(new AcknowledgeAlertRequest { Id = critical.Id, AcknowledgedBy = "alice" }, cancellationToken: Ct);
            Assert.True(acked.Acknowledged);
            Assert.Equal("alice", acked.AcknowledgedBy);
            Assert.NotNull(acked.AcknowledgedAt);
            var open = await host.ClientFor(PredictionFixture.Acme).ListAlertsAsync(new ListAlertsRequest { Acknowledged = false, Limit = 500 }, cancellationToken: Ct);
            Assert.DoesNotContain(open.Alerts, a => a.Id == critical.Id);
            var done = await host.ClientFor(PredictionFixture.Acme).ListAlertsAsync(new ListAlertsRequest { Acknowledged = true, Limit = 500 }, cancellationToken: Ct);
            Assert.Contains(done.Alerts, a => a.Id == critical.Id);
        }
        finally
        {
            await handle.StopAsync(Ct);
        }
    }

    [Fact]
    public async Task Bad_alert_requests_fail_with_InvalidArgument()
    {
        // An enum value this contract does not define (a newer or broken client).
        var severity = await Assert.ThrowsAsync<RpcException>(() => f.Host.ClientFor(1).ListAlertsAsync(new ListAlertsRequest { Severity = (Severity)9 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, severity.StatusCode);
        Assert.Contains("low, medium, high, critical", severity.Status.Detail);
        var model = await Assert.ThrowsAsync<RpcException>(() => f.Host.ClientFor(1).ListAlertsAsync(new ListAlertsRequest { ModelName = (ProtoModelName)42 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, model.StatusCode);
        Assert.Contains("trajectory, complexity, rework, unified, anomaly", model.Status.Detail);
        var by = await Assert.ThrowsAsync<RpcException>(() => f.Host.ClientFor(1).AcknowledgeAlertAsync(new AcknowledgeAlertRequest { Id = 1 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, by.StatusCode);
        Assert.Contains("acknowledged_by", by.Status.Detail);
    }

    internal static string Key(Alert a) => DataText(a, "prediction_key");

    /// <summary>
    /// An Acme complexity prediction that breaks normal serving (Acme's <paramref name="stats"/>) in one respect —
    /// latency, features, confidence or value — by <paramref name="sigmas"/> standard deviations, typical in the others.
    /// </summary>
    internal static PredictionLogEntry Deviating(AnomalyModelStats stats, string key, string kind, int sigmas, DateTimeOffset at)
    {
        var typicalLatency = Math.Exp(stats.LogLatency.Mean);
        return new PredictionLogEntry
        {
            ClientId = PredictionFixture.Acme,
            ModelName = ModelNames.Complexity,
            ModelVersion = 1,
            Key = key,
            Value = kind == "value"
                ? (stats.LogValue ? Math.Exp(stats.Value.Mean + sigmas * Math.Max(stats.Value.Std, 0.1)) - 1 : stats.Value.Mean + sigmas * Math.Max(stats.Value.Std, 0.5))
                : stats.LogValue ? Math.Exp(stats.Value.Mean) - 1 : stats.Value.Mean,
            Confidence = kind == "confidence" ? Math.Max(0.001, stats.Confidence.Mean - sigmas * Math.Max(stats.Confidence.Std, 0.02)) : stats.Confidence.Mean,
            FeatureCount = kind == "features" ? (int)Math.Max(0, Math.Round(stats.FeatureCount.Mean) - sigmas) : (int)Math.Round(stats.FeatureCount.Mean),
            FeaturesJson = "{}",
            ResponseTimeMs = kind == "latency" ? typicalLatency * Math.Exp(sigmas * Math.Max(stats.LogLatency.Std, 0.25)) : typicalLatency,
            CreatedAt = at,
        };
    }

    /// <summary>The alert's likely cause (what decided its score: request_burst for the rate component).</summary>
    private static string Cause(Alert a) => DataText(a, "likely_cause");

    /// <summary>A text property of the alert's data ("" when it has none).</summary>
    private static string DataText(Alert a, string property)
    {
        using var d = JsonDocument.Parse(a.AlertDataJson);
        return d.RootElement.TryGetProperty(property, out var v) ? v.GetString() ?? "" : "";
    }
}

/// <summary>
/// The false-positive side of anomaly detection: the fixture's own keys served as usual raise
/// no alert. Runs alone (with the hot-swap tests, after the parallel ones): under other
/// tests' load, latency is not "normal serving", and only alerts raised by this call are counted.
/// </summary>
[Collection(nameof(HotSwapTests))]
public sealed class NormalServingTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Normal_serving_raises_no_alerts()
    {
        var keys = await f.KeysAsync(PredictionFixture.StoryKeysSql, PredictionFixture.Globex, 50, Ct);
        var request = new ListAlertsRequest { ModelName = ProtoModelName.Complexity, Limit = 500 };
        var earlier = (await f.Host.ClientFor(PredictionFixture.Globex).ListAlertsAsync(request, cancellationToken: Ct)).Alerts.Select(a => a.Id).DefaultIfEmpty(0).Max();
        var before = f.Host.Log.Alerts;
        await f.Host.ClientFor(PredictionFixture.Globex).EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { keys } }, cancellationToken: Ct);
        await f.Host.FlushLogAsync(TimeSpan.FromSeconds(30));
        var alerts = await f.Host.ClientFor(PredictionFixture.Globex).ListAlertsAsync(request, cancellationToken: Ct);
        var mine = alerts.Alerts.Where(a => a.Id > earlier && keys.Contains(AlertTests.Key(a))).ToList();
        var detail = string.Join("; ", mine.Select(a => $"{a.Severity} {a.RecommendedAction} {a.AlertDataJson}"));
        // Calibrated cut points (Acme's and Globex's own, with a margin above their normal scores): nothing at all.
        Assert.True(mine.Count == 0, $"{mine.Count} of 50 normal predictions raised alerts: {detail}");
        TestContext.Current.SendDiagnosticMessage($"{mine.Count} alerts for 50 normal predictions; {f.Host.Log.Alerts - before} alerts raised meanwhile in total");
    }
}

/// <summary>
/// Tenant isolation of anomaly scoring in the service: the log writer's scorer keeps each tenant's state (moving
/// means, last minute's rate, previous values) apart, so one tenant's flood leaves another's scores and alerts as
/// they were.
/// </summary>
public sealed class AnomalyIsolationServingTests(PredictionFixture f)
{
    [Fact]
    public void One_tenants_flood_leaves_another_tenants_scores_and_alerts_unchanged()
    {
        var options = f.Host.Services.GetRequiredService<IOptions<AnomalyOptions>>();
        var models = f.Host.Models;
        var cal = models.Get(ModelNames.Anomaly).Predictor.Calibration.Anomaly!;
        var start = DateTimeOffset.UtcNow.AddHours(1);

        // Globex's ordinary minute of complexity predictions, with two broken ones in it.
        var g = cal.ProfileFor(PredictionFixture.Globex).Stats[ModelNames.Complexity];
        var globex = Enumerable.Range(0, 60).Select(i =>
        {
            var sigmas = i is 20 or 40 ? 30 : 0; // two far out of range
            var value = g.LogValue ? Math.Exp(g.Value.Mean + sigmas * Math.Max(g.Value.Std, 0.1)) - 1 : g.Value.Mean + sigmas * Math.Max(g.Value.Std, 0.5);
            return Entry(PredictionFixture.Globex, $"GLX-{i}", start.AddSeconds(i), value, g.Confidence.Mean, (int)Math.Round(g.FeatureCount.Mean),
                Math.Exp(g.LogLatency.Mean));
        }).ToList();
        // Acme floods meanwhile: 5,000 predictions within the same minute.
        var a = cal.ProfileFor(PredictionFixture.Acme).Stats[ModelNames.Complexity];
        var acme = Enumerable.Range(0, 5000).Select(i => Entry(PredictionFixture.Acme, $"ACM-{i % 300}", start.AddMilliseconds(i * 12),
            a.LogValue ? Math.Exp(a.Value.Mean) - 1 : a.Value.Mean, a.Confidence.Mean, (int)Math.Round(a.FeatureCount.Mean), Math.Exp(a.LogLatency.Mean))).ToList();

        var alone = new AnomalyScorer(models, options);
        var scoredAlone = Copy(globex);
        var alertsAlone = alone.Score(scoredAlone);

        var flooded = new AnomalyScorer(models, options);
        var mixed = Copy(globex).Concat(Copy(acme)).OrderBy(e => e.CreatedAt).ToList();
        var alertsMixed = flooded.Score(mixed);
        var globexMixed = mixed.Where(e => e.ClientId == PredictionFixture.Globex).ToList();

        Assert.Equal(scoredAlone.Select(e => e.AnomalyScore), globexMixed.Select(e => e.AnomalyScore));
        Assert.Equal(alertsAlone.Count, alertsMixed.Count(x => x.ClientId == PredictionFixture.Globex));
        Assert.Equal(2, alertsAlone.Count); // the two broken ones, nothing else: the test can fail
        TestContext.Current.SendDiagnosticMessage($"Globex: {alertsAlone.Count} alerts alone and with Acme's flood; Acme: {alertsMixed.Count(x => x.ClientId == PredictionFixture.Acme)} alerts in its flood; scores {string.Join(", ", scoredAlone.Take(5).Select(e => e.AnomalyScore ?? 0).Select(s => s.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))} …");
    }

    private static PredictionLogEntry Entry(long clientId, string key, DateTimeOffset at, double value, double confidence, int features, double ms) => new()
    {
        ClientId = clientId, ModelName = ModelNames.Complexity, ModelVersion = 1, Key = key, Value = value, Confidence = confidence,
        FeatureCount = features, FeaturesJson = "{}", ResponseTimeMs = ms, CreatedAt = at,
    };

    private static List<PredictionLogEntry> Copy(IEnumerable<PredictionLogEntry> entries) => entries.Select(e => new PredictionLogEntry
    {
        ClientId = e.ClientId, ModelName = e.ModelName, ModelVersion = e.ModelVersion, Key = e.Key, Value = e.Value, Confidence = e.Confidence,
        FeatureCount = e.FeatureCount, FeaturesJson = e.FeaturesJson, ResponseTimeMs = e.ResponseTimeMs, CreatedAt = e.CreatedAt,
    }).ToList();
}
