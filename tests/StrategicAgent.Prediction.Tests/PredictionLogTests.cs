using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Prediction.V1;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The prediction log: spooled on the request path, written in batches from the spool, nothing
/// lost while the database is away (the writer's connection goes through a proxy that the test
/// switches off and on), drops only when the spool is full — and then counted and exposed as a
/// metric — the spool written on shutdown, and what an instance could not write before it stopped
/// written by the next one, exactly once.
/// </summary>
public sealed class PredictionLogTests(PredictionFixture f)
{
    private const long Tenant = 3;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PredictionLogEntry Entry(string model, int i) => new()
    {
        ClientId = Tenant,
        ModelName = model,
        ModelVersion = 1,
        Key = "LOG-" + i,
        Value = 3 + i % 5,
        Confidence = 0.7,
        Features = new Dictionary<string, object> { ["i"] = i },
        ResponseTimeMs = 1.5,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private async Task<long> CountAsync(string model)
    {
        await using var conn = await f.OpenReplicaAsync(Ct);
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM ml.ml_prediction_log WHERE model_name = $1", conn) { Parameters = { new() { Value = model } } };
        return (long)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    private static string Unique(string what) => $"logtest-{what}-{Guid.NewGuid():N}"[..30];


    [Fact]
    public async Task Served_forecasts_are_logged_like_predictions_and_left_unscored_by_an_anomaly_version_that_never_saw_one()
    {
        var keys = await f.KeysAsync(ForecastTests.OpenEpicsWithChildrenSql, PredictionFixture.Acme, 3, Ct);
        Assert.Equal(3, keys.Count);
        await using var host = await PredictionHost.StartAsync(f, ct: Ct);
        await host.WaitForModelsAsync([.. PredictionFixture.Predictive, ModelNames.Anomaly], TimeSpan.FromSeconds(60));
        var since = DateTime.UtcNow.AddSeconds(-1);
        var response = await host.ClientFor(PredictionFixture.Acme).ForecastEpicsAsync(
            new ForecastRequest { EpicKeys = { keys }, Seed = 11, Draws = 2_000 }, cancellationToken: Ct);
        await host.FlushLogAsync(TimeSpan.FromSeconds(30));
        // One entry per epic, in one spool record (one batch), as for the models' predictions.
        Assert.Equal(3, host.Log.Written);
        Assert.Equal(1, host.Log.Batches);

        await using var conn = await f.OpenReplicaAsync(Ct);
        await using var cmd = new NpgsqlCommand(
            """
            SELECT prediction_key, model_version, prediction_value, input_feature_count, prediction_confidence, response_time_ms,
                   input_features->>'method', (input_features->>'remaining_points')::float8, (input_features->>'p95_days')::float8,
                   anomaly_score, is_anomaly
            FROM ml.ml_prediction_log WHERE client_id = $1 AND model_name = 'forecast' AND prediction_key = ANY($2)
              AND created_at BETWEEN $3 - interval '1 millisecond' AND $3 + interval '1 millisecond'
            """, conn);
        // This response's rows only: other test classes forecast the same epics of the same tenant at the same time, and
        // a Monte Carlo's median in whole weeks can coincide across runs while its tails do not. A forecast is logged
        // with its response's as-of instant, which tells this request's rows from theirs (the database keeps µs).
        var asOf = response.AsOf.ToDateTime();
        cmd.Parameters.Add(new() { Value = PredictionFixture.Acme });
        cmd.Parameters.Add(new() { Value = keys.ToArray() });
        cmd.Parameters.Add(new() { Value = asOf });
        var rows = 0;
        await using (var r = await cmd.ExecuteReaderAsync(Ct))
        {
            while (await r.ReadAsync(Ct))
            {
                rows++;
                var p = response.Forecasts.Single(x => x.Key == r.GetString(0));
                // The trajectory version the forecast used (0 for the Monte Carlo alone).
                Assert.Equal(p.Method == ForecastMethod.MonteCarlo ? 0 : response.TrajectoryModel.Version, r.GetInt32(1));
                // The value is the days from now to the P50 date; its features say what the forecast rested on.
                Assert.Equal((p.P50.ToDateTime() - asOf).TotalDays, r.GetDouble(2), 0.001);
                Assert.InRange(r.GetInt32(3), 7, 9);
                Assert.InRange(r.GetDouble(4), 0, 1);
                Assert.True(r.GetDouble(5) > 0);
                Assert.Equal(p.Method.ToWire(), r.GetString(6));
                Assert.Equal(p.RemainingPoints, r.GetDouble(7), 0.051); // the response rounds to 0.1
                Assert.Equal((p.P95.ToDateTime() - asOf).TotalDays, r.GetDouble(8), 0.001);
                // The fixture's anomaly version was trained on a log without forecasts: it leaves them unscored (against
                // neutral statistics every forecast would be an alert) until a retraining learns them.
                Assert.True(r.IsDBNull(9));
                Assert.False(r.GetBoolean(10));
            }
        }
        Assert.Equal(3, rows);
        await using var alerts = new NpgsqlCommand("SELECT count(*) FROM ml.ml_anomaly_alerts WHERE model_name = 'forecast' AND created_at >= $1", conn)
        {
            Parameters = { new() { Value = since } },
        };
        Assert.Equal(0L, (long)(await alerts.ExecuteScalarAsync(Ct))!);
    }

    [Fact]
    public async Task Served_predictions_are_logged_in_batches_with_their_features()
    {
        var keys = await f.KeysAsync(PredictionFixture.StoryKeysSql, Tenant, 40, Ct);
        await using var host = await PredictionHost.StartAsync(f,
            new Dictionary<string, string?> { ["PredictionLog:BatchSize"] = "25", ["PredictionLog:FlushInterval"] = "00:00:00.500" }, ct: Ct);
        await host.WaitForModelsAsync(PredictionFixture.Predictive, TimeSpan.FromSeconds(60));
        var since = DateTime.UtcNow.AddSeconds(-1);
        var response = await host.ClientFor(Tenant).EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { keys } }, cancellationToken: Ct);
        await host.FlushLogAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(40, host.Log.Written);
        // A request's entries are one spool record (one write before the response), and a batch
        // holds whole records: the 40 entries go in one batch although BatchSize is 25.
        Assert.Equal(1, host.Log.Batches);

        await using var conn = await f.OpenReplicaAsync(Ct);
        await using var cmd = new NpgsqlCommand(
            """
            SELECT prediction_key, model_version, prediction_value, input_feature_count, prediction_confidence, response_time_ms, input_features ? 'project_prior_mean_points'
            FROM ml.ml_prediction_log WHERE client_id = $1 AND model_name = 'complexity' AND prediction_key = ANY($2) AND created_at >= $3
            """, conn) { Parameters = { new() { Value = Tenant }, new() { Value = keys.ToArray() }, new() { Value = since } } };
        var rows = 0;
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct))
        {
            rows++;
            var p = response.Predictions.Single(x => x.Key == r.GetString(0));
            Assert.Equal(response.Model.Version, r.GetInt32(1));
            Assert.Equal(p.StoryPoints, r.GetDouble(2), 0.051); // the log keeps the unrounded value
            Assert.InRange(r.GetInt32(3), 8, 9);
            Assert.InRange(r.GetDouble(4), 0, 1);
            Assert.True(r.GetDouble(5) > 0);
            Assert.True(r.GetBoolean(6));
        }
        Assert.Equal(40, rows);
    }

    [Fact]
    public async Task A_database_blip_loses_nothing()
    {
        await using var proxy = new TcpProxy(f.ReplicaPort);
        proxy.Start();
        var model = Unique("blip");
        await using var host = await PredictionHost.StartAsync(f, new Dictionary<string, string?>
        {
            ["ConnectionStrings:prediction-log"] = proxy.Via(f.ReplicaMlConnectionString),
            ["PredictionLog:BatchSize"] = "100",
            ["PredictionLog:RetryDelay"] = "00:00:00.050",
            ["PredictionLog:MaxRetryDelay"] = "00:00:00.500",
        }, ct: Ct);

        for (var i = 0; i < 200; i++)
        {
            Assert.True(host.Log.TryEnqueue(Entry(model, i)));
        }
        await host.FlushLogAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(200, await CountAsync(model));

        proxy.Stop(); // the database is away: connections cut, new ones refused
        for (var i = 200; i < 1200; i++)
        {
            Assert.True(host.Log.TryEnqueue(Entry(model, i)));
        }
        var failuresBefore = host.Log.WriteFailures;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (host.Log.WriteFailures < failuresBefore + 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }
        Assert.True(host.Log.WriteFailures >= failuresBefore + 2, "the writer should have failed and retried while the database was away");
        Assert.Equal(200, await CountAsync(model));
        Assert.True(host.Log.Pending > 0);

        proxy.Start(); // back
        await host.FlushLogAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1200, await CountAsync(model));
        Assert.Equal(0, host.Log.Dropped);
        TestContext.Current.SendDiagnosticMessage($"blip: {host.Log.WriteFailures} failed writes retried, {host.Log.Written} written, 0 dropped");
    }

    [Fact]
    public async Task A_full_buffer_drops_and_counts_and_the_metric_shows_it()
    {
        await using var proxy = new TcpProxy(f.ReplicaPort); // never started: the database is unreachable
        var model = Unique("full");
        long dropMetric = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PredictionLogQueue.MeterName && instrument.Name == "prediction_log.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        // The listener sees every host's "prediction_log.dropped" in this process (tests run in parallel,
        // each host its own meter from its own IMeterFactory): count only this host's.
        object? scope = null;
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (scope is not null && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                Interlocked.Exchange(ref dropMetric, value);
            }
        });
        listener.Start();

        await using var host = await PredictionHost.StartAsync(f, new Dictionary<string, string?>
        {
            ["ConnectionStrings:prediction-log"] = proxy.Via(f.ReplicaMlConnectionString),
            ["PredictionLog:Capacity"] = "100",
            ["PredictionLog:BatchSize"] = "50",
            ["PredictionLog:RetryDelay"] = "00:00:00.050",
            ["PredictionLog:MaxRetryDelay"] = "00:00:00.200",
        }, ct: Ct);
        scope = host.Services.GetRequiredService<IMeterFactory>();
        var accepted = 0;
        for (var i = 0; i < 400; i++)
        {
            accepted += host.Log.TryEnqueue(Entry(model, i)) ? 1 : 0;
            if (i == 0)
            {
                await Task.Delay(300, Ct); // let the writer take its first batch and start failing
            }
        }
        Assert.InRange(accepted, 100, 150); // the buffer plus the batch the writer holds
        Assert.Equal(400 - accepted, host.Log.Dropped);
        listener.RecordObservableInstruments();
        Assert.Equal(host.Log.Dropped, Interlocked.Read(ref dropMetric));

        proxy.Start();
        await host.FlushLogAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(accepted, await CountAsync(model)); // everything accepted is written
        Assert.Equal(400 - accepted, host.Log.Dropped); // and nothing else was lost
    }

    [Fact]
    public async Task What_a_stopped_instance_left_spooled_the_next_one_writes_exactly_once()
    {
        using var spoolDirectory = new TemporaryDirectory("sa-prediction-spool-shared-"); // disposed after both hosts
        var spool = spoolDirectory.Path;
        var model = Unique("handover");
        await using var proxy = new TcpProxy(f.ReplicaPort);
        proxy.Start();
        var first = await PredictionHost.StartAsync(f, new Dictionary<string, string?>
        {
            ["ConnectionStrings:prediction-log"] = proxy.Via(f.ReplicaMlConnectionString),
            ["PredictionLog:SpoolDirectory"] = spool,
            ["PredictionLog:BatchSize"] = "100",
            ["PredictionLog:RetryDelay"] = "00:00:00.050",
            ["PredictionLog:MaxRetryDelay"] = "00:00:00.200",
            ["PredictionLog:ShutdownFlushTimeout"] = "00:00:01",
        }, ct: Ct);
        for (var i = 0; i < 250; i++)
        {
            Assert.True(first.Log.TryEnqueue(Entry(model, i)));
        }
        await first.FlushLogAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(250, await CountAsync(model)); // part of the segment is in the database …

        proxy.Stop();
        for (var i = 250; i < 600; i++)
        {
            Assert.True(first.Log.TryEnqueue(Entry(model, i)));
        }
        var firstLog = first.Log;
        await first.DisposeAsync(); // … the rest cannot be written before it stops: it stays spooled
        Assert.Equal(250, await CountAsync(model));
        Assert.Equal(0, firstLog.Dropped);

        // The next instance on the same spool directory adopts the segment and continues after the
        // 250 rows the database already has: 600 rows, none twice.
        await using var second = await PredictionHost.StartAsync(f, new Dictionary<string, string?>
        {
            ["PredictionLog:SpoolDirectory"] = spool,
            ["PredictionLog:AdoptInterval"] = "00:00:00.200",
        }, ct: Ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await CountAsync(model) < 600 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Equal(600, await CountAsync(model));
        await using (var conn = await f.OpenReplicaAsync(Ct))
        await using (var cmd = new NpgsqlCommand("SELECT count(DISTINCT prediction_key) FROM ml.ml_prediction_log WHERE model_name = $1", conn) { Parameters = { new() { Value = model } } })
        {
            Assert.Equal(600L, await cmd.ExecuteScalarAsync(Ct));
        }
        Assert.Equal(350, second.Log.Written);
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.GetFiles(spool, "owner-*.lock").Length > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Single(Directory.GetFiles(spool, "owner-*.lock")); // the first's segments and lock are gone
    }

    [Fact]
    public async Task The_buffer_is_flushed_on_shutdown()
    {
        var model = Unique("shutdown");
        var host = await PredictionHost.StartAsync(f, new Dictionary<string, string?>
        {
            ["PredictionLog:FlushInterval"] = "00:00:30", // nothing would be written for 30 s …
            ["PredictionLog:BatchSize"] = "100000",
        }, ct: Ct);
        for (var i = 0; i < 500; i++)
        {
            host.Log.TryEnqueue(Entry(model, i));
        }
        await host.DisposeAsync(); // … but stopping flushes
        Assert.Equal(500, await CountAsync(model));
    }
}

/// <summary>A directory under the temp path, deleted with everything in it on dispose.</summary>
internal sealed class TemporaryDirectory(string prefix) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
