using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Data;

/// <summary>
/// The cost stage: the query's generic plan on the replica, as the query role, inside a READ ONLY
/// transaction with a statement timeout (<see cref="TenantSession"/>), always rolled back. What is
/// planned is <see cref="PlanSafeSql"/>'s text — literals as typed parameters, argument-less calls
/// behind sub-selects — with <c>PREPARE</c> + <c>plan_cache_mode = force_generic_plan</c> +
/// <c>EXPLAIN EXECUTE … (NULL, …)</c>, so planning never computes anything the caller wrote.
/// Bounds per validation: <c>statement_timeout</c> on every statement, the whole check within
/// <c>Cost:TimeoutMs</c>, <c>work_mem</c> pinned, and at most <c>Cost:MaxConcurrent</c> checks on the replica at once.
/// </summary>
public sealed partial class ExplainCostEstimator(NpgsqlDataSource dataSource, IOptions<ValidationOptions> options) : ICostEstimator, IDisposable
{
    // Retries re-prepare after PostgreSQL could not type a parameter; a handful covers real queries.
    private const int MaxAttempts = 6;

    private readonly SemaphoreSlim _slots = new(options.Value.Cost.MaxConcurrent);

    public async Task<CostOutcome> EstimateAsync(string sql, PlanSafeSql safe, int parameterCount, long clientId, CancellationToken ct)
    {
        if (safe.Error is { } why)
        {
            return new CostOutcome(0, 0, new Finding(Codes.PlanError,
                $"The cost check cannot plan this query without evaluating parts of it ({why}); simplify the expression."));
        }
        var limits = options.Value.Cost;
        await _slots.WaitAsync(ct);
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(limits.TimeoutMs);
            try
            {
                return await PlanAsync(sql, safe, clientId, budget.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new CostOutcome(0, 0, TooSlow());
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<CostOutcome> PlanAsync(string sql, PlanSafeSql safe, long clientId, CancellationToken ct)
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
            var limits = options.Value.Cost;
            var prepared = new List<string>();
            try
            {
                await using var tx = await TenantSession.BeginReadOnlyAsync(connection, clientId, TimeSpan.FromMilliseconds(limits.TimeoutMs), ct);
                await using (var settings = new NpgsqlCommand(
                    $"SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL work_mem = '{limits.WorkMemKb.ToString(CultureInfo.InvariantCulture)}kB'", connection, tx))
                {
                    await settings.ExecuteNonQueryAsync(ct);
                }
                var types = safe.ParameterTypes.ToArray();
                for (var attempt = 1; ; attempt++)
                {
                    var name = "sa_cost_" + Guid.NewGuid().ToString("N");
                    var prepare = new StringBuilder("PREPARE ").Append(name);
                    if (types.Length > 0)
                    {
                        prepare.Append('(').AppendJoin(", ", types).Append(')');
                    }
                    prepare.Append(" AS ");
                    var prefix = prepare.Length;
                    await tx.SaveAsync("prepare", ct);
                    try
                    {
                        await using var command = new NpgsqlCommand(prepare.Append(safe.Text).ToString(), connection, tx);
                        await command.ExecuteNonQueryAsync(ct);
                        prepared.Add(name);
                    }
                    catch (PostgresException e) when (attempt < MaxAttempts && e.SqlState != PostgresErrorCodes.QueryCanceled)
                    {
                        await tx.RollbackAsync("prepare", ct);
                        // A string literal's type comes from its context; where the context gives none
                        // (concat('a', x): an argument of type "any"), SQL would read it as text.
                        if (e.SqlState == PostgresErrorCodes.IndeterminateDatatype && UntypedParameter(e.MessageText) is { } n
                            && n <= types.Length && types[n - 1] == "unknown" && n > safe.UserParameterCount)
                        {
                            types[n - 1] = "text";
                            continue;
                        }
                        // Two equal literals in contexts of different types cannot share a parameter.
                        if (safe.SharedDuplicates)
                        {
                            safe = PlanSafeSql.Create(sql, shareDuplicates: false);
                            types = safe.ParameterTypes.ToArray();
                            continue;
                        }
                        return new CostOutcome(0, 0, PlanError(e, safe, prefix));
                    }
                    catch (PostgresException e)
                    {
                        return new CostOutcome(0, 0, PlanError(e, safe, prefix));
                    }

                    var args = string.Join(", ", Enumerable.Repeat("NULL", types.Length));
                    await using var explain = new NpgsqlCommand(
                        types.Length == 0 ? $"{ExplainPrefix}EXECUTE {name}" : $"{ExplainPrefix}EXECUTE {name}({args})", connection, tx);
                    string planJson;
                    try
                    {
                        planJson = (string)(await explain.ExecuteScalarAsync(ct))!;
                    }
                    catch (PostgresException e)
                    {
                        return new CostOutcome(0, 0, PlanError(e, safe, 0));
                    }
                    await tx.RollbackAsync(ct);
                    using var plan = JsonDocument.Parse(planJson);
                    var top = plan.RootElement[0].GetProperty("Plan");
                    return new CostOutcome(top.GetProperty("Total Cost").GetDouble(), top.GetProperty("Plan Rows").GetDouble(), null);
                }
            }
            catch (PostgresException e)
            {
                return new CostOutcome(0, 0, PlanError(e, safe, 0));
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                throw new DependencyUnavailableException("The cost check failed to talk to the replica: " + e.Message, e);
            }
            finally
            {
                // Prepared statements belong to the session, not the (rolled back) transaction.
                foreach (var name in prepared)
                {
                    if (connection.State != System.Data.ConnectionState.Open)
                    {
                        break;
                    }
                    try
                    {
                        await using var deallocate = new NpgsqlCommand($"DEALLOCATE {name}", connection);
                        await deallocate.ExecuteNonQueryAsync(CancellationToken.None);
                    }
                    catch (NpgsqlException)
                    {
                        // The connection broke; its session (and the statement) is gone with it.
                    }
                }
            }
        }
    }

    private const string ExplainPrefix = "EXPLAIN (FORMAT JSON) ";

    [GeneratedRegex(@"parameter \$(\d+)")]
    private static partial Regex ParameterReference();

    private static int? UntypedParameter(string message) =>
        ParameterReference().Match(message) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    private static Finding TooSlow() =>
        new(Codes.PlanError, $"Planning the query took too long (statement timeout); simplify it. (SQLSTATE {PostgresErrorCodes.QueryCanceled})");

    private static Finding PlanError(PostgresException e, PlanSafeSql safe, int prefixLength)
    {
        if (e.SqlState == PostgresErrorCodes.QueryCanceled)
        {
            return TooSlow();
        }
        // The message speaks of the planned text: name the caller's literal instead of its parameter.
        var text = ParameterReference().Replace(e.MessageText, m =>
            int.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out var n) && safe.LiteralOf(n) is { } literal
                ? "the constant " + (literal.Length > 40 ? literal[..40] + "…" : literal)
                : m.Value);
        var message = $"PostgreSQL cannot plan the query: {text}" + (e.Hint is { Length: > 0 } hint ? $" Hint: {hint}" : "");
        // e.Position is 1-based in characters of the text PostgreSQL received (prefix + planned text).
        var position = prefixLength > 0 && e.Position > prefixLength ? safe.OriginalPosition(e.Position - prefixLength - 1) : 0;
        var (line, column) = LineColumn(safe, position);
        return new Finding(Codes.PlanError, message + $" (SQLSTATE {e.SqlState})", position, line, column);
    }

    private static (int, int) LineColumn(PlanSafeSql safe, int position) => position <= 0 ? (0, 0) : safe.LineColumn(position);

    public void Dispose() => _slots.Dispose();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"EXPLAIN cost estimator (generic plans of parameterised SQL, timeout {options.Value.Cost.TimeoutMs} ms, at most {options.Value.Cost.MaxConcurrent} at once)");
}
