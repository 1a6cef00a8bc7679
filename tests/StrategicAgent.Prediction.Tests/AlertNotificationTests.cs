using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos.Prediction.V1;
using Xunit;
using ProtoModelName = StrategicAgent.Protos.Ml.V1.ModelName;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// An alert's AnomalyDetected event must not hold up the prediction log. MassTransit's <c>Publish</c> waits for a
/// broker that is down until it is back (MassTransit issues 1760, 5068), and the log writer used to await it between
/// two batches: a broker outage stopped the log, and served predictions stayed unlogged for as long as it lasted.
/// Here the service's publisher is one whose publish waits until the test lets it go, as MassTransit's does until the
/// broker is back; everything else is real (the service's Program, the replica, the anomaly model the fixture trained).
/// </summary>
public sealed class AlertNotificationTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_publish_that_waits_for_the_broker_holds_up_neither_the_log_nor_the_stored_alert()
    {
        var publisher = new WaitingPublisher();
        await using var host = await PredictionHost.StartAsync(f, ct: Ct, services: s => s.AddSingleton<IAlertPublisher>(publisher));
        await host.WaitForModelsAsync([ModelNames.Anomaly], TimeSpan.FromSeconds(60));
        var stats = host.Models.Get(ModelNames.Anomaly).Predictor.Calibration.Anomaly!.ProfileFor(PredictionFixture.Acme).Stats[ModelNames.Complexity];
        var run = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

        // A value forty sigmas off is an alert (AlertTests: from twelve sigmas every candidate is one); its publish waits.
        Assert.True(host.Log.TryEnqueue(AlertTests.Deviating(stats, $"HOLD{run}-0", "value", 40, DateTimeOffset.UtcNow)));
        var waiting = await publisher.Started.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        // Predictions served while that publish waits are written all the same.
        for (var i = 1; i <= 50; i++)
        {
            Assert.True(host.Log.TryEnqueue(AlertTests.Deviating(stats, $"HOLD{run}-{i}", "value", 0, DateTimeOffset.UtcNow)));
        }
        await host.FlushLogAsync(TimeSpan.FromSeconds(60));
        await using (var conn = await f.OpenReplicaAsync(Ct))
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM ml.ml_prediction_log WHERE prediction_key LIKE $1", conn)
            {
                Parameters = { new() { Value = $"HOLD{run}-%" } },
            };
            Assert.Equal(51L, (long)(await cmd.ExecuteScalarAsync(Ct))!);
        }
        Assert.Equal(1, publisher.Calls); // still the first, still waiting

        // The alert itself is stored and listed before its event went out.
        var alerts = await host.ClientFor(PredictionFixture.Acme).ListAlertsAsync(
            new ListAlertsRequest { ModelName = ProtoModelName.Complexity, Limit = 500 }, cancellationToken: Ct);
        var stored = Assert.Single(alerts.Alerts, a => AlertTests.Key(a) == $"HOLD{run}-0");
        Assert.Equal(stored.Id, waiting);

        // The broker is back: the event goes out.
        publisher.Release();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!publisher.Published.Contains(stored.Id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }
        Assert.Contains(stored.Id, publisher.Published);
    }

    /// <summary>Publishes once <see cref="Release"/> was called, as MassTransit does once the broker is back; records what it published.</summary>
    private sealed class WaitingPublisher : IAlertPublisher
    {
        private readonly TaskCompletionSource _broker = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        /// <summary>The id of the first alert whose publish started.</summary>
        public TaskCompletionSource<long> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public System.Collections.Concurrent.ConcurrentBag<long> Published { get; } = [];

        public void Release() => _broker.TrySetResult();

        public async Task PublishAsync(long alertId, AnomalyAlert alert, CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            Started.TrySetResult(alertId);
            await _broker.Task.WaitAsync(ct);
            Published.Add(alertId);
        }
    }
}
