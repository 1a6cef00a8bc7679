using System.Diagnostics;
using Microsoft.ML;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Training;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.Ml.Models.Anomaly;

/// <summary>
/// Anomaly detection over the prediction log: a profile per tenant (its own statistics, normal rate,
/// component scales and cut points from its own rows), scored as the max of point / shift / rate
/// components (<see cref="AnomalyProfiles"/>), evaluated on injected point, step, drift and burst anomalies. Rows: <c>Migrations/Replica/Views/ml.anomaly_features.sql</c>.
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
        var split = SplitPerTenant(entries, h);
        var stats = AnomalyFeatureBuilder.FitStats(split.Train.Where(e => !e.IsAnomaly));
        var test = AnomalyInjection.WithInjectedAnomalies(split.Test, stats, h.Seed);
        var warmup = split.Train.Concat(split.Calibration).ToList();
        return new TestEvaluation(p => EvaluateAnomaly(p, warmup, test), test.Entries.Count);
    }

    /// <summary>Trains on log entries already read (tests and the benchmark call it directly).</summary>
    public TrainedModel Train(IReadOnlyList<PredictionLogEntry> entries, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
    {
        var set = Features;
        var sw = Stopwatch.StartNew();
        ModelTrainer.EnsureEnough(set, entries.Count, h);
        var split = SplitPerTenant(entries, h);
        var normalTrain = split.Train.Where(e => !e.IsAnomaly).ToList();
        var stats = AnomalyFeatureBuilder.FitStats(normalTrain);

        // Per-tenant profiles: each tenant's statistics, normal rate, component scales and cut points come from its own
        // rows only, so one tenant's traffic never moves another's alerts.
        progress?.Report(new(RunStage.Training, 30, $"Fitting per-tenant anomaly profiles on {normalTrain.Count} prediction-log rows"));
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

        progress?.Report(new(RunStage.Evaluating, 70, "Scoring the test slice with injected point, step, drift and burst anomalies"));
        var warmup = split.Train.Concat(split.Calibration).ToList();
        var injected = AnomalyInjection.WithInjectedAnomalies(split.Test, stats, h.Seed);
        Func<ModelPredictor, Dictionary<string, double>> evaluate = p => EvaluateAnomaly(p, warmup, injected);
        var predictor = ModelPredictor.FromModel(ModelTrainer.Placeholder(set, h), featurizer, calibration);
        var metrics = evaluate(predictor);

        // References: the largest |z| per entry with one set of statistics for all tenants (the trivial scorer), and
        // the PCA reconstruction error; each per anomaly kind as well.
        var pcaPredictor = ModelPredictor.FromModel(ModelTrainer.Placeholder(set, h), pca, new ModelCalibration { Task = set.Task });
        var judged = Judged(injected);
        var pcaScores = pcaPredictor.RawScores(judged.Select(x => AnomalyFeatureBuilder.Build(x.Entry, stats)).ToList()).Select(v => (double)v).ToList();
        var zScores = judged.Select(x => AnomalyFeatureBuilder.MaxAbsZ(AnomalyFeatureBuilder.Build(x.Entry, stats))).ToList();
        var tenantZScores = TenantMaxAbsZ(calibration.Anomaly, warmup, injected);
        var baseline = new Dictionary<string, double>
        {
            ["auc"] = 0.5,
            ["positive_rate"] = judged.Count(x => x.Kind is not null) / (double)Math.Max(1, judged.Count),
        };
        foreach (var (name, scores) in new[] { ("max_abs_z", zScores), ("max_abs_z_tenant", tenantZScores), ("pca_only", pcaScores) })
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
            Features = ModelTrainer.NumericDistributions(set, trainRows),
        };
        return new TrainedModel
        {
            Set = set,
            Algorithm = "tenant_profiles",
            Hyperparameters = h,
            Model = featurizer,
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
        var m = Metrics.Binary(labels, flagged.Select(f => f ? 1.0 : 0.0).ToList());
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

    /// <summary>
    /// The trivial scorer as serving would run it: the largest |z| of each entry with its tenant's own statistics and
    /// the stream's previous value per key (the served score's point component alone, no shift, no rate), on the
    /// same warmed-up stream, for the judged entries.
    /// </summary>
    private static List<double> TenantMaxAbsZ(AnomalyCalibration cal, IReadOnlyList<PredictionLogEntry> warmup, InjectedLog test)
    {
        var stream = new AnomalyStream();
        foreach (var e in warmup)
        {
            stream.Observe(e, cal.ProfileFor(e.ClientId));
        }
        var points = test.Entries.Select(e => stream.Observe(e, cal.ProfileFor(e.ClientId)).Point).ToList();
        return points.Where((_, i) => test.Kinds[i] != AnomalyInjection.Ignored).ToList();
    }

    /// <summary>Anomaly kinds an evaluation reports ("" = all of them together).</summary>
    public static readonly IReadOnlyList<string> ReportedKinds = ["", .. AnomalyInjection.PointKinds, .. AnomalyInjection.ContextKinds];

    /// <summary>
    /// The served score against the references, AUC per anomaly kind, as a markdown table (the training benchmark
    /// and <c>eval-anomaly</c> print it).
    /// </summary>
    public static string KindTable(IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, double> baseline)
    {
        static string A(IReadOnlyDictionary<string, double> m, string key) =>
            m.TryGetValue(key, out var v) ? v.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "–";
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("| anomaly kind | served score (per-tenant profiles) AUC | largest \\|z\\| per tenant (the trivial scorer as served) AUC | largest \\|z\\| (one set of statistics) AUC | PCA reconstruction AUC |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var kind in ReportedKinds)
        {
            var suffix = kind == "" ? "" : "_" + kind;
            sb.AppendLine($"| {(kind == "" ? "all" : kind)} | {A(metrics, "auc" + suffix)} | {A(baseline, "max_abs_z_tenant_auc" + suffix)} | {A(baseline, "max_abs_z_auc" + suffix)} | {A(baseline, "pca_only_auc" + suffix)} |");
        }
        sb.AppendLine();
        sb.AppendLine($"At the medium cut: precision {A(metrics, "precision")}, recall {A(metrics, "recall")}, false-positive rate {A(metrics, "false_positive_rate")}.");
        return sb.ToString();
    }

    /// <summary>The entries an evaluation judges (normal or a named kind), with their kind.</summary>
    private static List<(PredictionLogEntry Entry, string? Kind)> Judged(InjectedLog log) =>
        log.Entries.Select((e, i) => (e, log.Kinds[i])).Where(x => x.Item2 != AnomalyInjection.Ignored).ToList();

    /// <summary>AUC over all judged entries ("") and per anomaly kind (that kind's entries against all normal ones).</summary>
    private static Dictionary<string, double> AucByKind(IReadOnlyList<string?> kinds, IReadOnlyList<double> scores)
    {
        var result = new Dictionary<string, double> { [""] = Metrics.Auc(kinds.Select(k => k is not null).ToList(), scores) };
        foreach (var kind in kinds.Where(k => k is not null).Distinct())
        {
            var idx = Enumerable.Range(0, kinds.Count).Where(i => kinds[i] is null || kinds[i] == kind).ToList();
            result[kind!] = Metrics.Auc(idx.Select(i => kinds[i] is not null).ToList(), idx.Select(i => scores[i]).ToList());
        }
        return result;
    }
}
