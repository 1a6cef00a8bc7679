using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Data;

/// <summary>
/// <c>agent_conversations</c> on the primary (migration Primary/0110): each conversation's last plan,
/// written behind the request in batches (one upsert per batch, the newest plan of a conversation
/// wins). A failed write keeps its batch and retries with backoff while the bounded buffer absorbs
/// new plans; only a full buffer drops, and the drops are counted and logged. On shutdown the
/// buffer is drained within <see cref="AgentOptions.ConversationShutdownSeconds"/>. Expired rows
/// (idle longer than <see cref="AgentOptions.ConversationIdleMinutes"/>) are purged periodically.
/// A failed read is logged and treated as "no earlier question": the follow-up is then answered
/// (or refused) as a question of its own, never guessed.
/// </summary>
public sealed partial class ConversationArchive : BackgroundService, IConversationArchive
{
    private const string UpsertSql = """
        INSERT INTO agent_conversations (client_id, conversation_id, plan, updated_at)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::jsonb[], $4::timestamptz[])
        ON CONFLICT (client_id, conversation_id) DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at
        WHERE agent_conversations.updated_at <= excluded.updated_at
        """;

    private const string LoadSql = "SELECT plan FROM agent_conversations WHERE client_id = $1 AND conversation_id = $2 AND updated_at >= $3";
    private const string PurgeSql = "DELETE FROM agent_conversations WHERE updated_at < $1";

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(10);

    private readonly NpgsqlDataSource _primary;
    private readonly TimeProvider _clock;
    private readonly AgentOptions _options;
    private readonly ILogger<ConversationArchive> _logger;
    private readonly Channel<Saved> _buffer;
    private readonly CancellationTokenSource _shutdown = new();
    private long _queued;
    private long _written;
    private long _dropped;
    private long _writeFailures;
    private int _writerStarted;

    private sealed record Saved(long ClientId, string ConversationId, QueryPlan Plan, DateTimeOffset At);

