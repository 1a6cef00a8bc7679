using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>The ML library's pooled prediction engines (small calls) score exactly like its batch transform (large calls), also concurrently.</summary>
public sealed class ModelPredictorTests(PredictionFixture f)
{
    [Fact]
    public async Task Pooled_engines_and_the_batch_transform_give_the_same_scores()
    {
        var ct = TestContext.Current.CancellationToken;
        var predictor = f.Host.Models.Get(ModelNames.Complexity).Predictor;
        await using var conn = await f.OpenReplicaAsync(ct);
        await using var cmd = new NpgsqlCommand(
            $"SELECT {string.Join(", ", FeatureSql.ColumnsOf(typeof(ComplexityFeatures)))} FROM ml.complexity_features WHERE client_id = 1 ORDER BY entity_id LIMIT 200", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = await FeatureReader.ReadAllAsync<ComplexityFeatures>(reader, ct);
        Assert.True(rows.Count > ModelPredictor.EngineRowLimit);

        var batch = predictor.RawScores(rows); // data-view transform
        var single = await Task.WhenAll(rows.Select(r => Task.Run(() => predictor.RawScores([r])[0], ct)));  // pooled engines, concurrently
        Assert.Equal(batch, single);
    }
}
