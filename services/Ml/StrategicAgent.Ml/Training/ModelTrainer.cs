using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Confidence;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.Ml.Training;

/// <summary>A training run that could not produce a model, with the reason recorded in the registry.</summary>
public sealed class TrainingFailedException(string reason) : Exception(reason);

/// <summary>A stage of a training run, for streamed progress.</summary>
public sealed record TrainingProgress(RunStage Stage, double Percent, string Message);

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
/// The shared training machinery with ML.NET: a regression or binary model from rows of a feature
/// view (split, train, calibrate, evaluate, statistics), and the pieces the models with their own
/// training (Models/Unified, Models/Anomaly) reuse. Pure: rows in, model out; the service reads
/// rows from the replica and writes the result to the registry.
/// </summary>
public static class ModelTrainer
{
    public static TrainedModel TrainRegression<T>(FeatureSet set, IReadOnlyList<T> rows, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
        where T : class, IFeatureRow, new()
    {
        var sw = Stopwatch.StartNew();
        EnsureEnough(set, rows.Count, h);
        var split = TimeSplit.Split(rows, h);
        var ml = new MLContext(seed: h.Seed);
        var log = set.LabelTransform == LabelTransform.Log;
        progress?.Report(new(RunStage.Training, 30, $"Training {h.Algorithm} on {split.Train.Count} rows"));

        var input = ml.Data.LoadFromEnumerable(split.Train);
        var trainData = log ? WithLogLabel(ml, input) : input;
        var model = Pipelines.Featurizer(ml, set.Features, h).Append(Pipelines.Regressor(ml, h)).Fit(trainData);

        progress?.Report(new(RunStage.Evaluating, 70, $"Calibrating on {split.Calibration.Count} rows, testing on {split.Test.Count} newer rows"));
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

    public static TrainedModel TrainBinary<T>(FeatureSet set, IReadOnlyList<T> rows, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
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
        progress?.Report(new(RunStage.Training, 30, $"Training {h.Algorithm} on {split.Train.Count} rows ({positives} positive)"));
        var input = ml.Data.LoadFromEnumerable(split.Train);
        var model = Pipelines.Featurizer(ml, set.Features, h).Append(Pipelines.Classifier(ml, h)).Fit(Pipelines.WithBoolLabel(ml, input));

        progress?.Report(new(RunStage.Evaluating, 70, $"Calibrating on {split.Calibration.Count} rows, testing on {split.Test.Count} newer rows"));
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

    // ---- helpers ----------------------------------------------------------------------------

    internal static TrainedModel Finish<T>(FeatureSet set, Hyperparameters h, MLContext ml, ITransformer model, DataViewSchema schema,
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

    internal static void EnsureEnough(FeatureSet set, int rows, Hyperparameters h)
    {
        if (rows < h.MinRows)
        {
            throw new TrainingFailedException(
                $"Too few training rows for '{set.ModelName}': {rows} in {set.View}, at least {h.MinRows} are needed (min_rows). Load more data or lower min_rows.");
        }
    }

    internal static double Forward(double y, bool log) => log ? Math.Log(Math.Max(y, 1e-6)) : y;

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

    internal static Dictionary<string, FeatureDistribution> NumericDistributions<T>(FeatureSet set, IReadOnlyList<T> rows)
    {
        var result = new Dictionary<string, FeatureDistribution>();
        foreach (var f in set.OfKind(FeatureKind.Numeric))
        {
            var prop = typeof(T).GetProperty(f.Property, BindingFlags.Public | BindingFlags.Instance)!;
            result[f.Column] = FeatureDistribution.Fit(rows.Select(r => (double)(float)prop.GetValue(r)!).ToList(), 10);
        }
        return result;
    }

    internal static Dictionary<string, Dictionary<string, double>> CategoryShares<T>(FeatureSet set, IReadOnlyList<T> rows)
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
    internal static Dictionary<string, double> Clean(Dictionary<string, double> m) =>
        m.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);

    internal static RegisteredModel Placeholder(FeatureSet set, Hyperparameters h) => new()
    {
        Id = 0,
        ModelName = set.ModelName,
        Version = 0,
        Algorithm = h.Algorithm,
        Status = VersionStatus.Candidate,
    };
}
