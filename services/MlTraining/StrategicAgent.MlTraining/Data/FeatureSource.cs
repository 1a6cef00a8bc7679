using Npgsql;
using StrategicAgent.Ml.Features;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Data;

/// <summary>Training rows from the replica's feature views (the only database training reads).</summary>
public sealed class FeatureSource(NpgsqlDataSource replica) : IFeatureSource
{
    public Task<List<T>> ReadAsync<T>(FeatureSet set, int maxRows, CancellationToken ct) where T : class, IFeatureRow, new() =>
        FeatureReader.ReadTrainingRowsAsync<T>(replica, set, maxRows, ct);

    public async Task<List<PredictionLogEntry>> ReadPredictionLogAsync(int maxRows, CancellationToken ct)
    {
        await using var conn = await replica.OpenConnectionAsync(ct);
        await using var tx = await FeatureReader.BeginTrainingReadAsync(conn, ct);
        await using var cmd = new NpgsqlCommand(FeatureSql.AnomalyTraining, conn, tx);
        cmd.CommandTimeout = 0;
        cmd.Parameters.Add(new NpgsqlParameter { Value = (long)maxRows });
        List<PredictionLogEntry> rows;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            rows = await PredictionLogEntry.ReadAllAsync(reader, ct);
        }
        await tx.CommitAsync(ct);
        return rows;
    }
}
