using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using MlLogEntry = StrategicAgent.Ml.Features.PredictionLogEntry;

namespace StrategicAgent.Prediction.Domain;

/// <summary>
/// Scores logged predictions with the deployed anomaly model over the monitoring features
/// (value, change from the previous prediction for the same key, input feature count,
/// confidence, latency, hour and day — built by the ML library exactly as in training),
/// grades them by <see cref="AnomalyOptions"/> and turns the serious ones into alerts with the
/// data behind them and a recommended action. Runs in the log writer, off the request path.
/// </summary>
public sealed class AnomalyScorer(DeployedModels<LoadedModel> models, IOptions<AnomalyOptions> options) : IPredictionScorer
{
    private readonly AnomalyOptions _o = options.Value;
    private readonly ConcurrentDictionary<(long, string, string), double> _previous = new();

    public IReadOnlyList<AnomalyAlert> Score(IReadOnlyList<PredictionLogEntry> batch)
    {
        var model = models.Find(ModelNames.Anomaly);
        var cal = model?.Predictor.Calibration.Anomaly;
        var entries = new List<MlLogEntry>(batch.Count);
        foreach (var e in batch)
        {
            var k = (e.ClientId, e.ModelName, e.Key);
            double? previous = _previous.TryGetValue(k, out var prev) ? prev : null;
            if (_previous.Count >= _o.PreviousValueMemory && _o.PreviousValueMemory > 0)
            {
                _previous.Clear(); // bounded memory; "previous" restarts from here
            }
            if (_o.PreviousValueMemory > 0)
            {
                _previous[k] = e.Value;
            }
            entries.Add(new MlLogEntry
            {
                ClientId = e.ClientId,
                ModelName = e.ModelName,
                CreatedAt = e.CreatedAt.UtcDateTime,
                PredictionValue = e.Value,
                PreviousValue = previous,
                InputFeatureCount = e.FeatureCount,
                Confidence = e.Confidence,
                ResponseTimeMs = e.ResponseTimeMs,
            });
        }
        if (model is null || cal is null)
        {
            return [];
        }

        var scored = model.Predictor.ScoreAnomalies(entries);
        var alerts = new List<AnomalyAlert>();
        var minimum = AnomalyOptions.Rank(_o.MinimumAlertSeverity);
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i];
            var score = scored[i].Score;
            var severity = _o.Classify(score, cal.Threshold, cal.High, cal.Critical);
            e.AnomalyScore = score;
            e.Severity = severity;
            e.IsAnomaly = AnomalyOptions.Rank(severity) >= AnomalyOptions.Rank("medium");
            if (severity is null || AnomalyOptions.Rank(severity) < minimum)
            {
                continue;
            }
            var f = AnomalyFeatureBuilder.Build(entries[i], cal.Stats);
            var (cause, action) = Explain(e, f);
            alerts.Add(new AnomalyAlert
            {
                ClientId = e.ClientId,
                ModelName = e.ModelName,
                Severity = severity,
                Score = score,
                RecommendedAction = action,
                DetectedAt = e.CreatedAt,
                Data = new Dictionary<string, object?>
                {
                    ["prediction_key"] = e.Key,
                    ["model_version"] = e.ModelVersion,
                    ["anomaly_model_version"] = model.Version,
                    ["prediction_value"] = e.Value,
                    ["previous_value"] = entries[i].PreviousValue,
                    ["prediction_confidence"] = e.Confidence,
                    ["input_feature_count"] = e.FeatureCount,
                    ["response_time_ms"] = e.ResponseTimeMs,
                    ["predicted_at"] = e.CreatedAt,
                    ["threshold"] = cal.Threshold,
                    ["high_cut"] = cal.High,
                    ["critical_cut"] = cal.Critical,
                    ["likely_cause"] = cause,
                    ["monitoring_features"] = new Dictionary<string, double>
                    {
                        ["value_z"] = f.ValueZ,
                        ["previous_value_z"] = f.PreviousValueZ,
                        ["feature_count_z"] = f.FeatureCountZ,
                        ["confidence_z"] = f.ConfidenceZ,
                        ["latency_z"] = f.LatencyZ,
                        ["hour_sin"] = f.HourSin,
                        ["hour_cos"] = f.HourCos,
                        ["dow_sin"] = f.DowSin,
                        ["dow_cos"] = f.DowCos,
                    },
                },
            });
        }
        return alerts;
    }

    /// <summary>The monitoring feature furthest from normal names the likely cause and what to do.</summary>
    internal static (string Cause, string Action) Explain(PredictionLogEntry e, AnomalyFeatures f)
    {
        var candidates = new (string Cause, double Z, string Action)[]
        {
            ("prediction_value", Math.Abs(f.ValueZ),
                $"The {e.ModelName} prediction for {e.Key} ({e.Value:0.##}) is far outside its usual range: check the input data behind {e.Key} on the replica; if many keys do this, the data has shifted — retrain {e.ModelName}."),
            ("change_from_previous", Math.Abs(f.ValueZ - f.PreviousValueZ),
                $"The {e.ModelName} prediction for {e.Key} jumped from its previous value: check what changed for {e.Key} (re-scoped work, moved issues) and whether a new model version was just deployed."),
            ("input_feature_count", Math.Abs(f.FeatureCountZ),
                $"The prediction for {e.Key} was made with an unusual number of input features ({e.FeatureCount}): look for missing or null source fields (ingestion or replication gaps)."),
            ("confidence", Math.Abs(f.ConfidenceZ),
                $"The confidence of the {e.ModelName} prediction for {e.Key} is unusual: treat this prediction with care and check the model's health (drift, interval width)."),
            ("latency", Math.Abs(f.LatencyZ),
                $"The prediction for {e.Key} took {e.ResponseTimeMs:0.#} ms, far from normal: check replica load and lag and the prediction service's resources."),
        };
        var top = candidates.MaxBy(c => c.Z);
        return (top.Cause, top.Action);
    }
}
