using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Data;

namespace StrategicAgent.Agent.Data;

/// <summary>
/// Runs generated SQL on the replica: READ ONLY transaction, role sa_query, app.client_id for the
/// transaction (row-level security), statement_timeout, and a row cap. The caller's cancellation
/// cancels the query on the server.
/// </summary>
public sealed class ReplicaQueryExecutor(
    NpgsqlDataSource replica,
    IOptions<AgentOptions> options) : IQueryExecutor
{
    public async Task<QueryResult> ExecuteAsync(long clientId, string sql, IReadOnlyList<object> parameters, CancellationToken ct)
    {
        var o = options.Value;
        try
        {
            await using var conn = await replica.OpenConnectionAsync(ct);
            await using var tx = await TenantSession.BeginReadOnlyAsync(conn, clientId, TimeSpan.FromSeconds(o.StatementTimeoutSeconds), ct);
            await using var cmd = new NpgsqlCommand(sql, conn, tx);
            foreach (var p in parameters)
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = p });
            }
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            var rows = new List<object?[]>();
            var truncated = false;
            while (await reader.ReadAsync(ct))
            {
                if (rows.Count >= o.RowCap)
                {
                    truncated = true;
                    break;
                }
                var row = new object?[columns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : Normalize(reader.GetValue(i));
                }
                rows.Add(row);
            }
            await reader.DisposeAsync();
            await tx.RollbackAsync(CancellationToken.None);
            return new QueryResult(columns, rows, truncated);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new QueryExecutionException("cancelled", "the query was cancelled by the caller");
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled)
        {
            if (ct.IsCancellationRequested)
            {
                throw new QueryExecutionException("cancelled", "the query was cancelled by the caller", ex);
            }
            throw new QueryExecutionException("timeout",
                $"the query ran longer than the statement timeout of {o.StatementTimeoutSeconds} s (Agent:StatementTimeoutSeconds) and was cancelled", ex);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new QueryExecutionException("not_allowed", $"the replica refused the statement: {ex.MessageText} (generated SQL may only read)", ex);
        }
        catch (PostgresException ex)
        {
            throw new QueryExecutionException("sql_error", $"{ex.SqlState}: {ex.MessageText}", ex);
        }
        catch (NpgsqlException ex)
        {
            throw new QueryExecutionException("unavailable", "the replica is unreachable: " + ex.Message, ex);
        }
    }

    /// <summary>Dates as DateOnly/UTC so answers and JSON do not depend on the server's zone.</summary>
    private static object Normalize(object v) => v switch
    {
        DateTime { Kind: DateTimeKind.Unspecified } d when d.TimeOfDay == TimeSpan.Zero => DateOnly.FromDateTime(d),
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Utc ? d : DateTime.SpecifyKind(d, DateTimeKind.Utc)),
        _ => v,
    };
}
