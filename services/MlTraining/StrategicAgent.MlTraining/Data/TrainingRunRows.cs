using System.Text.Json;
using Npgsql;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Data;

/// <summary>How a row of ml.training_runs is read (one column list for every query that returns runs).</summary>
internal static class TrainingRunRows
{
    public const string Columns = """
        id, request_id, model_name, status, stage, percent, message, version_id, failure_reason, requested_by,
        deploy_strategy, deployed, deploy_reason, created_at, started_at, updated_at, finished_at, stages::text
        """;

    /// <summary>
    /// The stages column after a change to stage $2 (percent $3, message $4): a new stage adds an
    /// entry, the same stage updates its last entry. The right-hand side sees the row before the update.
    /// </summary>
    public const string StagesAfterChange = """
        CASE WHEN stage IS NOT DISTINCT FROM $2::text AND jsonb_array_length(stages) > 0
             THEN jsonb_set(stages, ARRAY[(jsonb_array_length(stages) - 1)::text],
                            (stages -> -1) || jsonb_build_object('percent', $3::float8, 'message', $4::text))
             ELSE stages || jsonb_build_array(jsonb_build_object('stage', $2::text, 'percent', $3::float8, 'message', $4::text, 'started_at', now()))
        END
        """;

    public static TrainingRunState Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetInt64(0),
        RequestId = r.GetString(1),
        ModelName = r.GetString(2),
        Status = RegistryText.RunStatusOf(r.GetString(3)),
        Stage = RegistryText.RunStageOf(r.IsDBNull(4) ? null : r.GetString(4)),
        Percent = r.GetDouble(5),
        Message = r.IsDBNull(6) ? null : r.GetString(6),
        VersionId = r.IsDBNull(7) ? null : r.GetInt64(7),
        FailureReason = r.IsDBNull(8) ? null : r.GetString(8),
        RequestedBy = r.IsDBNull(9) ? null : r.GetString(9),
        DeployStrategy = RegistryText.DeployStrategyOf(r.IsDBNull(10) ? null : r.GetString(10)),
        Deployed = r.GetBoolean(11),
        DeployReason = r.IsDBNull(12) ? null : r.GetString(12),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(13),
        StartedAt = r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14),
        UpdatedAt = r.GetFieldValue<DateTimeOffset>(15),
        FinishedAt = r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16),
        Stages = ReadStages(r.GetString(17)),
    };

    private static List<TrainingRunStage> ReadStages(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var stages = new List<TrainingRunStage>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            stages.Add(new TrainingRunStage(
                RegistryText.RunStageOf(e.GetProperty("stage").GetString()),
                e.TryGetProperty("percent", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : 0,
                e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "",
                e.GetProperty("started_at").GetDateTimeOffset()));
        }
        return stages;
    }
}
