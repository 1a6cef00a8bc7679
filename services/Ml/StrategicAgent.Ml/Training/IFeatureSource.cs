using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Training;

/// <summary>Reads training rows from the replica's feature views (the service's implementation is the only database training reads).</summary>
public interface IFeatureSource
{
    Task<List<T>> ReadAsync<T>(FeatureSet set, int maxRows, CancellationToken ct) where T : class, IFeatureRow, new();
    Task<List<PredictionLogEntry>> ReadPredictionLogAsync(int maxRows, CancellationToken ct);
}
