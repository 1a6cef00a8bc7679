using System.Diagnostics;
using Microsoft.ML;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.Ml.Models.Anomaly;

/// <summary>
/// Anomaly detection over the prediction log: randomized PCA on per-model standardised monitoring
/// features, combined with the largest |z|, thresholds from held-out normal rows, evaluated on
/// injected anomalies. Rows: <c>Migrations/Replica/Views/ml.anomaly_features.sql</c>.
/// </summary>
public sealed class AnomalyModel : IModelDefinition
{
    public static AnomalyModel Instance { get; } = new();

    public ModelKind Kind => ModelKind.Anomaly;
    public string Name => ModelNames.Anomaly;

    public FeatureSet Features { get; } = FeatureSet.Custom(ModelNames.Anomaly, ModelTask.Anomaly, typeof(AnomalyFeatures),
        "ml.anomaly_features",
        "none (unsupervised); is_anomaly is used only to evaluate when present",
        FeatureSql.AnomalyTraining,
        FeatureSql.AnomalyPrediction);

    public ModelDefaults Defaults { get; } = new()
    {
        MaxAgeDays = 7,
        MinNewRecords = 1000,
        Hyperparameters = new Dictionary<string, string> { ["min_rows"] = "200", ["pca_rank"] = "3" },
    };

    public async Task<TrainedModel> TrainAsync(IFeatureSource source, Hyperparameters h, IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var rows = await source.ReadPredictionLogAsync(h.MaxRows, ct);
        return await Task.Run(() => Train(rows, h, progress), ct);
    }

    public async Task<TestEvaluation> NewestTestAsync(IFeatureSource source, Hyperparameters h, CancellationToken ct)
    {
        var entries = await source.ReadPredictionLogAsync(h.MaxRows, ct);
        var split = TimeSplit.Split(entries, e => e.CreatedAt, e => e.Id, h.TrainFraction, h.CalibrationFraction);
        var stats = AnomalyFeatureBuilder.FitStats(split.Train.Where(e => !e.IsAnomaly));
        var test = AnomalyInjection.WithInjectedAnomalies(split.Test, stats, h.Seed);
        return new TestEvaluation(p => EvaluateAnomaly(p, test), test.Count);
    }

