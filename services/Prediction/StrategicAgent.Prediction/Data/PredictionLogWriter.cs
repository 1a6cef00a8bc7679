using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Prediction.Infrastructure;

namespace StrategicAgent.Prediction.Data;

/// <summary>
/// Ships the prediction-log spool (<see cref="PredictionLogSpool"/>) to the database in batches:
/// decodes and scores each batch with the anomaly model, writes it with binary COPY, stores its
/// alerts and moves the segment's checkpoint (<c>ml.prediction_log_spool</c>) in the same
/// transaction, then hands the alerts to its notifier, which publishes them on its own (a broker that is
/// down never holds up the log: MassTransit's Publish waits for the broker to come back). A failed write keeps its batch and retries with backoff
/// until it succeeds; meanwhile the spool (on disk) absorbs new predictions. Segments a killed
/// instance left in the spool directory are adopted and shipped from where the database says they
/// stopped, so a record is written exactly once. On shutdown it writes what is spooled within a
/// timeout; what is left stays in the spool for the next start.
/// </summary>
public sealed partial class PredictionLogWriter(
    PredictionLogQueue queue,
    [FromKeyedServices(PredictionLogWriter.DataSourceKey)] NpgsqlDataSource dataSource,
    IPredictionScorer scorer,
    IAlertPublisher publisher,
    IOptions<PredictionLogOptions> options,
    ILogger<PredictionLogWriter> logger) : BackgroundService
{
    public const string DataSourceKey = "prediction-log";

    private readonly PredictionLogOptions _options = options.Value;
    private readonly CancellationTokenSource _shutdown = new();
    // Decoding and scoring a batch is the writer's CPU work: on its own lower-priority thread it
    // yields the cores to request threads instead of competing with them at equal priority.
    private readonly LowPriorityWorker _cpu = new("prediction-log-writer", options.Value.WriterNice);
    // Stored alerts waiting for their AnomalyDetected event. Bounded: during a long broker outage the oldest
    // notifications wait and new ones are dropped (logged) — the alerts themselves are stored either way.
    private readonly Channel<(long Id, AnomalyAlert Alert)> _notifications =
        Channel.CreateBounded<(long, AnomalyAlert)>(new BoundedChannelOptions(NotificationCapacity) { SingleReader = true });

    public const int NotificationCapacity = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var notifier = Task.Run(NotifyAsync, CancellationToken.None);
        try
        {
            await ShipAsync(stoppingToken);
        }
        finally
        {
            _notifications.Writer.TryComplete();
            await notifier;
        }
    }

    private async Task ShipAsync(CancellationToken stoppingToken)
    {
        var spool = queue.Spool;
        var nextAdoption = DateTime.MinValue;
        var waited = false;
        while (!_shutdown.IsCancellationRequested)
        {
            if (DateTime.UtcNow >= nextAdoption)
            {
                nextAdoption = DateTime.UtcNow + _options.AdoptInterval;
                try
                {
                    if (spool.AdoptOrphans() is { Count: > 0 } adopted)
                    {
                        LogAdopted(logger, adopted.Count, string.Join(", ", adopted));
                    }
                }
                catch (IOException ex)
                {
                    LogAdoptionFailed(logger, ex);
                }
            }
            SpoolBatch? batch;
            try
            {
                batch = await spool.ReadAsync(_options.BatchSize, StartOfAsync, _shutdown.Token);
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                break;
            }
            if (batch is null)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    break; // stopping and everything readable is written
                }
                waited = false;
                try
                {
                    await spool.WaitForDataAsync(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                }
                continue;
            }
            if (!waited && !batch.Finished && batch.EntryCount < _options.BatchSize && !stoppingToken.IsCancellationRequested
                && _options.FlushInterval > TimeSpan.Zero)
            {
                // Let a batch form instead of writing every request on its own (the batch is read again).
                waited = true;
                try
                {
                    await Task.Delay(_options.FlushInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                }
                continue;
            }
            waited = false;
            if (!await WriteUntilDoneAsync(spool, batch))
            {
                break;
            }
        }
        if (queue.Pending > 0)
        {
            LogLeftSpooled(logger, queue.Pending, spool.Directory);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        _shutdown.CancelAfter(_options.ShutdownFlushTimeout);
        LogFlushing(logger, queue.Pending);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _cpu.Dispose();
        _shutdown.Dispose();
        base.Dispose();
    }

    /// <summary>Where an adopted segment continues: what the database already has of it (retried until the database answers).</summary>
    private async Task<long> StartOfAsync(string segment, CancellationToken ct)
    {
        var delay = _options.RetryDelay;
        while (true)
        {
            try
            {
                await using var conn = await dataSource.OpenConnectionAsync(ct);
                await using var cmd = new NpgsqlCommand(CheckpointSql, conn) { Parameters = { new() { Value = segment } } };
                return await cmd.ExecuteScalarAsync(ct) is long offset ? offset : 0;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                queue.MarkWriteFailure();
                LogRetrying(logger, ex, 0, 0, delay.TotalMilliseconds);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, _options.MaxRetryDelay.TotalMilliseconds));
            }
        }
    }

    private const string CheckpointSql = "SELECT shipped_offset FROM ml.prediction_log_spool WHERE segment = $1";

    /// <summary>Writes the batch (retrying until it is in); false when shutdown's timeout ended the attempt (the batch stays spooled).</summary>
    private async Task<bool> WriteUntilDoneAsync(PredictionLogSpool spool, SpoolBatch batch)
    {
        if (batch.Finished)
        {
            spool.Commit(batch);
            await ForgetSegmentAsync(batch.Segment);
            return true;
        }
        var own = batch.Own;
        var (entries, alerts) = await _cpu.RunAsync(() => Prepare(batch));
        var delay = _options.RetryDelay;
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                var outcome = await WriteAsync(batch, entries, alerts, _shutdown.Token);
                if (outcome.Behind is { } committed)
                {
                    // The database already has part of this (another instance shipped it): continue after it.
                    spool.Reposition(committed);
                    return true;
                }
                spool.Commit(batch);
                queue.MarkWritten(entries.Count, own);
                if (attempt > 1)
                {
                    LogRecovered(logger, entries.Count, attempt);
                }
                if (alerts.Count > 0)
                {
                    queue.MarkAlerts(alerts.Count);
                    Notify(outcome.AlertIds, alerts);
                }
                return true;
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                return false;
            }
            catch (PostgresException ex) when (!ex.IsTransient && IsDataError(ex))
            {
                // The rows themselves are refused: retrying cannot help, so count them, skip them and go on.
                LogRejected(logger, ex, entries.Count);
                queue.MarkWriteFailure();
                if (await TrySkipAsync(batch))
                {
                    spool.Commit(batch);
                    queue.MarkLost(entries.Count, own);
                    return true;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                queue.MarkWriteFailure();
                LogRetrying(logger, ex, entries.Count, attempt, delay.TotalMilliseconds);
            }
            try
            {
                await Task.Delay(delay, _shutdown.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, _options.MaxRetryDelay.TotalMilliseconds));
        }
    }

    private async Task<bool> TrySkipAsync(SpoolBatch batch)
    {
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(_shutdown.Token);
            await using var cmd = new NpgsqlCommand(AdvanceSql, conn) { Parameters = { new() { Value = batch.Segment }, new() { Value = batch.EndOffset } } };
            await cmd.ExecuteNonQueryAsync(_shutdown.Token);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>A shipped and deleted segment's checkpoint is no longer needed (best effort: a leftover row is harmless).</summary>
    private async Task ForgetSegmentAsync(string segment)
    {
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(_shutdown.Token);
            await using var cmd = new NpgsqlCommand("DELETE FROM ml.prediction_log_spool WHERE segment = $1", conn) { Parameters = { new() { Value = segment } } };
            await cmd.ExecuteNonQueryAsync(_shutdown.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            LogForgetFailed(logger, ex, segment);
        }
    }

    private const string AdvanceSql = """
        INSERT INTO ml.prediction_log_spool (segment, shipped_offset) VALUES ($1, $2)
        ON CONFLICT (segment) DO UPDATE SET shipped_offset = EXCLUDED.shipped_offset, updated_at = now()
        """;

    /// <summary>Decodes the batch's records and scores them with the anomaly model (on the low-priority thread).</summary>
    private (List<PredictionLogEntry> Entries, IReadOnlyList<AnomalyAlert> Alerts) Prepare(SpoolBatch batch)
    {
        var entries = new List<PredictionLogEntry>(batch.EntryCount);
        foreach (var record in batch.Records)
        {
            PredictionLogCodec.Decode(record.Payload, record.Count, entries);
        }
        try
        {
            return (entries, scorer.Score(entries));
        }
        catch (Exception ex)
        {
            // A broken anomaly model must not cost the log: write unscored.
            LogScoringFailed(logger, ex);
            return (entries, []);
        }
    }

    private static bool IsDataError(PostgresException ex) =>
        ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal);

    private readonly record struct WriteOutcome(long[] AlertIds, long? Behind);

    private async Task<WriteOutcome> WriteAsync(SpoolBatch batch, List<PredictionLogEntry> entries, IReadOnlyList<AnomalyAlert> alerts, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // The segment's checkpoint, locked: the rows and the checkpoint move together or not at all.
        await using (var check = new NpgsqlCommand(CheckpointSql + " FOR UPDATE", conn, tx) { Parameters = { new() { Value = batch.Segment } } })
        {
            if (await check.ExecuteScalarAsync(ct) is long committed && committed > batch.StartOffset)
            {
                await tx.RollbackAsync(ct);
                return new WriteOutcome([], committed);
            }
        }
        await using (var copy = await conn.BeginBinaryImportAsync(
            """
            COPY ml.ml_prediction_log (model_name, model_version, prediction_key, prediction_value, input_features,
                input_feature_count, prediction_confidence, anomaly_score, is_anomaly, severity, response_time_ms,
                created_at, client_id) FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            foreach (var e in entries)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(e.ModelName, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(e.ModelVersion, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(e.Key, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(e.Value, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(e.FeaturesJson ?? "{}", NpgsqlDbType.Jsonb, ct);
                await copy.WriteAsync(e.FeatureCount, NpgsqlDbType.Integer, ct);
                await WriteNullableAsync(copy, e.Confidence, ct);
                await WriteNullableAsync(copy, e.AnomalyScore, ct);
                await copy.WriteAsync(e.IsAnomaly, NpgsqlDbType.Boolean, ct);
                if (e.Severity is null)
                {
                    await copy.WriteNullAsync(ct);
                }
                else
                {
                    await copy.WriteAsync(e.Severity, NpgsqlDbType.Text, ct);
                }
                await copy.WriteAsync(e.ResponseTimeMs, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(e.CreatedAt, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(e.ClientId, NpgsqlDbType.Bigint, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await using (var advance = new NpgsqlCommand(AdvanceSql, conn, tx) { Parameters = { new() { Value = batch.Segment }, new() { Value = batch.EndOffset } } })
        {
            await advance.ExecuteNonQueryAsync(ct);
        }

        var ids = alerts.Count == 0 ? [] : await AlertStore.InsertAsync(conn, tx, alerts, ct);
        await tx.CommitAsync(ct);
        LogWritten(logger, entries.Count, alerts.Count, sw.Elapsed.TotalMilliseconds);
        return new WriteOutcome(ids, null);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter copy, double? value, CancellationToken ct)
    {
        if (value is { } v && double.IsFinite(v))
        {
            await copy.WriteAsync(v, NpgsqlDbType.Double, ct);
        }
        else
        {
            await copy.WriteNullAsync(ct);
        }
    }

    private void Notify(long[] ids, IReadOnlyList<AnomalyAlert> alerts)
    {
        for (var i = 0; i < alerts.Count; i++)
        {
            if (!_notifications.Writer.TryWrite((ids[i], alerts[i])))
            {
                LogNotificationDropped(logger, ids[i], NotificationCapacity);
            }
        }
    }

    /// <summary>Publishes the stored alerts' events one by one, until shutdown (whose flush timeout also ends a publish that waits for the broker).</summary>
    private async Task NotifyAsync()
    {
        try
        {
            await foreach (var (id, alert) in _notifications.Reader.ReadAllAsync(_shutdown.Token))
            {
                try
                {
                    await publisher.PublishAsync(id, alert, _shutdown.Token);
                }
                catch (Exception ex)
                {
                    if (_shutdown.IsCancellationRequested)
                    {
                        break;
                    }
                    // The alert is stored (ListAlerts shows it); only the notification is lost.
                    LogPublishFailed(logger, ex, id);
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
        if (_notifications.Reader.Count > 0)
        {
            LogNotificationsLeft(logger, _notifications.Reader.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wrote {Count} predictions and {Alerts} alerts in {Ms:0.0} ms")]
    private static partial void LogWritten(ILogger logger, int count, int alerts, double ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} predictions failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, Exception ex, int count, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Prediction log recovered: wrote {Count} predictions on attempt {Attempt}")]
    private static partial void LogRecovered(ILogger logger, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped with {Count} predictions still spooled in {Directory}: the next start (or another instance) writes them")]
    private static partial void LogLeftSpooled(ILogger logger, long count, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted {Count} spool segments of stopped instances: {Segments}")]
    private static partial void LogAdopted(ILogger logger, int count, string segments);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for spool segments of stopped instances failed")]
    private static partial void LogAdoptionFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgetting the checkpoint of shipped segment {Segment} failed (harmless)")]
    private static partial void LogForgetFailed(ILogger logger, Exception ex, string segment);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database refused {Count} prediction-log rows as invalid; they are dropped")]
    private static partial void LogRejected(ILogger logger, Exception ex, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Anomaly scoring failed; the batch is logged unscored")]
    private static partial void LogScoringFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing AnomalyDetected for alert {AlertId} failed")]
    private static partial void LogPublishFailed(ILogger logger, Exception ex, long alertId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AnomalyDetected for alert {AlertId} dropped: {Capacity} notifications are waiting for the broker (the alert is stored)")]
    private static partial void LogNotificationDropped(ILogger logger, long alertId, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} AnomalyDetected notifications not published before shutdown (their alerts are stored)")]
    private static partial void LogNotificationsLeft(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: writing {Pending} spooled predictions")]
    private static partial void LogFlushing(ILogger logger, long pending);
}
