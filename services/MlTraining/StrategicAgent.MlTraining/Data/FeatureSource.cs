using Npgsql;
using StrategicAgent.Ml.Features;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Data;

/// <summary>Training rows from the replica's feature views (the only database training reads).</summary>
public sealed class FeatureSource(NpgsqlDataSource replica) : IFeatureSource
{
    public Task<List<T>> ReadAsync<T>(FeatureSet set, int maxRows, CancellationToken ct) where T : class, IFeatureRow, new() =>
        FeatureReader.ReadTrainingRowsAsync<T>(replica, set, maxRows, ct);

    public async Task<List<PredictionLogEntry>> ReadPredictionLogAsync(int maxRows, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand(FeatureSql.AnomalyTraining);
        cmd.CommandTimeout = 0;
        cmd.Parameters.Add(new NpgsqlParameter { Value = (long)maxRows });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await PredictionLogEntry.ReadAllAsync(reader, ct);
    }
}