    /// <summary>Trains on log entries already read (tests and the benchmark call it directly).</summary>
    public TrainedModel Train(IReadOnlyList<PredictionLogEntry> entries, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
    {
        var set = Features;
        var sw = Stopwatch.StartNew();
        ModelTrainer.EnsureEnough(set, entries.Count, h);
        var split = TimeSplit.Split(entries, e => e.CreatedAt, e => e.Id, h.TrainFraction, h.CalibrationFraction);
        var normalTrain = split.Train.Where(e => !e.IsAnomaly).ToList();
        var stats = AnomalyFeatureBuilder.FitStats(normalTrain);
        var ml = new MLContext(seed: h.Seed);
        progress?.Report(new("training", 30, $"Fitting randomized PCA (rank {h.PcaRank}) on {normalTrain.Count} prediction-log rows"));
        var trainRows = normalTrain.Select(e => AnomalyFeatureBuilder.Build(e, stats)).ToList();
        var input = ml.Data.LoadFromEnumerable(trainRows);
        var rank = Math.Min(h.PcaRank, set.Features.Count - 1);
        var model = Pipelines.Featurizer(ml, set.Features, h with { Algorithm = "lightgbm" })
            .Append(ml.AnomalyDetection.Trainers.RandomizedPca(Pipelines.FeaturesColumn, rank: rank, ensureZeroMean: true, seed: h.Seed))
            .Fit(input);

        progress?.Report(new("evaluating", 70, "Fitting thresholds on held-out rows, scoring injected anomalies"));
        var uncal = ModelPredictor.FromModel(ModelTrainer.Placeholder(set, h), model, new ModelCalibration { Task = set.Task });
        var calNormal = split.Calibration.Where(e => !e.IsAnomaly).Select(e => AnomalyFeatureBuilder.Build(e, stats)).ToList();
        var pcaScores = uncal.RawScores(calNormal).Select(s => (double)s).ToList();
        var zScores = calNormal.Select(AnomalyFeatureBuilder.MaxAbsZ).ToList();
        var scales = new AnomalyCalibration
        {
            Stats = stats.ToDictionary(),
            PcaScale = Metrics.Quantile(pcaScores, 0.99),
            ZScale = Metrics.Quantile(zScores, 0.99),
        };
        var calScores = pcaScores.Select((p, i) => scales.Combine(p, zScores[i])).ToList();
        var calibration = new ModelCalibration
        {
            Task = set.Task,
            Anomaly = scales with
            {
                Threshold = Metrics.Quantile(calScores, 0.99),
                High = Metrics.Quantile(calScores, 0.995),
                Critical = Metrics.Quantile(calScores, 0.999),
            },
        };
        var testSet = AnomalyInjection.WithInjectedAnomalies(split.Test, stats, h.Seed);
        Func<ModelPredictor, Dictionary<string, double>> evaluate = p => EvaluateAnomaly(p, testSet);
        var metrics = evaluate(ModelPredictor.FromModel(ModelTrainer.Placeholder(set, h), model, calibration));
        var labels = testSet.Select(e => e.IsAnomaly).ToList();
        var testZ = testSet.Select(e => AnomalyFeatureBuilder.MaxAbsZ(AnomalyFeatureBuilder.Build(e, stats))).ToList();
        var testPca = uncal.RawScores(testSet.Select(e => AnomalyFeatureBuilder.Build(e, stats)).ToList()).Select(s => (double)s).ToList();
        var baseline = new Dictionary<string, double>
        {
            ["auc"] = 0.5,
            // References, not the trivial baseline: each half of the combined score alone.
            ["max_abs_z_auc"] = Metrics.Auc(labels, testZ),
            ["pca_only_auc"] = Metrics.Auc(labels, testPca),
            ["positive_rate"] = labels.Count(l => l) / (double)labels.Count,
        };

        var schema = input.Schema;
        var artifact = ModelArtifact.Save(ml, model, schema);
        var statistics = new TrainingStatistics
        {
            TrainRows = normalTrain.Count,
            CalibrationRows = calNormal.Count,
            TestRows = testSet.Count,
            DataFrom = entries.Min(e => e.CreatedAt),
            DataTo = entries.Max(e => e.CreatedAt),
            TestFrom = split.TestFrom,
            Features = ModelTrainer.NumericDistributions(set, trainRows),
        };
        return new TrainedModel
        {
            Set = set,
            Algorithm = "randomized_pca",
            Hyperparameters = h,
            Model = model,
            Artifact = artifact,
            Metrics = ModelTrainer.Clean(metrics),
            BaselineMetrics = ModelTrainer.Clean(baseline),
            Calibration = calibration,
            Statistics = statistics,
            TotalRows = entries.Count,
            DataFrom = statistics.DataFrom,
            DataTo = statistics.DataTo,
            Duration = sw.Elapsed,
            EvaluateOnTest = evaluate,
        };
    }

    public static Dictionary<string, double> EvaluateAnomaly(ModelPredictor p, IReadOnlyList<PredictionLogEntry> test)
    {
        var scored = p.ScoreAnomalies(test);
        var labels = test.Select(e => e.IsAnomaly).ToList();
        var m = Metrics.Binary(labels, scored.Select(s => s.IsAnomaly ? 1.0 : 0.0).ToList());
        var normal = scored.Where((_, i) => !labels[i]).ToList();
        return new Dictionary<string, double>
        {
            ["auc"] = Metrics.Auc(labels, scored.Select(s => s.Score).ToList()),
            ["precision"] = m["precision"],
            ["recall"] = m["recall"],
            ["f1"] = m["f1"],
            ["false_positive_rate"] = normal.Count > 0 ? normal.Count(s => s.IsAnomaly) / (double)normal.Count : 0,
        };
    }

}
