using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Agent.Domain.Loop;

namespace StrategicAgent.Agent.Data;

/// <summary>
/// ai_learning_memory on the primary: failures (with the fix that later worked and its confidence),
/// successful question → SQL examples, retrieval by same fingerprint, similar wording (pg_trgm) or
/// similar meaning (the question's sentence vector, <see cref="ISentenceEmbeddings"/>, stored with
/// the row; cosine computed in the database over the tenant's rows), and pruning to the newest N
/// rows per tenant. Without <paramref name="embeddings"/> (or when the model cannot run) recall is
/// by fingerprint and trigrams only.
/// </summary>
public sealed partial class LearningMemoryStore(
    [FromKeyedServices(ReplicaDataSourceExtensions.PrimaryServiceKey)] NpgsqlDataSource primary,
    IOptions<AgentOptions> options,
    ISentenceEmbeddings? embeddings = null) : ILearningMemory
{
    // Fixed failures and successes only, with a confidence that would pass the judge: a failure
    // nobody fixed, or a "fix" the judge doubted, teaches nothing. The tenant's rows are bounded
    // (Agent:MemoryMaxPerTenant), so the cosine over them is a bounded scan.
    private const string FindSql = """
        WITH hits AS (
            SELECT id, kind, error_type, user_intent, failed_query, specific_issue, suggested_fix, confidence,
                   coalesce(query_fingerprint = $2, false) AS same_fp,
                   user_intent % $3 AS similar_words,
                   similarity(user_intent, $3) AS sim,
                   CASE WHEN $6::real[] IS NOT NULL AND intent_embedding IS NOT NULL
                        THEN (SELECT sum(a::float8 * b::float8) FROM unnest(intent_embedding, $6::real[]) AS v(a, b)) END AS meaning,
                   created_at
            FROM ai_learning_memory
            WHERE client_id = $1
              AND suggested_fix IS NOT NULL
              AND coalesce(confidence, 0) >= $5
        )
        SELECT id, kind, error_type, user_intent, failed_query, specific_issue, suggested_fix, confidence, same_fp,
               greatest(sim, coalesce(meaning, 0)) AS score
        FROM hits
        WHERE same_fp OR similar_words OR meaning >= $7
        ORDER BY same_fp DESC, (kind = 'failure') DESC, score DESC, created_at DESC
        LIMIT $4
        """;

    private const string TouchSql = "UPDATE ai_learning_memory SET times_used = times_used + 1, last_used_at = now() WHERE id = ANY($1)";

    private const string InsertSql = """
        INSERT INTO ai_learning_memory (client_id, kind, error_type, user_intent, failed_query, specific_issue, learning_context, query_fingerprint, intent_embedding)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        RETURNING id
        """;

    private const string FixSql = """
        UPDATE ai_learning_memory SET suggested_fix = $3, confidence = $4
        WHERE client_id = $1 AND id = ANY($2)
        """;

    private const string SuccessExistsSql = """
        SELECT id FROM ai_learning_memory
        WHERE client_id = $1 AND kind = 'success' AND user_intent = $2 AND suggested_fix = $3
        LIMIT 1
        """;

    private const string SuccessInsertSql = """
        INSERT INTO ai_learning_memory (client_id, kind, user_intent, suggested_fix, confidence, query_fingerprint, intent_embedding)
        VALUES ($1, 'success', $2, $3, $4, $5, $6)
        """;

    private const string PruneSql = """
        DELETE FROM ai_learning_memory
        WHERE client_id = $1
          AND id IN (SELECT id FROM ai_learning_memory WHERE client_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2)
        """;

    /// <summary>
    /// The question's sentence vector as a parameter (null: recall by words only). The intent's " [metric]" suffix
    /// is left out: a shared metric name would make different questions look alike.
    /// </summary>
    private NpgsqlParameter Meaning(string intent, CancellationToken ct) => new()
    {
        Value = (object?)embeddings?.Embed([MetricSuffix().Replace(intent, "")], ct)?[0] ?? DBNull.Value,
        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Real,
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"\s*\[[a-z0-9_]+\]\s*$")]
    private static partial System.Text.RegularExpressions.Regex MetricSuffix();

    public async Task<IReadOnlyList<MemoryHint>> FindAsync(long clientId, string intent, string? fingerprint, int max, CancellationToken ct)
    {
        var hints = new List<MemoryHint>();
        var meaning = Meaning(intent, ct);
        await using var conn = await primary.OpenConnectionAsync(ct);
        await using (var cmd = new NpgsqlCommand(FindSql, conn)
        {
            Parameters =
            {
                new() { Value = clientId },
                new() { Value = (object?)fingerprint ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = intent },
                new() { Value = max },
                new() { Value = options.Value.SemanticPassConfidence },
                meaning,
                new() { Value = options.Value.MemoryMinSimilarity },
            },
        })
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                hints.Add(new MemoryHint(
                    r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
                    r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetDouble(7),
                    r.GetBoolean(8), r.IsDBNull(9) ? 0 : Convert.ToDouble(r.GetValue(9), System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
        if (hints.Count > 0)
        {
            await using var touch = new NpgsqlCommand(TouchSql, conn) { Parameters = { new() { Value = hints.Select(h => h.Id).ToArray() } } };
            await touch.ExecuteNonQueryAsync(ct);
        }
        return hints;
    }

    public async Task<long> RecordFailureAsync(long clientId, FailureRecord f, CancellationToken ct)
    {
        var meaning = Meaning(f.Intent, ct);
        await using var conn = await primary.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(InsertSql, conn)
        {
            Parameters =
            {
                new() { Value = clientId },
                new() { Value = "failure" },
                new() { Value = f.ErrorType },
                new() { Value = f.Intent },
                new() { Value = f.FailedSql },
                new() { Value = f.Issue },
                new() { Value = f.ContextJson, NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = string.IsNullOrEmpty(f.Fingerprint) ? DBNull.Value : f.Fingerprint, NpgsqlDbType = NpgsqlDbType.Text },
                meaning,
            },
        };
        var id = (long)(await cmd.ExecuteScalarAsync(ct))!;
        await PruneAsync(conn, clientId, ct);
        return id;
    }

    public async Task RecordFixAsync(long clientId, IReadOnlyList<long> failureIds, string fixedSql, double confidence, CancellationToken ct)
    {
        await using var conn = await primary.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(FixSql, conn)
        {
            Parameters = { new() { Value = clientId }, new() { Value = failureIds.ToArray() }, new() { Value = fixedSql }, new() { Value = confidence } },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task RecordSuccessAsync(long clientId, string intent, string sql, string fingerprint, double confidence, CancellationToken ct)
    {
        await using var conn = await primary.OpenConnectionAsync(ct);
        await using (var exists = new NpgsqlCommand(SuccessExistsSql, conn)
        {
            Parameters = { new() { Value = clientId }, new() { Value = intent }, new() { Value = sql } },
        })
        {
            if (await exists.ExecuteScalarAsync(ct) is not null)
            {
                return;
            }
        }
        await using var cmd = new NpgsqlCommand(SuccessInsertSql, conn)
        {
            Parameters =
            {
                new() { Value = clientId }, new() { Value = intent }, new() { Value = sql }, new() { Value = confidence },
                new() { Value = string.IsNullOrEmpty(fingerprint) ? DBNull.Value : fingerprint, NpgsqlDbType = NpgsqlDbType.Text },
                Meaning(intent, ct),
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
        await PruneAsync(conn, clientId, ct);
    }

    private async Task PruneAsync(NpgsqlConnection conn, long clientId, CancellationToken ct)
    {
        await using var prune = new NpgsqlCommand(PruneSql, conn)
        {
            Parameters = { new() { Value = clientId }, new() { Value = options.Value.MemoryMaxPerTenant } },
        };
        await prune.ExecuteNonQueryAsync(ct);
    }
}
