using Npgsql;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Data;

public sealed record DeploymentRow(long Id, string ModelName, long VersionId, long? PreviousVersionId, DeployStrategy Strategy, string? Reason, DateTimeOffset DeployedAt);

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
                RegistryText.DeployStrategyOf(r.GetString(4)) ?? throw new InvalidDataException("ml.model_deployments.strategy is empty."), r.IsDBNull(5) ? null : r.GetString(5), r.GetFieldValue<DateTimeOffset>(6)));
        }
        return list;
    }

    public async Task<List<TrainingRunState>> RunsAsync(string? model, int limit, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand($"""
            SELECT {TrainingRunRows.Columns}
            FROM ml.training_runs WHERE ($1::text IS NULL OR model_name = $1)
            ORDER BY created_at DESC, id DESC LIMIT $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)model ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<TrainingRunState>();
        while (await r.ReadAsync(ct))
        {
            list.Add(TrainingRunRows.Read(r));
        }
        return list;
    }

    /// <summary>One run by its request id, or null when the model has none with that id.</summary>
    public async Task<TrainingRunState?> GetRunAsync(string model, string requestId, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand($"SELECT {TrainingRunRows.Columns} FROM ml.training_runs WHERE request_id = $1 AND model_name = $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = requestId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = model });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? TrainingRunRows.Read(r) : null;
    }
}
