using Microsoft.ML;
using Microsoft.ML.Data;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.Ml.Modeling;

/// <summary>A regression prediction in natural units with its conformal interval.</summary>
public sealed record RegressionPrediction(long EntityId, double Value, double Lower, double Upper, double Coverage);

/// <summary>A calibrated probability (and the model's raw margin).</summary>
public sealed record ProbabilityPrediction(long EntityId, double Probability, double RawScore);

/// <summary>The unified model's three predictions for one issue.</summary>
public sealed record UnifiedPrediction(long EntityId, RegressionPrediction LeadTimeDays, RegressionPrediction StoryPoints, ProbabilityPrediction Rework);

/// <summary>An anomaly score, whether it crosses the fitted threshold and how far.</summary>
public sealed record AnomalyPrediction(long EntityId, double Score, bool IsAnomaly, string? Severity);

/// <summary>
/// A loaded model version ready to predict with confidence. Thread-safe: each call builds its
/// own data view over the shared (immutable) transformer. Load once per deployed version
/// (<see cref="Load"/>) and swap on a ModelDeployed event.
/// </summary>
public sealed class ModelPredictor
{
    private readonly MLContext _ml = new(seed: 1);
    private readonly ITransformer _model;
    private readonly ModelCalibration _calibration;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, object> _engines = new();
    private readonly Lock _engineCreation = new();

    /// <summary>Up to this many rows a call scores row by row with a pooled prediction engine.</summary>
    public const int EngineRowLimit = 64;

    private ModelPredictor(RegisteredModel version, ITransformer model, ModelCalibration calibration)
    {
        Version = version;
        _model = model;
        _calibration = calibration;
    }

    public RegisteredModel Version { get; }
    public ModelCalibration Calibration => _calibration;

    public static ModelPredictor Load(RegisteredModel version)
    {
        if (version.Artifact is null)
        {
            throw new ArgumentException($"Version {version.Id} of '{version.ModelName}' has no artefact (read it with the artefact, or it failed).", nameof(version));
        }
        var ml = new MLContext(seed: 1);
        var model = ModelArtifact.Load(ml, version.Artifact, out _);
        var calibration = version.Calibration
            ?? throw new ArgumentException($"Version {version.Id} of '{version.ModelName}' has no calibration.", nameof(version));
        return new ModelPredictor(version, model, calibration);
    }

    /// <summary>Wraps an in-memory model (the trainer evaluates candidates this way before registering).</summary>
    public static ModelPredictor FromModel(RegisteredModel version, ITransformer model, ModelCalibration calibration) =>
        new(version, model, calibration);

    /// <summary>Raw model outputs ("Score" column) in training-label space.</summary>
    public float[] RawScores<T>(IReadOnlyList<T> rows) where T : class
    {
        if (rows.Count == 0) return [];
        if (rows.Count <= EngineRowLimit) return EngineScores(rows);
        var data = _ml.Data.LoadFromEnumerable(rows);
        return _model.Transform(data).GetColumn<float>("Score").ToArray();
    }

    /// <summary>
    /// Serving calls carry a few rows: a PredictionEngine scores one in tens of microseconds where
    /// building a data view per call costs milliseconds. Engines are not thread-safe, so each call
    /// takes one from this version's pool (or creates one) and gives it back; same scores as Transform.
    /// </summary>
    private float[] EngineScores<T>(IReadOnlyList<T> rows) where T : class
    {
        var pool = (System.Collections.Concurrent.ConcurrentBag<PredictionEngine<T, ScoreRow>>)_engines.GetOrAdd(typeof(T),
            _ => new System.Collections.Concurrent.ConcurrentBag<PredictionEngine<T, ScoreRow>>());
        if (!pool.TryTake(out var engine))
        {
            lock (_engineCreation)
            {
                engine = _ml.Model.CreatePredictionEngine<T, ScoreRow>(_model);
            }
        }
        try
        {
            var scores = new float[rows.Count];
            var output = new ScoreRow();
            for (var i = 0; i < rows.Count; i++)
            {
                engine.Predict(rows[i], ref output);
                scores[i] = output.Score;
            }
            return scores;
        }
        finally
        {
            pool.Add(engine);
        }
    }

