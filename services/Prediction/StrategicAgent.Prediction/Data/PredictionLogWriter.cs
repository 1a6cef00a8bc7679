using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Prediction.Infrastructure;

namespace StrategicAgent.Prediction.Data;

/// <summary>
/// Drains the prediction-log buffer in batches: scores each batch with the anomaly model, writes
/// it with binary COPY and stores its alerts in the same transaction, then publishes the alerts.
/// A failed write keeps its batch and retries with backoff until it succeeds — while the
/// database is away the bounded buffer absorbs new predictions, and only a full buffer drops
/// (counted). On shutdown the buffer is closed and drained, within a timeout.
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
    // Serialising and scoring a batch is the writer's CPU work: on its own lower-priority thread it
    // yields the cores to request threads instead of competing with them at equal priority.
    private readonly LowPriorityWorker _cpu = new("prediction-log-writer", options.Value.WriterNice);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Reading ignores stoppingToken: on stop the buffer is completed and drained instead.
        var batch = new List<PredictionLogEntry>(_options.BatchSize);
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            if (!stoppingToken.IsCancellationRequested && reader.Count < _options.BatchSize && _options.FlushInterval > TimeSpan.Zero)
            {
                // Let a batch form instead of writing every prediction on its own.
                try
                {
                    await Task.Delay(_options.FlushInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                }
            }
            while (batch.Count < _options.BatchSize && reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }
            if (batch.Count == 0)
            {
                continue;
            }
            queue.MarkTaken(batch.Count);
            await WriteUntilDoneAsync(batch);
            batch.Clear();
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

    private async Task WriteUntilDoneAsync(List<PredictionLogEntry> batch)
    {
        var alerts = await _cpu.RunAsync(() => Prepare(batch));
        var delay = _options.RetryDelay;
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                var ids = await WriteAsync(batch, alerts, _shutdown.Token);
                queue.MarkWritten(batch.Count);
                if (attempt > 1)
                {
                    LogRecovered(logger, batch.Count, attempt);
                }
                if (alerts.Count > 0)
                {
                    queue.MarkAlerts(alerts.Count);
                    await PublishAsync(ids, alerts);
                }
                return;
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                LogGivenUp(logger, batch.Count);
                queue.MarkLost(batch.Count);
                return;
            }
            catch (PostgresException ex) when (!ex.IsTransient && IsDataError(ex))
            {
                // The rows themselves are refused: retrying cannot help, so count them and go on.
                LogRejected(logger, ex, batch.Count);
                queue.MarkWriteFailure();
                queue.MarkLost(batch.Count);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                queue.MarkWriteFailure();
                LogRetrying(logger, ex, batch.Count, attempt, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _shutdown.Token);
                }
                catch (OperationCanceledException)
                {
                    LogGivenUp(logger, batch.Count);
                    queue.MarkLost(batch.Count);
                    return;
                }
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, _options.MaxRetryDelay.TotalMilliseconds));
            }
        }
    }

    /// <summary>Describes each entry's features and scores the batch with the anomaly model (on the low-priority thread).</summary>
    private IReadOnlyList<AnomalyAlert> Prepare(List<PredictionLogEntry> batch)
    {
        foreach (var e in batch)
        {
            if (e.FeaturesJson is null)
            {
                (e.FeaturesJson, e.FeatureCount) = FeatureLogFormat.Describe(e.Features);
            }
        }
        try
        {
            return scorer.Score(batch);
        }
        catch (Exception ex)
        {
            // A broken anomaly model must not cost the log: write unscored.
            LogScoringFailed(logger, ex);
            return [];
        }
    }

    private static bool IsDataError(PostgresException ex) =>
        ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal);

    private async Task<long[]> WriteAsync(List<PredictionLogEntry> batch, IReadOnlyList<AnomalyAlert> alerts, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var copy = await conn.BeginBinaryImportAsync(
            """
            COPY ml.ml_prediction_log (model_name, model_version, prediction_key, prediction_value, input_features,
                input_feature_count, prediction_confidence, anomaly_score, is_anomaly, severity, response_time_ms,
                created_at, client_id) FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            foreach (var e in batch)
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

        var ids = alerts.Count == 0 ? [] : await AlertStore.InsertAsync(conn, tx, alerts, ct);
        await tx.CommitAsync(ct);
        LogWritten(logger, batch.Count, alerts.Count, sw.Elapsed.TotalMilliseconds);
        return ids;
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

    private async Task PublishAsync(long[] ids, IReadOnlyList<AnomalyAlert> alerts)
    {
        for (var i = 0; i < alerts.Count; i++)
        {
            try
            {
                await publisher.PublishAsync(ids[i], alerts[i], _shutdown.Token);
            }
            catch (Exception ex)
            {
                // The alert is stored (ListAlerts shows it); only the notification is lost.
                LogPublishFailed(logger, ex, ids[i]);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wrote {Count} predictions and {Alerts} alerts in {Ms:0.0} ms")]
    private static partial void LogWritten(ILogger logger, int count, int alerts, double ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} predictions failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, Exception ex, int count, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Prediction log recovered: wrote {Count} predictions on attempt {Attempt}")]
    private static partial void LogRecovered(ILogger logger, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up on {Count} predictions at shutdown: the database did not come back in time")]
    private static partial void LogGivenUp(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database refused {Count} prediction-log rows as invalid; they are dropped")]
    private static partial void LogRejected(ILogger logger, Exception ex, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Anomaly scoring failed; the batch is logged unscored")]
    private static partial void LogScoringFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing AnomalyDetected for alert {AlertId} failed")]
    private static partial void LogPublishFailed(ILogger logger, Exception ex, long alertId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: flushing {Pending} buffered predictions")]
    private static partial void LogFlushing(ILogger logger, long pending);
}
