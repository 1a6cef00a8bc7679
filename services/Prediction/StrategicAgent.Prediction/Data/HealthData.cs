using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Prediction.Domain;

namespace StrategicAgent.Prediction.Data;

/// <summary>Health reads: recent logged features for drift, and replica lag.</summary>
public sealed class HealthData(NpgsqlDataSource replica, [FromKeyedServices(HealthData.PrimaryKey)] NpgsqlDataSource? primary = null) : IHealthData
{
    public const string PrimaryKey = "primary";

    private const string RecentSql =
        """
        SELECT input_features::text
        FROM ml.ml_prediction_log
        WHERE model_name = $1 AND model_version = $2
        ORDER BY created_at DESC
        LIMIT $3
        """;

    // Without the primary: how long ago the subscription last heard from it. The primary sends
    // keepalives when idle, so this is an upper bound on the lag, not an exact figure.
    private const string ReplicaSideSql =
        "SELECT extract(epoch FROM now() - greatest(last_msg_receipt_time, latest_end_time)) * 1000 FROM pg_stat_subscription WHERE subname = $1 AND pid IS NOT NULL LIMIT 1";

    public async Task<IReadOnlyList<string>> RecentFeatureJsonAsync(string modelName, int version, int rows, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand(RecentSql);
        cmd.Parameters.Add(new() { Value = modelName });
        cmd.Parameters.Add(new() { Value = version });
        cmd.Parameters.Add(new() { Value = rows });
        var list = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(r.GetString(0));
        }
        return list;
    }

    public async Task<(double? LagMs, string Detail)> ReplicaLagAsync(CancellationToken ct)
    {
        try
        {
            if (primary is not null)
            {
                await using var conn = await primary.OpenConnectionAsync(ct);
                var lag = await LogicalReplication.LagAsync(conn, ct);
                if (lag is null)
                {
                    return (null, "the subscription is not connected to the primary");
                }
                var (bytes, replyAge) = lag.Value;
                return bytes == 0
                    ? (0, "caught up (0 bytes behind the primary)")
                    : (replyAge?.TotalMilliseconds, $"{bytes} bytes behind the primary");
            }
            await using var cmd = replica.CreateCommand(ReplicaSideSql);
            cmd.Parameters.Add(new() { Value = LogicalReplication.SubscriptionName });
            var ms = await cmd.ExecuteScalarAsync(ct);
            return ms is null or DBNull
                ? (null, "the subscription is not running")
                : (Convert.ToDouble(ms, System.Globalization.CultureInfo.InvariantCulture), "upper bound: time since the replica last heard from the primary (configure ConnectionStrings:primary for an exact figure)");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return (null, "lag unknown: " + ex.Message);
        }
    }
}