    public IReadOnlyList<RegressionPrediction> PredictRegression<T>(IReadOnlyList<T> rows) where T : class, IFeatureRow
    {
        var scores = RawScores(rows);
        return rows.Select((r, i) => ToRegression(r.EntityId, scores[i], _calibration.LabelTransform, _calibration.Interval, 0, 1)).ToList();
    }

    public IReadOnlyList<ProbabilityPrediction> PredictProbability<T>(IReadOnlyList<T> rows) where T : class, IFeatureRow
    {
        var scores = RawScores(rows);
        var cal = _calibration.Probability;
        return rows.Select((r, i) => new ProbabilityPrediction(r.EntityId,
            cal?.Apply(scores[i]) ?? 1 / (1 + Math.Exp(-scores[i])), scores[i])).ToList();
    }

    public IReadOnlyList<UnifiedPrediction> PredictUnified(IReadOnlyList<UnifiedFeatures> rows)
    {
        var targets = _calibration.Targets ?? throw new InvalidOperationException("This version has no per-target calibration (not a unified model).");
        var stacked = rows.SelectMany(r => UnifiedTargets.All.Select(t => r.WithTarget(t, float.NaN))).ToList();
        var scores = RawScores(stacked);
        var result = new List<UnifiedPrediction>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var lt = targets[UnifiedTargets.LeadTime];
            var sp = targets[UnifiedTargets.StoryPoints];
            var rw = targets[UnifiedTargets.Rework];
            var rwRaw = scores[3 * i + 2] * rw.Std + rw.Mean;
            result.Add(new UnifiedPrediction(rows[i].EntityId,
                ToRegression(rows[i].EntityId, scores[3 * i], lt.Transform, lt.Interval, lt.Mean, lt.Std),
                ToRegression(rows[i].EntityId, scores[3 * i + 1], sp.Transform, sp.Interval, sp.Mean, sp.Std),
                new ProbabilityPrediction(rows[i].EntityId, rw.Probability?.Apply(rwRaw) ?? Math.Clamp(rwRaw, 0.001, 0.999), rwRaw)));
        }
        return result;
    }

    /// <summary>Scores entries as one fresh stream (no earlier state): tests, smoke checks, evaluation.</summary>
    public IReadOnlyList<AnomalyPrediction> ScoreAnomalies(IReadOnlyList<PredictionLogEntry> entries) =>
        ScoreAnomalies(entries, new AnomalyStream()).Select(x => x.Prediction).ToList();

    /// <summary>Scores entries in order on <paramref name="stream"/> (which keeps each tenant's recent state), each with its tenant's profile.</summary>
    public IReadOnlyList<(AnomalyPrediction Prediction, AnomalyObservation Observation, AnomalyTenantProfile Profile)> ScoreAnomalies(
        IReadOnlyList<PredictionLogEntry> entries, AnomalyStream stream)
    {
        var cal = _calibration.Anomaly ?? throw new InvalidOperationException("This version has no anomaly calibration (not an anomaly model).");
        return entries.Select(e =>
        {
            var profile = cal.ProfileFor(e.ClientId);
            var o = stream.Observe(e, profile);
            var sev = profile.Severity(o.Score);
            return (new AnomalyPrediction(e.Id, o.Score, sev is not null, sev), o, profile);
        }).ToList();
    }

    /// <summary>Standardised training-space score → natural value and interval.</summary>
    public static RegressionPrediction ToRegression(long id, double score, LabelTransform transform, Confidence.ConformalInterval? interval, double mean, double std)
    {
        var s = score * std + mean;
        var (lo, hi) = interval?.Around(s) ?? (s, s);
        return transform == LabelTransform.Log
            ? new RegressionPrediction(id, Math.Exp(s), Math.Exp(lo), Math.Exp(hi), interval?.Coverage ?? 0)
            : new RegressionPrediction(id, s, Math.Max(0, lo), Math.Max(0, hi), interval?.Coverage ?? 0);
    }
}

/// <summary>The "Score" output column a prediction engine fills.</summary>
public sealed class ScoreRow
{
    public float Score { get; set; }
}
