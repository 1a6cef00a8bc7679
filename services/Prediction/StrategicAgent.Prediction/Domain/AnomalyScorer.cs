using Microsoft.Extensions.Options;
using StrategicAgent.Protos;
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
/// Entries of a model the deployed anomaly version has no statistics for (a model deployed, or a kind of prediction
/// logged — the epic forecasts — after it was trained) are written unscored: against neutral statistics every one of
/// them would be an alert. The next anomaly training reads them from the log and learns them.
/// </summary>
public sealed class AnomalyScorer(DeployedModels<LoadedModel> models, IOptions<AnomalyOptions> options) : IPredictionScorer
{
    private readonly AnomalyOptions _o = options.Value;
    private readonly object _gate = new();
    // The stream state (previous value per key, each tenant's moving means and last minute) of the anomaly version
    // it was built for; a new version starts a new stream.
    private (long VersionId, AnomalyStream Stream)? _stream;

    public IReadOnlyList<AnomalyAlert> Score(IReadOnlyList<PredictionLogEntry> batch)
    {
        var model = models.Find(ModelNames.Anomaly);
        if (model?.Predictor.Calibration.Anomaly is not { } calibration)
        {
            return [];
        }
        if (batch.Any(e => !calibration.Stats.ContainsKey(e.ModelName)))
        {
            batch = batch.Where(e => calibration.Stats.ContainsKey(e.ModelName)).ToList();
        }
        var entries = batch.Select(e => new MlLogEntry
        {
            ClientId = e.ClientId,
            ModelName = e.ModelName,
            PredictionKey = e.Key,
            CreatedAt = e.CreatedAt.UtcDateTime,
            PredictionValue = e.Value,
            InputFeatureCount = e.FeatureCount,
            Confidence = e.Confidence,
            ResponseTimeMs = e.ResponseTimeMs,
        }).ToList();
        IReadOnlyList<(Ml.Modeling.AnomalyPrediction Prediction, AnomalyObservation Observation, AnomalyTenantProfile Profile)> scored;
        lock (_gate)
        {
            if (_stream is not { } current || current.VersionId != model.VersionId)
            {
                _stream = current = (model.VersionId, new AnomalyStream(_o.PreviousValueMemory));
            }
            scored = model.Predictor.ScoreAnomalies(entries, current.Stream);
        }

        var alerts = new List<AnomalyAlert>();
        var minimum = _o.MinimumAlertSeverity;
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i];
            var (_, o, profile) = scored[i];
            var severity = _o.Classify(o.Score, profile.Threshold, profile.High, profile.Critical);
            e.AnomalyScore = o.Score;
            e.Severity = severity?.ToWire();
            e.IsAnomaly = severity >= AlertSeverity.Medium;
            if (severity is not { } level || level < minimum)
            {
                continue;
            }
            var f = o.Features;
            var (cause, action) = Explain(e, o);
            alerts.Add(new AnomalyAlert
            {
                ClientId = e.ClientId,
                ModelName = e.ModelName,
                Severity = level,
                Score = o.Score,
                RecommendedAction = action,
                DetectedAt = e.CreatedAt,
                Data = new Dictionary<string, object?>
                {
                    ["prediction_key"] = e.Key,
                    ["model_version"] = e.ModelVersion,
                    ["anomaly_model_version"] = model.Version,
                    ["prediction_value"] = e.Value,
                    ["previous_value"] = o.PreviousValue,
                    ["prediction_confidence"] = e.Confidence,
                    ["input_feature_count"] = e.FeatureCount,
                    ["response_time_ms"] = e.ResponseTimeMs,
                    ["predicted_at"] = e.CreatedAt,
                    ["threshold"] = profile.Threshold,
                    ["high_cut"] = profile.High,
                    ["critical_cut"] = profile.Critical,
                    ["tenant_profile"] = model.Predictor.Calibration.Anomaly!.HasOwnProfile(e.ClientId) ? "own" : "pooled",
                    ["likely_cause"] = cause,
                    ["components"] = new Dictionary<string, double>
                    {
                        ["point"] = o.Point / Math.Max(profile.Scales.Point, 1e-9),
                        ["shift"] = o.Shift / Math.Max(profile.Scales.Shift, 1e-9),
                        ["rate"] = o.Rate / Math.Max(profile.Scales.Rate, 1e-9),
                    },
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

    /// <summary>
    /// What decided the score names the likely cause and what to do: a burst of calls, a model's recent outputs
    /// moving, or — for one prediction out of range — the monitoring feature furthest from normal.
    /// </summary>
    internal static (string Cause, string Action) Explain(PredictionLogEntry e, AnomalyObservation o)
    {
        if (o.Driver == "rate")
        {
            return ("request_burst",
                $"Tenant {e.ClientId} is calling far more than its usual rate: check for a client in a retry loop or a batch job, and rate-limit it if it is not expected.");
        }
        if (o.Driver == "shift")
        {
            return ("recent_shift",
                $"The recent {e.ModelName} predictions of this tenant have moved away from their usual level together (a step or a drift, not one odd key): check what changed in the input data or the deployed {e.ModelName} version, and retrain if the data has really shifted.");
        }
        var f = o.Features;
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
