using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos;

namespace StrategicAgent.Prediction.Data;

/// <summary>Anomaly alerts in the replica's <c>ml.ml_anomaly_alerts</c>; every read and write is tenant-scoped by client_id.</summary>
public sealed class AlertStore(NpgsqlDataSource dataSource)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private const string Columns =
        "id, client_id, model_name, severity, coalesce((alert_data->>'score')::float8, 0), alert_data::text, recommended_action, acknowledged, acknowledged_by, acknowledged_at, created_at";

    private const string InsertSql =
        """
        INSERT INTO ml.ml_anomaly_alerts (model_name, severity, alert_data, recommended_action, created_at, client_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::timestamptz[], $6::bigint[])
        RETURNING id
        """;

    private const string ListSql =
        $"""
        SELECT {Columns}
        FROM ml.ml_anomaly_alerts
        WHERE client_id = $1
          AND ($2::text IS NULL OR severity = $2)
          AND ($3::boolean IS NULL OR acknowledged = $3)
          AND ($4::text IS NULL OR model_name = $4)
        ORDER BY created_at DESC, id DESC
        LIMIT $5
        """;

    private const string AcknowledgeSql =
        $"""
        UPDATE ml.ml_anomaly_alerts
        SET acknowledged = true,
            acknowledged_by = coalesce(acknowledged_by, $3),
            acknowledged_at = coalesce(acknowledged_at, now())
        WHERE id = $2 AND client_id = $1
        RETURNING {Columns}
        """;

    /// <summary>Inserts alerts inside the caller's transaction; returns their ids in order.</summary>
    public static async Task<long[]> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<AnomalyAlert> alerts, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(InsertSql, conn, tx)
        {
            Parameters =
            {
                new() { Value = alerts.Select(a => a.ModelName).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = alerts.Select(a => a.Severity.ToWire()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = alerts.Select(a => JsonSerializer.Serialize(WithScore(a), Json)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb },
                new() { Value = alerts.Select(a => a.RecommendedAction).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = alerts.Select(a => a.DetectedAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                new() { Value = alerts.Select(a => a.ClientId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
            },
        };
        var ids = new long[alerts.Count];
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var i = 0;
        while (await r.ReadAsync(ct))
        {
            ids[i++] = r.GetInt64(0);
        }
        return ids;
    }

    private static Dictionary<string, object?> WithScore(AnomalyAlert a) =>
        new(a.Data) { ["score"] = a.Score };

    public async Task<IReadOnlyList<StoredAlert>> ListAsync(long clientId, AlertSeverity? severity, bool? acknowledged, string? modelName, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(ListSql);
        cmd.Parameters.Add(new() { Value = clientId });
        cmd.Parameters.Add(new() { Value = (object?)severity?.ToWire() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)acknowledged ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
        cmd.Parameters.Add(new() { Value = (object?)modelName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = limit });
        var result = new List<StoredAlert>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            result.Add(Read(r));
        }
        return result;
    }

    /// <summary>Acknowledges one of the tenant's alerts; null when the tenant has no alert with that id.</summary>
    public async Task<StoredAlert?> AcknowledgeAsync(long clientId, long id, string acknowledgedBy, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(AcknowledgeSql);
        cmd.Parameters.Add(new() { Value = clientId });
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = acknowledgedBy });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    private static StoredAlert Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), SeverityOf(r.GetInt64(0), r.GetString(3)), r.GetDouble(4), r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.GetBoolean(7), r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9), r.GetFieldValue<DateTimeOffset>(10));

    private static AlertSeverity SeverityOf(long id, string text) =>
        WireNames.TryParse<AlertSeverity>(text, out var s) ? s
            : throw new InvalidOperationException($"Alert {id} has the severity '{text}', which is none of {string.Join(", ", WireNames.All<AlertSeverity>())}.");
}