    public ConversationArchive(
        [FromKeyedServices(ReplicaDataSourceExtensions.PrimaryServiceKey)] NpgsqlDataSource primary,
        TimeProvider clock,
        IOptions<AgentOptions> options,
        ILogger<ConversationArchive> logger)
    {
        _primary = primary;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
        _buffer = Channel.CreateBounded<Saved>(new BoundedChannelOptions(_options.ConversationWriteBuffer)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of waiting: counted as dropped
            SingleReader = true,
        });
    }

    /// <summary>Plans accepted and not yet written (or given up).</summary>
    public long Pending => Interlocked.Read(ref _queued) - Interlocked.Read(ref _written) - Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    public void Save(long clientId, string conversationId, QueryPlan plan, DateTimeOffset at)
    {
        Interlocked.Increment(ref _queued);
        if (!_buffer.Writer.TryWrite(new Saved(clientId, conversationId, plan, at)))
        {
            Interlocked.Increment(ref _dropped);
            LogDropped(_logger, clientId, _options.ConversationWriteBuffer);
        }
    }

    public async Task<QueryPlan?> LoadAsync(long clientId, string conversationId, DateTimeOffset notBefore, CancellationToken ct)
    {
        try
        {
            await using var cmd = _primary.CreateCommand(LoadSql);
            cmd.Parameters.Add(new NpgsqlParameter { Value = clientId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = conversationId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = notBefore.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            return await cmd.ExecuteScalarAsync(ct) is string json ? PlanJson.Read(json) : null;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            LogLoadFailed(_logger, ex, clientId);
            return null;
        }
    }

    /// <summary>Waits until everything accepted so far is written or given up (tests, shutdown).</summary>
    public async Task FlushAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Pending > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Pending} conversation(s) still unwritten after {timeout.TotalSeconds:0.#} s.");
            }
            await Task.Delay(10, ct);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Interlocked.CompareExchange(ref _writerStarted, 1, 0) == 0
            ? Task.WhenAll(WriteLoopAsync(stoppingToken), PurgeLoopAsync(stoppingToken))
            : Task.CompletedTask; // stopped before it ran: StopAsync drained the buffer

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _buffer.Writer.TryComplete();
        _shutdown.CancelAfter(TimeSpan.FromSeconds(_options.ConversationShutdownSeconds));
        await base.StopAsync(cancellationToken);
        // A stop right after the start can cancel ExecuteAsync before it ran (.NET 10 starts it on the
        // thread pool): then the buffer is drained here, with the same shutdown limit.
        if (Interlocked.CompareExchange(ref _writerStarted, 1, 0) == 0)
        {
            await WriteLoopAsync(new CancellationToken(canceled: true));
        }
    }

    public override void Dispose()
    {
        _shutdown.Dispose();
        base.Dispose();
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        // Reading ignores stoppingToken: on stop the buffer is completed and drained instead.
        var reader = _buffer.Reader;
        var batch = new Dictionary<(long, string), Saved>();
        var taken = 0;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            if (!stoppingToken.IsCancellationRequested && reader.Count < 100)
            {
                // Let a batch form (a few milliseconds) instead of one upsert per answer.
                await Task.Delay(20, CancellationToken.None);
            }
            while (taken < 1000 && reader.TryRead(out var s))
            {
                batch[(s.ClientId, s.ConversationId)] = s;
                taken++;
            }
            await WriteUntilDoneAsync(batch.Values.ToList(), taken);
            batch.Clear();
            taken = 0;
        }
    }

    private async Task WriteUntilDoneAsync(List<Saved> rows, int taken)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await UpsertAsync(rows, _shutdown.Token);
                Interlocked.Add(ref _written, taken);
                if (attempt > 1)
                {
                    LogRecovered(_logger, rows.Count, attempt);
                }
                return;
            }
            catch (PostgresException ex) when (!ex.IsTransient && ex.SqlState is not (PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege))
            {
                // The rows themselves are refused: retrying cannot help.
                Interlocked.Increment(ref _writeFailures);
                Interlocked.Add(ref _dropped, taken);
                LogRejected(_logger, ex, rows.Count);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException || (ex is OperationCanceledException && _shutdown.IsCancellationRequested))
            {
                Interlocked.Increment(ref _writeFailures);
                if (!_shutdown.IsCancellationRequested)
                {
                    LogRetrying(_logger, ex, rows.Count, attempt, delay.TotalMilliseconds);
                    try
                    {
                        await Task.Delay(delay, _shutdown.Token);
                        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                        continue;
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
                Interlocked.Add(ref _dropped, taken);
                LogGivenUp(_logger, rows.Count);
                return;
            }
        }
    }

    private async Task UpsertAsync(List<Saved> rows, CancellationToken ct)
    {
        await using var cmd = _primary.CreateCommand(UpsertSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.ClientId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.ConversationId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => PlanJson.Write(r.Plan)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.At.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task PurgeLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PurgeInterval, _clock);
        try
        {
            do
            {
                try
                {
                    await using var cmd = _primary.CreateCommand(PurgeSql);
                    cmd.Parameters.Add(new NpgsqlParameter
                    {
                        Value = (_clock.GetUtcNow() - TimeSpan.FromMinutes(_options.ConversationIdleMinutes)).UtcDateTime,
                        NpgsqlDbType = NpgsqlDbType.TimestampTz,
                    });
                    var purged = await cmd.ExecuteNonQueryAsync(stoppingToken);
                    if (purged > 0)
                    {
                        LogPurged(_logger, purged);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
                {
                    LogPurgeFailed(_logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation buffer full ({Capacity}): a plan of client {ClientId} was not saved; a follow-up on another agent instance or after a restart will not find it")]
    private static partial void LogDropped(ILogger logger, long clientId, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read a conversation of client {ClientId}; the question is answered on its own")]
    private static partial void LogLoadFailed(ILogger logger, Exception ex, long clientId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} conversation(s) failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, Exception ex, int count, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote {Count} conversation(s) after {Attempt} attempts")]
    private static partial void LogRecovered(ILogger logger, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database refused {Count} conversation(s); they are not saved")]
    private static partial void LogRejected(ILogger logger, Exception ex, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutting down with {Count} conversation(s) unwritten")]
    private static partial void LogGivenUp(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Purged {Count} expired conversation(s)")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired conversations failed; will try again")]
    private static partial void LogPurgeFailed(ILogger logger, Exception ex);
}

/// <summary>
/// A <see cref="QueryPlan"/> as stored JSON: the metric by its key (catalog name or derived spec) (the catalog is the
/// code's, not the row's), the resolved time window, filters, order and limit. A plan naming a
/// metric this version no longer has reads as null (no earlier question).
/// </summary>
public static class PlanJson
{
    public static string Write(QueryPlan plan) => JsonSerializer.Serialize(
        new StoredPlan(
            plan.Metric.Key,
            plan.Dimension,
            plan.Filters.Select(f => new StoredFilter(f.Kind, [.. f.Values])).ToList(),
            plan.Window,
            plan.Order,
            plan.Limit,
            plan.DefaultWindowApplied)
        {
            Conditions = plan.Conditions.Select(c => new StoredCondition(c.Predicate, c.Attribute, c.Comparison, [.. c.Values])).ToList(),
        },
        PlanJsonContext.Default.StoredPlan);

    public static QueryPlan? Read(string json)
    {
        StoredPlan? s;
        try
        {
            s = JsonSerializer.Deserialize(json, PlanJsonContext.Default.StoredPlan);
        }
        catch (JsonException)
        {
            return null;
        }
        if (s is null || !SemanticModel.Default.TryGetMetric(s.Metric, out var metric))
        {
            return null;
        }
        return new QueryPlan(metric, s.Dimension, s.Filters.Select(f => new EntityFilter(f.Kind, f.Values)).ToList(), s.Window, s.Order, s.Limit)
        {
            DefaultWindowApplied = s.DefaultWindowApplied,
            Conditions = (s.Conditions ?? []).Select(c => new Condition(c.Predicate, c.Attribute, c.Comparison, c.Values)).ToList(),
        };
    }

    internal sealed record StoredFilter(FilterKind Kind, List<string> Values);

    internal sealed record StoredCondition(string? Predicate, string? Attribute, Comparison Comparison, List<decimal> Values);

    internal sealed record StoredPlan(
        string Metric,
        Dimension Dimension,
        List<StoredFilter> Filters,
        TimeWindow? Window,
        SortOrder Order,
        int? Limit,
        bool DefaultWindowApplied)
    {
        /// <summary>Absent in plans stored before conditions existed.</summary>
        public List<StoredCondition>? Conditions { get; init; }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PlanJson.StoredPlan))]
internal sealed partial class PlanJsonContext : JsonSerializerContext;
