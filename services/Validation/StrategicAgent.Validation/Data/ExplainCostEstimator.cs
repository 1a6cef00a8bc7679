using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Data;

/// <summary>
/// The cost stage: <c>EXPLAIN (FORMAT JSON)</c> of the query on the replica, as the query role,
/// inside a READ ONLY transaction with a short statement timeout (<see cref="TenantSession"/>), always
/// rolled back. EXPLAIN without ANALYZE plans and does not run the query. Queries with <c>$n</c>
/// parameters are planned as a generic plan (PREPARE with <c>plan_cache_mode = force_generic_plan</c>),
/// so the estimate does not depend on made-up parameter values.
/// </summary>
public sealed class ExplainCostEstimator(NpgsqlDataSource dataSource, IOptions<ValidationOptions> options) : ICostEstimator
{
    public async Task<CostOutcome> EstimateAsync(string sql, int parameterCount, long clientId, CancellationToken ct)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await dataSource.OpenConnectionAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new DependencyUnavailableException("The replica is not reachable for the cost check: " + e.Message, e);
        }
        await using (connection)
        {
            var timeout = TimeSpan.FromMilliseconds(options.Value.Cost.TimeoutMs);
            var prefix = ExplainPrefix.Length;
            string? prepared = null;
            try
            {
                await using var tx = await TenantSession.BeginReadOnlyAsync(connection, clientId, timeout, ct);
                string planJson;
                if (parameterCount == 0)
                {
                    await using var explain = new NpgsqlCommand(ExplainPrefix + sql, connection, tx);
                    planJson = (string)(await explain.ExecuteScalarAsync(ct))!;
                }
                else
                {
                    prepared = "sa_cost_" + Guid.NewGuid().ToString("N");
                    var prepare = $"PREPARE {prepared} AS ";
                    prefix = prepare.Length;
                    await using (var setup = new NpgsqlBatch(connection, tx)
                    {
                        BatchCommands =
                        {
                            new NpgsqlBatchCommand("SET LOCAL plan_cache_mode = force_generic_plan"),
                            new NpgsqlBatchCommand(prepare + sql),
                        },
                    })
                    {
                        await setup.ExecuteNonQueryAsync(ct);
                    }
                    prefix = 0;
                    var args = string.Join(", ", Enumerable.Repeat("NULL", parameterCount));
                    await using var explain = new NpgsqlCommand($"{ExplainPrefix}EXECUTE {prepared}({args})", connection, tx);
                    planJson = (string)(await explain.ExecuteScalarAsync(ct))!;
                }
                await tx.RollbackAsync(ct);
                using var plan = JsonDocument.Parse(planJson);
                var top = plan.RootElement[0].GetProperty("Plan");
                return new CostOutcome(top.GetProperty("Total Cost").GetDouble(), top.GetProperty("Plan Rows").GetDouble(), null);
            }
            catch (PostgresException e)
            {
                return new CostOutcome(0, 0, PlanError(e, sql, prefix));
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                throw new DependencyUnavailableException("The cost check failed to talk to the replica: " + e.Message, e);
            }
            finally
            {
                // Prepared statements belong to the session, not the (rolled back) transaction.
                if (prepared is not null && connection.State == System.Data.ConnectionState.Open)
                {
                    try
                    {
                        await using var deallocate = new NpgsqlCommand($"DEALLOCATE {prepared}", connection);
                        await deallocate.ExecuteNonQueryAsync(CancellationToken.None);
                    }
                    catch (PostgresException)
                    {
                        // Never prepared (PREPARE itself failed).
                    }
                }
            }
        }
    }

    private const string ExplainPrefix = "EXPLAIN (FORMAT JSON) ";

    private static Finding PlanError(PostgresException e, string sql, int prefixLength)
    {
        var message = e.SqlState == PostgresErrorCodes.QueryCanceled
            ? "Planning the query took too long (statement timeout); simplify it."
            : $"PostgreSQL cannot plan the query: {e.MessageText}" + (e.Hint is { Length: > 0 } hint ? $" Hint: {hint}" : "");
        // e.Position is 1-based in characters of the text PostgreSQL received (prefix + sql).
        var position = prefixLength > 0 && e.Position > prefixLength ? Math.Min(e.Position - prefixLength, sql.Length) : 0;
        var (line, column) = LineColumn(sql, position);
        return new Finding(Codes.PlanError, message + $" (SQLSTATE {e.SqlState})", position, line, column);
    }

    private static (int, int) LineColumn(string sql, int position)
    {
        if (position <= 0)
        {
            return (0, 0);
        }
        var before = sql.AsSpan(0, position - 1);
        var line = before.Count('\n') + 1;
        var lastNl = before.LastIndexOf('\n');
        return (line, position - 1 - lastNl);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"EXPLAIN cost estimator (timeout {options.Value.Cost.TimeoutMs} ms)");
}
