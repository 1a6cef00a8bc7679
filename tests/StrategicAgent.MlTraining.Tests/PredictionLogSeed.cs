using Npgsql;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>Fills the replica's prediction log with a simulated one (once per test run).</summary>
public static class PredictionLogSeed
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task EnsureAsync(DemoDataFixture db, int count = 4000)
    {
        await Gate.WaitAsync();
        try
        {
            await using var conn = await db.OpenReplicaAsync();
            await using (var check = new NpgsqlCommand("SELECT count(*) FROM ml.ml_prediction_log WHERE prediction_key IS NOT NULL", conn))
            {
                if ((long)(await check.ExecuteScalarAsync())! >= count) return;
            }
            var entries = PredictionLogSimulator.Generate(count, DemoDataFixture.AsOf, seed: 7);
            await using var writer = await conn.BeginBinaryImportAsync(
                "COPY ml.ml_prediction_log (model_name, prediction_key, prediction_value, input_feature_count, prediction_confidence, response_time_ms, created_at, client_id) FROM STDIN (FORMAT BINARY)");
            foreach (var e in entries)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(e.ModelName);
                await writer.WriteAsync(e.PredictionKey);
                await writer.WriteAsync(e.PredictionValue);
                await writer.WriteAsync(e.InputFeatureCount);
                await writer.WriteAsync(e.Confidence ?? 0.5);
                await writer.WriteAsync(e.ResponseTimeMs ?? 1.0);
                await writer.WriteAsync(e.CreatedAt, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(e.ClientId);
            }
            await writer.CompleteAsync();
        }
        finally
        {
            Gate.Release();
        }
    }
}
