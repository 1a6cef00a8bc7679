using Npgsql;

namespace StrategicAgent.Data;

/// <summary>
/// Opens the transaction every generated or tenant-facing read runs in: READ ONLY, as the
/// SELECT-only role <c>sa_query</c>, with <c>app.client_id</c> set for this transaction only
/// (row-level security keys on it) and a statement timeout.
/// </summary>
public static class TenantSession
{
    public const string QueryRole = "sa_query";

    public static async Task<NpgsqlTransaction> BeginReadOnlyAsync(
        NpgsqlConnection connection, long clientId, TimeSpan statementTimeout, CancellationToken ct)
    {
        var tx = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET TRANSACTION READ ONLY"),
                // Settings first, then the role: sa_query itself may not call set_config
                // (migration 0005), so a query cannot change its tenant or its role.
                new NpgsqlBatchCommand("SELECT set_config('app.client_id', $1, true), set_config('statement_timeout', $2, true)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter { Value = clientId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                        new NpgsqlParameter { Value = ((long)statementTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    },
                },
                new NpgsqlBatchCommand("SET LOCAL ROLE " + QueryRole),
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
        return tx;
    }
}
