using Npgsql;
using NpgsqlTypes;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Data;

/// <summary>What the retraining scheduler reads (training-data summary, last versions) and where it logs its decisions.</summary>
public sealed class SchedulerStore(NpgsqlDataSource replica)
{
    private const string Inputs = """
        SELECT s.model_name, s.training_rows, s.latest_data, v.created_at, v.training_rows, v.id,
               EXISTS (SELECT 1 FROM ml.training_runs r WHERE r.model_name = s.model_name AND r.status IN ('queued', 'running')
                       AND r.created_at > now() - interval '1 day')
        FROM ml.training_data_summary s
        LEFT JOIN LATERAL (
            SELECT created_at, training_rows, id FROM ml.model_versions m
            WHERE m.model_name = s.model_name AND m.status <> 'failed'
            ORDER BY m.created_at DESC LIMIT 1
        ) v ON true
        """;

    public async Task<List<RetrainingInputs>> ReadInputsAsync(CancellationToken ct)
    {
        await using (var refresh = replica.CreateCommand("SELECT ml.refresh_training_data_summary()"))
        {
            refresh.CommandTimeout = 0;
            await refresh.ExecuteNonQueryAsync(ct);
        }
        await using var cmd = replica.CreateCommand(Inputs);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<RetrainingInputs>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new RetrainingInputs(
                r.GetString(0),
                r.GetInt64(1),
                r.IsDBNull(2) ? null : r.GetFieldValue<DateTimeOffset>(2),
                r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3),
                r.IsDBNull(4) ? null : r.GetInt64(4),
                r.IsDBNull(5) ? null : r.GetInt64(5),
                r.GetBoolean(6)));
        }
        return list;
    }

    public async Task RecordAsync(RetrainingDecision d, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand("""
            INSERT INTO ml.retraining_decisions (model_name, due, reason, days_since_training, new_records, max_age_days, min_new_records, request_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.ModelName });
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.Due });
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.Reason });
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.DaysSinceTraining.HasValue ? d.DaysSinceTraining.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.NewRecords.HasValue ? d.NewRecords.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.MaxAgeDays });
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.MinNewRecords });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)d.RequestId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
