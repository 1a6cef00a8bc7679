using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Data;

/// <summary>
/// Runs a tie probe (<see cref="TieProbeSql"/>) on the replica as the tenant: READ ONLY, the query role, row-level security, the
/// cost stage's statement timeout, always rolled back. Only SQL that passed the static and cost stages gets here. A probe that
/// fails or runs out of time answers null (the caller cannot tell), never "no tie".
/// </summary>
public sealed partial class ReplicaTieProbe(NpgsqlDataSource dataSource, IOptions<ValidationOptions> options, ILogger<ReplicaTieProbe> logger) : ITieProbe
{
    public async Task<long?> CountAsync(string probeSql, long clientId, CancellationToken ct)
    {
        var timeout = TimeSpan.FromMilliseconds(options.Value.Cost.TimeoutMs);
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(timeout);
            await using var connection = await dataSource.OpenConnectionAsync(budget.Token);
            await using var tx = await TenantSession.BeginReadOnlyAsync(connection, clientId, timeout, budget.Token);
            await using var command = new NpgsqlCommand(probeSql, connection, tx);
            var count = await command.ExecuteScalarAsync(budget.Token);
            await tx.RollbackAsync(budget.Token);
            return Convert.ToInt64(count, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or InvalidCastException && !ct.IsCancellationRequested)
        {
            LogProbeFailed(logger, e.GetType().Name, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tie probe could not run ({Kind}): {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string kind, string reason);
}
