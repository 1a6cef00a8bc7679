using System.Reflection;

namespace StrategicAgent.Ml.Features;

/// <summary>
/// The SQL that reads feature rows from the replica's feature views. Column lists come from the
/// row classes' attributes, so a view and its class cannot drift apart silently: a missing
/// column fails the query with its name.
/// </summary>
public static class FeatureSql
{
    /// <summary>Columns a row class reads from its view (features set in C# are skipped).</summary>
    public static IReadOnlyList<string> ColumnsOf(Type rowType) =>
        FeatureSet.Columns(rowType).Select(c => c.Column).Where(c => c != "target").Distinct().ToList();

    internal static string Training(string view, Type rowType, string? where = null)
    {
        var cols = string.Join(", ", ColumnsOf(rowType));
        var filter = where ?? "label IS NOT NULL";
        // Newest $1 rows (a cap for very large tenants), returned oldest first for the split.
        return $"""
            SELECT * FROM (
                SELECT {cols} FROM {view}
                WHERE {filter} AND label_known_at IS NOT NULL
                ORDER BY label_known_at DESC, entity_id DESC
                LIMIT $1
            ) t ORDER BY label_known_at, entity_id
            """;
    }

    internal static string Prediction(string view, Type rowType) =>
        $"SELECT {string.Join(", ", ColumnsOf(rowType))} FROM {view} WHERE client_id = $1 AND entity_id = ANY($2)";

    /// <summary>
    /// Raw prediction-log rows for the anomaly model, oldest first; <c>$1</c> = row cap <b>per tenant</b> (its newest
    /// rows): a tenant with heavy traffic cannot push another tenant's history out of the training read.
    /// </summary>
    public const string AnomalyTraining = """
        SELECT entity_id, client_id, model_name, prediction_key, label_known_at, prediction_value, previous_value,
               input_feature_count, prediction_confidence, response_time_ms, hour_of_day, day_of_week, is_anomaly
        FROM (
            SELECT a.*, row_number() OVER (PARTITION BY a.client_id ORDER BY a.label_known_at DESC, a.entity_id DESC) AS newest
            FROM ml.anomaly_features a
        ) t
        WHERE newest <= $1
        ORDER BY label_known_at, entity_id
        """;

    /// <summary>Raw prediction-log rows by id (<c>$1</c> = client id, <c>$2</c> = log ids).</summary>
    public const string AnomalyPrediction = """
        SELECT entity_id, client_id, model_name, prediction_key, label_known_at, prediction_value, previous_value,
               input_feature_count, prediction_confidence, response_time_ms, hour_of_day, day_of_week, is_anomaly
        FROM ml.anomaly_features
        WHERE client_id = $1 AND entity_id = ANY($2)
        """;

    internal static IEnumerable<(PropertyInfo Property, string Column)> Map(Type rowType) => FeatureSet.Columns(rowType);
}
