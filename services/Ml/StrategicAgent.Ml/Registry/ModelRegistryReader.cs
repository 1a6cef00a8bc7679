using System.Text.Json;
using Npgsql;
using StrategicAgent.Ml.Modeling;

namespace StrategicAgent.Ml.Registry;

/// <summary>A registered model version (a row of <c>ml.model_versions</c>).</summary>
public sealed record RegisteredModel
{
    public required long Id { get; init; }
    public required string ModelName { get; init; }
    public required int Version { get; init; }
    public required string Algorithm { get; init; }
    public required VersionStatus Status { get; init; }
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, double> BaselineMetrics { get; init; } = new Dictionary<string, double>();
    /// <summary>The feature schema as JSON (list of {property, column, kind, description}).</summary>
    public string FeatureSchemaJson { get; init; } = "[]";
    public TrainingStatistics? TrainingStats { get; init; }
    public ModelCalibration? Calibration { get; init; }
    public long TrainingRows { get; init; }
    public DateTimeOffset? DataFrom { get; init; }
    public DateTimeOffset? DataTo { get; init; }
    public double? DurationSeconds { get; init; }
    public string? FailureReason { get; init; }
    public string? RequestId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>The ML.NET model bytes; null when read without the artefact or for a failed version.</summary>
    public byte[]? Artifact { get; init; }
}

/// <summary>
/// Read access to the registry in the replica's <c>ml</c> schema: what the prediction service
/// needs to load the deployed version of a model and what the admin API lists.
/// </summary>
public sealed class ModelRegistryReader(NpgsqlDataSource replica)
{
    private const string Columns = """
        id, model_name, version, algorithm, status, hyperparameters::text, metrics::text, baseline_metrics::text,
        feature_schema::text, training_stats::text, calibration::text, training_rows, data_from, data_to,
        duration_seconds, failure_reason, request_id, created_at
        """;

    /// <summary>The deployed version of a model with its artefact, or null when none is deployed.</summary>
    public async Task<RegisteredModel?> GetDeployedAsync(string modelName, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand(
            $"SELECT {Columns}, artifact FROM ml.model_versions WHERE model_name = $1 AND status = 'deployed' ORDER BY id DESC LIMIT 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = modelName });
        return (await ReadAsync(cmd, withArtifact: true, ct)).FirstOrDefault();
    }

    public async Task<RegisteredModel?> GetVersionAsync(long versionId, bool withArtifact, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand(
            $"SELECT {Columns}{(withArtifact ? ", artifact" : "")} FROM ml.model_versions WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = versionId });
        return (await ReadAsync(cmd, withArtifact, ct)).FirstOrDefault();
    }

    /// <summary>All versions of a model, newest first, without artefacts.</summary>
    public async Task<IReadOnlyList<RegisteredModel>> ListVersionsAsync(string modelName, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand(
            $"SELECT {Columns} FROM ml.model_versions WHERE model_name = $1 ORDER BY version DESC");
        cmd.Parameters.Add(new NpgsqlParameter { Value = modelName });
        return await ReadAsync(cmd, withArtifact: false, ct);
    }

    private static async Task<List<RegisteredModel>> ReadAsync(NpgsqlCommand cmd, bool withArtifact, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<RegisteredModel>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new RegisteredModel
            {
                Id = r.GetInt64(0),
                ModelName = r.GetString(1),
                Version = r.GetInt32(2),
                Algorithm = r.GetString(3),
                Status = RegistryText.VersionStatusOf(r.GetString(4)),
                Hyperparameters = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(5)) ?? [],
                Metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(6), MlJson.Options) ?? [],
                BaselineMetrics = JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(7), MlJson.Options) ?? [],
                FeatureSchemaJson = r.GetString(8),
                TrainingStats = r.GetString(9) is "{}" ? null : MlJson.Deserialize<TrainingStatistics>(r.GetString(9)),
                Calibration = r.GetString(10) is "{}" ? null : MlJson.Deserialize<ModelCalibration>(r.GetString(10)),
                TrainingRows = r.GetInt64(11),
                DataFrom = r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                DataTo = r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13),
                DurationSeconds = r.IsDBNull(14) ? null : r.GetDouble(14),
                FailureReason = r.IsDBNull(15) ? null : r.GetString(15),
                RequestId = r.IsDBNull(16) ? null : r.GetString(16),
                CreatedAt = r.GetFieldValue<DateTimeOffset>(17),
                Artifact = withArtifact && !r.IsDBNull(18) ? (byte[])r.GetValue(18) : null,
            });
        }
        return list;
    }
}
