using Npgsql;

namespace StrategicAgent.MlTraining.Data;

public sealed record DeploymentRow(long Id, string ModelName, long VersionId, long? PreviousVersionId, string Strategy, string? Reason, DateTimeOffset DeployedAt);

public sealed record RunRow(long Id, string RequestId, string ModelName, string Status, string? Stage, long? VersionId, string? FailureReason,
    string? RequestedBy, bool Deployed, string? DeployReason, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

/// <summary>Deployment and run history for the admin API.</summary>
public sealed class HistoryStore(NpgsqlDataSource replica)
{
    public async Task<List<DeploymentRow>> DeploymentsAsync(string? model, int limit, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand("""
            SELECT id, model_name, version_id, previous_version_id, strategy, reason, deployed_at
            FROM ml.model_deployments WHERE ($1::text IS NULL OR model_name = $1)
            ORDER BY deployed_at DESC, id DESC LIMIT $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)model ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<DeploymentRow>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new DeploymentRow(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3),
                r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetFieldValue<DateTimeOffset>(6)));
        }
        return list;
    }

    public async Task<List<RunRow>> RunsAsync(string? model, int limit, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand("""
            SELECT id, request_id, model_name, status, stage, version_id, failure_reason, requested_by, deployed, deploy_reason, created_at, finished_at
            FROM ml.training_runs WHERE ($1::text IS NULL OR model_name = $1)
            ORDER BY created_at DESC, id DESC LIMIT $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)model ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<RunRow>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new RunRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetFieldValue<DateTimeOffset>(10),
                r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11)));
        }
        return list;
    }
}
