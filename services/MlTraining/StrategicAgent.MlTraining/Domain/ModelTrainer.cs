using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Confidence;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>A training run that could not produce a model, with the reason recorded in the registry.</summary>
public sealed class TrainingFailedException(string reason) : Exception(reason);

/// <summary>A stage of a training run, for streamed progress.</summary>
public sealed record TrainingProgress(string Stage, double Percent, string Message);

/// <summary>A trained, evaluated, calibrated model ready to be registered.</summary>
public sealed class TrainedModel
{
    public required FeatureSet Set { get; init; }
    public required string Algorithm { get; init; }
    public required Hyperparameters Hyperparameters { get; init; }
    public required ITransformer Model { get; init; }
    public required byte[] Artifact { get; init; }
    public required Dictionary<string, double> Metrics { get; init; }
    public required Dictionary<string, double> BaselineMetrics { get; init; }
    public required ModelCalibration Calibration { get; init; }
    public required TrainingStatistics Statistics { get; init; }
    public required int TotalRows { get; init; }
    public required DateTime DataFrom { get; init; }
    public required DateTime DataTo { get; init; }
    public TimeSpan Duration { get; set; }
    /// <summary>Evaluates any version of this model (e.g. the deployed one) on this run's test slice: same newest data, same metrics.</summary>
    public required Func<ModelPredictor, Dictionary<string, double>> EvaluateOnTest { get; init; }

    public string KeyMetric => Ml.Modeling.Metrics.KeyMetric(Set.Task);
    public double KeyScore => Metrics.TryGetValue(KeyMetric, out var v) ? v : double.NaN;

    public string FeatureSchemaJson => JsonSerializer.Serialize(new
    {
        view = Set.View,
        label = Set.LabelDescription,
        label_transform = Set.LabelTransform.ToString().ToLowerInvariant(),
        features = Set.Features.Select(f => new { name = f.Column, property = f.Property, kind = f.Kind.ToString().ToLowerInvariant(), description = f.Description }),
    });
}

/// <summary>
/// Trains, calibrates and evaluates the five models with ML.NET. Pure: rows in, model out; the
/// service reads rows from the replica and writes the result to the registry.
/// </summary>
public sealed class ModelTrainer(ILogger<ModelTrainer> logger)
{
    public TrainedModel TrainRegression<T>(FeatureSet set, IReadOnlyList<T> rows, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
        where T : class, IFeatureRow, new()
    {
        var sw = Stopwatch.StartNew();
        EnsureEnough(set, rows.Count, h);
        var split = TimeSplit.Split(rows, h);
        var ml = new MLContext(seed: h.Seed);
        var log = set.LabelTransform == LabelTransform.Log;
        progress?.Report(new("training", 30, $"Training {h.Algorithm} on {split.Train.Count} rows"));

        var input = ml.Data.LoadFromEnumerable(split.Train);
        var trainData = log ? WithLogLabel(ml, input) : input;
        var model = Pipelines.Featurizer(ml, set.Features, h).Append(Pipelines.Regressor(ml, h)).Fit(trainData);

        progress?.Report(new("evaluating", 70, $"Calibrating on {split.Calibration.Count} rows, testing on {split.Test.Count} newer rows"));
        var uncalibrated = ModelPredictor.FromModel(Placeholder(set, h), model, new ModelCalibration { Task = set.Task, LabelTransform = set.LabelTransform });
        var calScores = uncalibrated.RawScores(split.Calibration);
        var residuals = split.Calibration.Select((r, i) => Forward(r.Label, log) - (double)calScores[i]).ToList();
        var calibration = new ModelCalibration
        {
            Task = set.Task,
            LabelTransform = set.LabelTransform,
            Interval = ConformalInterval.Fit(residuals, 0.8),
        };
        Func<ModelPredictor, Dictionary<string, double>> evaluate = p => EvaluateRegression(p, split.Test, log);
        var metrics = evaluate(ModelPredictor.FromModel(Placeholder(set, h), model, calibration));

        var trainLabels = split.Train.Select(r => (double)r.Label).ToList();
        var actual = split.Test.Select(r => (double)r.Label).ToList();
        var baseline = new Dictionary<string, double>();
        foreach (var (name, constant) in new[] { ("mean", trainLabels.Average()), ("median", Ml.Modeling.Metrics.Quantile(trainLabels, 0.5)) })
        {
            foreach (var (k, v) in Ml.Modeling.Metrics.Regression(actual, actual.Select(_ => constant).ToList()))
            {
                baseline[$"{name}_{k}"] = v;
            }
        }
        // The key metric's baseline (r2) is the better of the two constants.
        baseline["r2"] = Math.Max(baseline["mean_r2"], baseline["median_r2"]);
        baseline["mae"] = Math.Min(baseline["mean_mae"], baseline["median_mae"]);

        return Finish(set, h, ml, model, input.Schema, split, metrics, baseline, calibration, evaluate, sw, rows.Count,
            split.Train.Select(r => (double)r.Label).ToList());
    }

    public TrainedModel TrainBinary<T>(FeatureSet set, IReadOnlyList<T> rows, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
        where T : class, IFeatureRow, new()
    {
        var sw = Stopwatch.StartNew();
        EnsureEnough(set, rows.Count, h);
        var split = TimeSplit.Split(rows, h);
        var positives = split.Train.Count(r => r.Label > 0.5f);
        if (positives == 0 || positives == split.Train.Count)
        {
            throw new TrainingFailedException($"The {split.Train.Count} training rows of '{set.ModelName}' hold only one class ({positives} positive): a classifier cannot be trained.");
        }
        var ml = new MLContext(seed: h.Seed);
        progress?.Report(new("training", 30, $"Training {h.Algorithm} on {split.Train.Count} rows ({positives} positive)"));
        var input = ml.Data.LoadFromEnumerable(split.Train);
        var model = Pipelines.Featurizer(ml, set.Features, h).Append(Pipelines.Classifier(ml, h)).Fit(Pipelines.WithBoolLabel(ml, input));

        progress?.Report(new("evaluating", 70, $"Calibrating on {split.Calibration.Count} rows, testing on {split.Test.Count} newer rows"));
        var uncalibrated = ModelPredictor.FromModel(Placeholder(set, h), model, new ModelCalibration { Task = set.Task });
        var calScores = uncalibrated.RawScores(split.Calibration).Select(s => (double)s).ToList();
        var calLabels = split.Calibration.Select(r => r.Label > 0.5f).ToList();
        var probability = ProbabilityCalibration.Fit(calScores, calLabels);
        var threshold = BestF1Threshold(calScores.Select(probability.Apply).ToList(), calLabels);
        var calibration = new ModelCalibration { Task = set.Task, Probability = probability, DecisionThreshold = threshold };
        Func<ModelPredictor, Dictionary<string, double>> evaluate = p => EvaluateBinary(p, split.Test);
        var metrics = evaluate(ModelPredictor.FromModel(Placeholder(set, h), model, calibration));

        var prior = positives / (double)split.Train.Count;
        var actual = split.Test.Select(r => r.Label > 0.5f).ToList();
        var baseline = Ml.Modeling.Metrics.Binary(actual, actual.Select(_ => prior).ToList(), threshold: prior);
        // The trivial classifier with the best F1 flags everything positive.
        baseline["f1"] = Ml.Modeling.Metrics.Binary(actual, actual.Select(_ => 1.0).ToList())["f1"];
        baseline["prior"] = prior;

        return Finish(set, h, ml, model, input.Schema, split, metrics, baseline, calibration, evaluate, sw, rows.Count,
            split.Train.Select(r => (double)r.Label).ToList());
    }

    public TrainedModel TrainUnified(IReadOnlyList<UnifiedFeatures> rows, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
    {
        var set = FeatureSet.Unified;
        var sw = Stopwatch.StartNew();
        EnsureEnough(set, rows.Count, h);
        var split = TimeSplit.Split(rows, h);
        var ml = new MLContext(seed: h.Seed);
        progress?.Report(new("training", 20, $"Training one {h.Algorithm} model on {split.Train.Count} issues × 3 targets"));
        var (model, calibration, schema) = TrainStacked(ml, split, UnifiedTargets.All, h);
        Func<ModelPredictor, Dictionary<string, double>> evaluate = p => EvaluateStacked(p, split.Test, UnifiedTargets.All);
        var metrics = evaluate(ModelPredictor.FromModel(Placeholder(set, h), model, calibration));

        if (h.CompareSeparate)
        {
            // The honest comparison: one single-target model per target, same view, same split, same settings.
            foreach (var (target, k) in UnifiedTargets.All.Select((t, i) => (t, i)))
            {
                progress?.Report(new("training", 45 + 10 * k, $"Training the separate {target} model for comparison"));
                var (m, c, _) = TrainStacked(ml, split, [target], h);
                foreach (var (key, v) in EvaluateStacked(ModelPredictor.FromModel(Placeholder(set, h), m, c), split.Test, [target]))
                {
                    if (key != "score") metrics["separate_" + key] = v;
                }
            }
            var parts = new[] { "separate_lead_time_r2", "separate_story_points_r2" }.Where(metrics.ContainsKey).Select(k => metrics[k]).ToList();
            if (metrics.TryGetValue("separate_rework_auc", out var auc)) parts.Add(2 * auc - 1);
            if (parts.Count > 0) metrics["separate_score"] = parts.Average();
        }

        var baseline = new Dictionary<string, double>();
        var baseScores = new List<double>();
        foreach (var target in UnifiedTargets.All)
        {
            var train = split.Train.Select(r => (double)UnifiedTargets.Value(r, target)).Where(double.IsFinite).ToList();
            var test = split.Test.Where(r => float.IsFinite(UnifiedTargets.Value(r, target))).Select(r => (double)UnifiedTargets.Value(r, target)).ToList();
            if (train.Count == 0 || test.Count == 0) continue;
            if (target == UnifiedTargets.Rework)
            {
                var prior = train.Average();
                foreach (var (k, v) in Ml.Modeling.Metrics.Binary(test.Select(t => t > 0.5).ToList(), test.Select(_ => prior).ToList(), prior))
                {
                    baseline[$"{target}_{k}"] = v;
                }
                baseScores.Add(0);
            }
            else
            {
                var median = Ml.Modeling.Metrics.Quantile(train, 0.5);
                var mean = train.Average();
                var best = double.NegativeInfinity;
                foreach (var (name, c) in new[] { ("mean", mean), ("median", median) })
                {
                    foreach (var (k, v) in Ml.Modeling.Metrics.Regression(test, test.Select(_ => c).ToList()))
                    {
                        baseline[$"{target}_{name}_{k}"] = v;
                    }
                    best = Math.Max(best, baseline[$"{target}_{name}_r2"]);
                }
                baseline[$"{target}_r2"] = best;
                baseScores.Add(best);
            }
        }
        baseline["score"] = baseScores.Count > 0 ? baseScores.Average() : 0;

        return Finish(set, h, ml, model, schema, split, metrics, baseline, calibration, evaluate, sw, rows.Count,
            split.Train.Select(r => (double)r.LeadTimeDays).ToList(), unifiedStats: true);
    }

    public TrainedModel TrainAnomaly(IReadOnlyList<PredictionLogEntry> entries, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
    {
        var set = FeatureSet.Anomaly;
        var sw = Stopwatch.StartNew();
        EnsureEnough(set, entries.Count, h);
        var split = SplitPerTenant(entries, h);
        var normalTrain = split.Train.Where(e => !e.IsAnomaly).ToList();
        var stats = AnomalyFeatureBuilder.FitStats(normalTrain);

        // Per-tenant profiles: each tenant's statistics, normal rate, component scales and cut points come from its own
        // rows only, so one tenant's traffic never moves another's alerts.
        progress?.Report(new("training", 30, $"Fitting per-tenant anomaly profiles on {normalTrain.Count} prediction-log rows"));
        var (tenants, pooled) = AnomalyProfiles.Fit(split.Train, split.Calibration, AnomalyProfiles.DefaultMinTenantRows);
        var calibration = new ModelCalibration
        {
            Task = set.Task,
            Anomaly = new AnomalyCalibration { Stats = stats.ToDictionary(), Tenants = tenants, Pooled = pooled },
        };

        // The artefact is the monitoring featurizer (what the registry stores and health loads); scoring is the
        // calibration's profiles. A randomized PCA on the same features is fitted for the comparison only: on every
        // evaluation so far it ranked the anomalies no better than chance, and one model over all tenants' rows
        // would couple the tenants again.
        var ml = new MLContext(seed: h.Seed);
        var trainRows = normalTrain.Select(e => AnomalyFeatureBuilder.Build(e, stats)).ToList();
        var input = ml.Data.LoadFromEnumerable(trainRows);
        var featurizer = Pipelines.Featurizer(ml, set.Features, h with { Algorithm = "lightgbm" }).Fit(input);
        var rank = Math.Min(h.PcaRank, set.Features.Count - 1);
        var pca = Pipelines.Featurizer(ml, set.Features, h with { Algorithm = "lightgbm" })
            .Append(ml.AnomalyDetection.Trainers.RandomizedPca(Pipelines.FeaturesColumn, rank: rank, ensureZeroMean: true, seed: h.Seed))
            .Fit(input);

        progress?.Report(new("evaluating", 70, "Scoring the test slice with injected point, step, drift and burst anomalies"));
        var warmup = split.Train.Concat(split.Calibration).ToList();
        var injected = AnomalyInjection.WithInjectedAnomalies(split.Test, stats, h.Seed);
        Func<ModelPredictor, Dictionary<string, double>> evaluate = p => EvaluateAnomaly(p, warmup, injected);
        var predictor = ModelPredictor.FromModel(Placeholder(set, h), featurizer, calibration);
        var metrics = evaluate(predictor);

        // References: the largest |z| per entry with one set of statistics for all tenants (the trivial scorer), and
        // the PCA reconstruction error; each per anomaly kind as well.
        var pcaPredictor = ModelPredictor.FromModel(Placeholder(set, h), pca, new ModelCalibration { Task = set.Task });
        var judged = Judged(injected);
        var pcaScores = pcaPredictor.RawScores(judged.Select(x => AnomalyFeatureBuilder.Build(x.Entry, stats)).ToList()).Select(v => (double)v).ToList();
        var zScores = judged.Select(x => AnomalyFeatureBuilder.MaxAbsZ(AnomalyFeatureBuilder.Build(x.Entry, stats))).ToList();
        var baseline = new Dictionary<string, double>
        {
            ["auc"] = 0.5,
            ["positive_rate"] = judged.Count(x => x.Kind is not null) / (double)Math.Max(1, judged.Count),
        };
        foreach (var (name, scores) in new[] { ("max_abs_z", zScores), ("pca_only", pcaScores) })
        {
            foreach (var (k, v) in AucByKind(judged.Select(x => x.Kind).ToList(), scores))
            {
                baseline[k == "" ? $"{name}_auc" : $"{name}_auc_{k}"] = v;
            }
        }

        var artifact = ModelArtifact.Save(ml, featurizer, input.Schema);
        var statistics = new TrainingStatistics
        {
            TrainRows = normalTrain.Count,
            CalibrationRows = split.Calibration.Count,
            TestRows = injected.Entries.Count,
            DataFrom = entries.Min(e => e.CreatedAt),
            DataTo = entries.Max(e => e.CreatedAt),
            TestFrom = split.TestFrom,
            Features = NumericDistributions(set, trainRows),
        };
        logger.LogInformation("Trained anomaly profiles for {Tenants} tenants (+ pooled) on {Rows} rows in {Seconds:0.0} s: AUC {Auc:0.000} (largest |z| {ZAuc:0.000})",
            tenants.Count, normalTrain.Count, sw.Elapsed.TotalSeconds, metrics.GetValueOrDefault("auc"), baseline.GetValueOrDefault("max_abs_z_auc"));
        return new TrainedModel
        {
            Set = set,
            Algorithm = "tenant_profiles",
            Hyperparameters = h,
            Model = featurizer,
            Artifact = artifact,
            Metrics = Clean(metrics),
            BaselineMetrics = Clean(baseline),
            Calibration = calibration,
            Statistics = statistics,
            TotalRows = entries.Count,
            DataFrom = statistics.DataFrom,
            DataTo = statistics.DataTo,
            Duration = sw.Elapsed,
            EvaluateOnTest = evaluate,
        };
    }

    /// <summary>
    /// The time-ordered split of the prediction log, done per tenant (each tenant's oldest 65 % train, next 15 %
    /// calibrate, newest 20 % test) and merged in time order: where one tenant's rows fall never depends on how
    /// many rows another tenant has.
    /// </summary>
    public static TimeSplit<PredictionLogEntry> SplitPerTenant(IReadOnlyList<PredictionLogEntry> entries, Hyperparameters h)
    {
        var parts = entries.GroupBy(e => e.ClientId)
            .Select(g => TimeSplit.Split(g.ToList(), e => e.CreatedAt, e => e.Id, h.TrainFraction, h.CalibrationFraction))
            .ToList();
        static List<PredictionLogEntry> Merge(IEnumerable<PredictionLogEntry> rows) => rows.OrderBy(e => e.CreatedAt).ThenBy(e => e.ClientId).ThenBy(e => e.Id).ToList();
        var test = Merge(parts.SelectMany(p => p.Test));
        return new TimeSplit<PredictionLogEntry>(Merge(parts.SelectMany(p => p.Train)), Merge(parts.SelectMany(p => p.Calibration)), test)
        {
            TestFrom = test.Count > 0 ? test[0].CreatedAt : DateTime.MaxValue,
        };
    }

    /// <summary>The entries an evaluation judges (normal or a named kind), with their kind.</summary>
    private static List<(PredictionLogEntry Entry, string? Kind)> Judged(InjectedLog log) =>
        log.Entries.Select((e, i) => (e, log.Kinds[i])).Where(x => x.Item2 != AnomalyInjection.Ignored).ToList();

    /// <summary>AUC over all judged entries ("") and per anomaly kind (that kind's entries against all normal ones).</summary>
    private static Dictionary<string, double> AucByKind(IReadOnlyList<string?> kinds, IReadOnlyList<double> scores)
    {
        var result = new Dictionary<string, double> { [""] = Ml.Modeling.Metrics.Auc(kinds.Select(k => k is not null).ToList(), scores) };
        foreach (var kind in kinds.Where(k => k is not null).Distinct())
        {
            var idx = Enumerable.Range(0, kinds.Count).Where(i => kinds[i] is null || kinds[i] == kind).ToList();
            result[kind!] = Ml.Modeling.Metrics.Auc(idx.Select(i => kinds[i] is not null).ToList(), idx.Select(i => scores[i]).ToList());
        }
        return result;
    }

    // ---- evaluation -------------------------------------------------------------------------

    public static Dictionary<string, double> EvaluateRegression<T>(ModelPredictor p, IReadOnlyList<T> test, bool log) where T : class, IFeatureRow
    {
        var preds = p.PredictRegression(test);
        var actual = test.Select(r => (double)r.Label).ToList();
        var m = Ml.Modeling.Metrics.Regression(actual, preds.Select(x => x.Value).ToList());
        m["interval_coverage"] = test.Select((r, i) => r.Label >= preds[i].Lower && r.Label <= preds[i].Upper ? 1.0 : 0.0).Average();
        if (log)
        {
            m["r2_log"] = Ml.Modeling.Metrics.Regression(actual.Select(a => Math.Log(a)).ToList(), preds.Select(x => Math.Log(x.Value)).ToList())["r2"];
        }
        return m;
    }

    public static Dictionary<string, double> EvaluateBinary<T>(ModelPredictor p, IReadOnlyList<T> test) where T : class, IFeatureRow
    {
        var preds = p.PredictProbability(test);
        return Ml.Modeling.Metrics.Binary(test.Select(r => r.Label > 0.5f).ToList(), preds.Select(x => x.Probability).ToList(),
            p.Calibration.DecisionThreshold);
    }

    /// <summary>
    /// Scores the test stream on a stream warmed up with the rows before it (each tenant's recent state), as the
    /// service scores its log: AUC over all anomalies and per kind, precision, recall and false-positive rate at
    /// the medium cut.
    /// </summary>
    public static Dictionary<string, double> EvaluateAnomaly(ModelPredictor p, IReadOnlyList<PredictionLogEntry> warmup, InjectedLog test)
    {
        var stream = new AnomalyStream();
        p.ScoreAnomalies(warmup, stream);
        var scored = p.ScoreAnomalies(test.Entries, stream);
        var judged = Enumerable.Range(0, test.Entries.Count).Where(i => test.Kinds[i] != AnomalyInjection.Ignored).ToList();
        var kinds = judged.Select(i => test.Kinds[i]).ToList();
        var labels = kinds.Select(k => k is not null).ToList();
        var flagged = judged.Select(i => scored[i].Prediction.IsAnomaly).ToList();
        var m = Ml.Modeling.Metrics.Binary(labels, flagged.Select(f => f ? 1.0 : 0.0).ToList());
        var normal = Enumerable.Range(0, judged.Count).Where(j => !labels[j]).ToList();
        var result = new Dictionary<string, double>
        {
            ["precision"] = m["precision"],
            ["recall"] = m["recall"],
            ["f1"] = m["f1"],
            ["false_positive_rate"] = normal.Count > 0 ? normal.Count(j => flagged[j]) / (double)normal.Count : 0,
        };
        foreach (var (k, v) in AucByKind(kinds, judged.Select(i => scored[i].Prediction.Score).ToList()))
        {
            result[k == "" ? "auc" : $"auc_{k}"] = v;
        }
        return result;
    }

    private (ITransformer Model, ModelCalibration Calibration, DataViewSchema Schema) TrainStacked(
        MLContext ml, TimeSplit<UnifiedFeatures> split, IReadOnlyList<string> targets, Hyperparameters h)
    {
        var scaling = new Dictionary<string, (double Mean, double Std)>();
        foreach (var t in targets)
        {
            var values = split.Train.Select(r => UnifiedTargets.Value(r, t)).Where(float.IsFinite)
                .Select(v => Forward(v, UnifiedTargets.Transform(t) == LabelTransform.Log)).ToList();
            if (values.Count < 10)
            {
                throw new TrainingFailedException($"Only {values.Count} training rows of 'unified' have a known {t}: at least 10 are needed.");
            }
            var ms = MeanStd.Of(values);
            scaling[t] = (ms.Mean, ms.Std > 1e-9 ? ms.Std : 1);
        }
        var stacked = Stack(split.Train, targets, scaling);
        var input = ml.Data.LoadFromEnumerable(stacked);
        var model = Pipelines.Featurizer(ml, FeatureSet.Unified.Features, h).Append(Pipelines.Regressor(ml, h)).Fit(input);

        var placeholder = ModelPredictor.FromModel(Placeholder(FeatureSet.Unified, h), model, new ModelCalibration { Task = ModelTask.MultiTarget });
        var cal = new Dictionary<string, TargetCalibration>();
        foreach (var t in targets)
        {
            var rows = split.Calibration.Where(r => float.IsFinite(UnifiedTargets.Value(r, t))).ToList();
            var log = UnifiedTargets.Transform(t) == LabelTransform.Log;
            var scores = placeholder.RawScores(rows.Select(r => r.WithTarget(t, float.NaN)).ToList())
                .Select(s => s * scaling[t].Std + scaling[t].Mean).ToList();
            var tc = new TargetCalibration { Transform = UnifiedTargets.Transform(t), Mean = scaling[t].Mean, Std = scaling[t].Std };
            if (rows.Count == 0)
            {
                cal[t] = tc;
                continue;
            }
            cal[t] = t == UnifiedTargets.Rework
                ? tc with { Probability = ProbabilityCalibration.Fit(scores, rows.Select(r => r.Reworked > 0.5f).ToList()) }
                : tc with { Interval = ConformalInterval.Fit(rows.Select((r, i) => Forward(UnifiedTargets.Value(r, t), log) - scores[i]).ToList()) };
        }
        return (model, new ModelCalibration { Task = ModelTask.MultiTarget, Targets = cal }, input.Schema);
    }

    private static List<UnifiedFeatures> Stack(IEnumerable<UnifiedFeatures> rows, IReadOnlyList<string> targets, Dictionary<string, (double Mean, double Std)> scaling) =>
        rows.SelectMany(r => targets
                .Where(t => float.IsFinite(UnifiedTargets.Value(r, t)))
                .Select(t => r.WithTarget(t, (float)((Forward(UnifiedTargets.Value(r, t), UnifiedTargets.Transform(t) == LabelTransform.Log) - scaling[t].Mean) / scaling[t].Std))))
            .ToList();

    /// <summary>Per-target metrics of a stacked model on test rows (any subset of targets the model knows).</summary>
    public static Dictionary<string, double> EvaluateStacked(ModelPredictor p, IReadOnlyList<UnifiedFeatures> test, IReadOnlyList<string> targets)
    {
        var metrics = new Dictionary<string, double>();
        var parts = new List<double>();
        var cal = p.Calibration.Targets ?? throw new InvalidOperationException("Not a unified model.");
        foreach (var t in targets)
        {
            if (!cal.TryGetValue(t, out var tc)) continue;
            var rows = test.Where(r => float.IsFinite(UnifiedTargets.Value(r, t))).ToList();
            if (rows.Count == 0) continue;
            var scores = p.RawScores(rows.Select(r => r.WithTarget(t, float.NaN)).ToList());
            if (t == UnifiedTargets.Rework)
            {
                var probs = scores.Select(s => tc.Probability?.Apply(s * tc.Std + tc.Mean) ?? Math.Clamp(s * tc.Std + tc.Mean, 0.001, 0.999)).ToList();
                foreach (var (k, v) in Ml.Modeling.Metrics.Binary(rows.Select(r => r.Reworked > 0.5f).ToList(), probs))
                {
                    metrics[$"{t}_{k}"] = v;
                }
                parts.Add(2 * metrics[$"{t}_auc"] - 1);
            }
            else
            {
                var preds = scores.Select(s => ModelPredictor.ToRegression(0, s, tc.Transform, tc.Interval, tc.Mean, tc.Std)).ToList();
                var actual = rows.Select(r => (double)UnifiedTargets.Value(r, t)).ToList();
                foreach (var (k, v) in Ml.Modeling.Metrics.Regression(actual, preds.Select(x => x.Value).ToList()))
                {
                    metrics[$"{t}_{k}"] = v;
                }
                metrics[$"{t}_interval_coverage"] = actual.Select((a, i) => a >= preds[i].Lower && a <= preds[i].Upper ? 1.0 : 0.0).Average();
                parts.Add(metrics[$"{t}_r2"]);
            }
        }
        // The key score: mean of the regression targets' R² and the rework Gini (2·AUC − 1).
        metrics["score"] = parts.Count > 0 ? parts.Average() : double.NaN;
        return metrics;
    }

    // ---- helpers ----------------------------------------------------------------------------

    private TrainedModel Finish<T>(FeatureSet set, Hyperparameters h, MLContext ml, ITransformer model, DataViewSchema schema,
        TimeSplit<T> split, Dictionary<string, double> metrics, Dictionary<string, double> baseline, ModelCalibration calibration,
        Func<ModelPredictor, Dictionary<string, double>> evaluate, Stopwatch sw, int total, List<double> trainLabels, bool unifiedStats = false)
        where T : class, IFeatureRow
    {
        var artifact = ModelArtifact.Save(ml, model, schema);
        var all = split.Train.Concat(split.Calibration).Concat(split.Test).ToList();
        var statistics = new TrainingStatistics
        {
            TrainRows = split.Train.Count,
            CalibrationRows = split.Calibration.Count,
            TestRows = split.Test.Count,
            DataFrom = all.Min(r => r.LabelKnownAt),
            DataTo = all.Max(r => r.LabelKnownAt),
            TestFrom = split.TestFrom,
            Label = unifiedStats ? null : FeatureDistribution.Fit(trainLabels),
            Features = NumericDistributions(set, split.Train),
            Categories = CategoryShares(set, split.Train),
        };
        logger.LogInformation("Trained {Model} ({Algorithm}) on {Train}/{Calibration}/{Test} rows in {Seconds:0.0} s: {KeyMetric} = {Score:0.000} (baseline {Baseline:0.000})",
            set.ModelName, h.Algorithm, split.Train.Count, split.Calibration.Count, split.Test.Count, sw.Elapsed.TotalSeconds,
            Ml.Modeling.Metrics.KeyMetric(set.Task), metrics.GetValueOrDefault(Ml.Modeling.Metrics.KeyMetric(set.Task)),
            baseline.GetValueOrDefault(Ml.Modeling.Metrics.KeyMetric(set.Task)));
        return new TrainedModel
        {
            Set = set,
            Algorithm = h.Algorithm,
            Hyperparameters = h,
            Model = model,
            Artifact = artifact,
            Metrics = Clean(metrics),
            BaselineMetrics = Clean(baseline),
            Calibration = calibration,
            Statistics = statistics,
            TotalRows = total,
            DataFrom = statistics.DataFrom,
            DataTo = statistics.DataTo,
            Duration = sw.Elapsed,
            EvaluateOnTest = evaluate,
        };
    }

    private static void EnsureEnough(FeatureSet set, int rows, Hyperparameters h)
    {
        if (rows < h.MinRows)
        {
            throw new TrainingFailedException(
                $"Too few training rows for '{set.ModelName}': {rows} in {set.View}, at least {h.MinRows} are needed (min_rows). Load more data or lower min_rows.");
        }
    }

    private static double Forward(double y, bool log) => log ? Math.Log(Math.Max(y, 1e-6)) : y;

    private static IDataView WithLogLabel(MLContext ml, IDataView data) =>
        ml.Transforms.CustomMapping<Pipelines.FloatLabel, Pipelines.FloatLabel>(
            (i, o) => o.Label = (float)Math.Log(Math.Max(i.Label, 1e-6f)), contractName: null).Fit(data).Transform(data);

    private static double BestF1Threshold(IReadOnlyList<double> probs, IReadOnlyList<bool> labels)
    {
        if (labels.Count == 0 || !labels.Any(l => l)) return 0.5;
        var best = (f1: -1.0, t: 0.5);
        // 200 quantiles of the probabilities as candidates: every distinct value made this O(n²)
        // (35 s on 15k calibration rows).
        var candidates = Enumerable.Range(1, 199).Select(k => Ml.Modeling.Metrics.Quantile(probs, k / 200.0)).Distinct();
        foreach (var t in candidates)
        {
            var f1 = Ml.Modeling.Metrics.Binary(labels, probs, t)["f1"];
            if (f1 > best.f1) best = (f1, t);
        }
        return best.t;
    }

    private static Dictionary<string, FeatureDistribution> NumericDistributions<T>(FeatureSet set, IReadOnlyList<T> rows)
    {
        var result = new Dictionary<string, FeatureDistribution>();
        foreach (var f in set.OfKind(FeatureKind.Numeric))
        {
            var prop = typeof(T).GetProperty(f.Property, BindingFlags.Public | BindingFlags.Instance)!;
            result[f.Column] = FeatureDistribution.Fit(rows.Select(r => (double)(float)prop.GetValue(r)!).ToList(), 10);
        }
        return result;
    }

    private static Dictionary<string, Dictionary<string, double>> CategoryShares<T>(FeatureSet set, IReadOnlyList<T> rows)
    {
        var result = new Dictionary<string, Dictionary<string, double>>();
        foreach (var f in set.OfKind(FeatureKind.Categorical))
        {
            var prop = typeof(T).GetProperty(f.Property, BindingFlags.Public | BindingFlags.Instance)!;
            result[f.Column] = rows.GroupBy(r => (string)prop.GetValue(r)!).OrderByDescending(g => g.Count()).Take(20)
                .ToDictionary(g => g.Key, g => g.Count() / (double)rows.Count);
        }
        return result;
    }

    /// <summary>jsonb cannot hold NaN or infinity: such metrics are dropped.</summary>
    private static Dictionary<string, double> Clean(Dictionary<string, double> m) =>
        m.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);

    internal static RegisteredModel Placeholder(FeatureSet set, Hyperparameters h) => new()
    {
        Id = 0,
        ModelName = set.ModelName,
        Version = 0,
        Algorithm = h.Algorithm,
        Status = "candidate",
    };
}
