using System.Diagnostics;
using Microsoft.ML;
using StrategicAgent.Ml.Confidence;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Training;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.Ml.Models.Unified;

/// <summary>
/// The unified model: one LightGBM booster learns three targets of a done issue (lead time in ln
/// days, story points, rework 0/1), each standardised, from rows stacked with a <c>target</c>
/// indicator; with <c>compare_separate</c> three single-target models on the same view, split and
/// settings are trained for the honest comparison. View: <c>Migrations/Replica/Views/ml.unified_features.sql</c>.
/// </summary>
public sealed class UnifiedModel : IModelDefinition
{
    public static UnifiedModel Instance { get; } = new();

    public ModelKind Kind => ModelKind.Unified;
    public string Name => ModelNames.Unified;

    public FeatureSet Features { get; } = FeatureSet.OfView(ModelNames.Unified, ModelTask.MultiTarget, typeof(UnifiedFeatures),
        "ml.unified_features",
        "three targets per done issue with PRs: lead time (days, log-scaled), story points, reworked (0/1); each standardised",
        trainingFilter: "is_done AND (lead_time_days IS NOT NULL OR story_points IS NOT NULL OR reworked IS NOT NULL)");

    // 150k newest issues (≈ 450k stacked rows, four boosters with the comparison): the large
    // data's 300k took twice as long and scored no better than medium's 80k.
    public ModelDefaults Defaults { get; } = new()
    {
        MaxAgeDays = 30,
        MinNewRecords = 200,
        Hyperparameters = new Dictionary<string, string> { ["max_rows"] = "150000" },
    };

    public async Task<TrainedModel> TrainAsync(IFeatureSource source, Hyperparameters h, IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var rows = await source.ReadAsync<UnifiedFeatures>(Features, h.MaxRows, ct);
        return await Task.Run(() => Train(rows, h, progress), ct);
    }

    public async Task<TestEvaluation> NewestTestAsync(IFeatureSource source, Hyperparameters h, CancellationToken ct)
    {
        var slice = TimeSplit.Split(await source.ReadAsync<UnifiedFeatures>(Features, h.MaxRows, ct), h).Test;
        return new TestEvaluation(p => EvaluateStacked(p, slice, UnifiedTargets.All), slice.Count);
    }

    /// <summary>Trains on rows already read (tests and the benchmark call it directly).</summary>
    public TrainedModel Train(IReadOnlyList<UnifiedFeatures> rows, Hyperparameters h, IProgress<TrainingProgress>? progress = null)
    {
        var set = Features;
        var sw = Stopwatch.StartNew();
        ModelTrainer.EnsureEnough(set, rows.Count, h);
        var split = TimeSplit.Split(rows, h);
        var ml = new MLContext(seed: h.Seed);
        progress?.Report(new(RunStage.Training, 20, $"Training one {h.Algorithm} model on {split.Train.Count} issues × 3 targets"));
        var (model, calibration, schema) = TrainStacked(ml, split, UnifiedTargets.All, h);
        Func<ModelPredictor, Dictionary<string, double>> evaluate = p => EvaluateStacked(p, split.Test, UnifiedTargets.All);
        var metrics = evaluate(ModelPredictor.FromModel(ModelTrainer.Placeholder(set, h), model, calibration));

        if (h.CompareSeparate)
        {
            // The honest comparison: one single-target model per target, same view, same split, same settings.
            foreach (var (target, k) in UnifiedTargets.All.Select((t, i) => (t, i)))
            {
                progress?.Report(new(RunStage.Training, 45 + 10 * k, $"Training the separate {target} model for comparison"));
                var (m, c, _) = TrainStacked(ml, split, [target], h);
                foreach (var (key, v) in EvaluateStacked(ModelPredictor.FromModel(ModelTrainer.Placeholder(set, h), m, c), split.Test, [target]))
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
                foreach (var (k, v) in Metrics.Binary(test.Select(t => t > 0.5).ToList(), test.Select(_ => prior).ToList(), prior))
                {
                    baseline[$"{target}_{k}"] = v;
                }
                baseScores.Add(0);
            }
            else
            {
                var median = Metrics.Quantile(train, 0.5);
                var mean = train.Average();
                var best = double.NegativeInfinity;
                foreach (var (name, c) in new[] { ("mean", mean), ("median", median) })
                {
                    foreach (var (k, v) in Metrics.Regression(test, test.Select(_ => c).ToList()))
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

        return ModelTrainer.Finish(set, h, ml, model, schema, split, metrics, baseline, calibration, evaluate, sw, rows.Count,
            split.Train.Select(r => (double)r.LeadTimeDays).ToList(), unifiedStats: true);
    }

    private static (ITransformer Model, ModelCalibration Calibration, DataViewSchema Schema) TrainStacked(
        MLContext ml, TimeSplit<UnifiedFeatures> split, IReadOnlyList<string> targets, Hyperparameters h)
    {
        var scaling = new Dictionary<string, (double Mean, double Std)>();
        foreach (var t in targets)
        {
            var values = split.Train.Select(r => UnifiedTargets.Value(r, t)).Where(float.IsFinite)
                .Select(v => ModelTrainer.Forward(v, UnifiedTargets.Transform(t) == LabelTransform.Log)).ToList();
            if (values.Count < 10)
            {
                throw new TrainingFailedException($"Only {values.Count} training rows of 'unified' have a known {t}: at least 10 are needed.");
            }
            var ms = MeanStd.Of(values);
            scaling[t] = (ms.Mean, ms.Std > 1e-9 ? ms.Std : 1);
        }
        var stacked = Stack(split.Train, targets, scaling);
        var input = ml.Data.LoadFromEnumerable(stacked);
        var model = Pipelines.Featurizer(ml, Instance.Features.Features, h).Append(Pipelines.Regressor(ml, h)).Fit(input);

        var placeholder = ModelPredictor.FromModel(ModelTrainer.Placeholder(Instance.Features, h), model, new ModelCalibration { Task = ModelTask.MultiTarget });
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
                : tc with { Interval = ConformalInterval.Fit(rows.Select((r, i) => ModelTrainer.Forward(UnifiedTargets.Value(r, t), log) - scores[i]).ToList()) };
        }
        return (model, new ModelCalibration { Task = ModelTask.MultiTarget, Targets = cal }, input.Schema);
    }

    private static List<UnifiedFeatures> Stack(IEnumerable<UnifiedFeatures> rows, IReadOnlyList<string> targets, Dictionary<string, (double Mean, double Std)> scaling) =>
        rows.SelectMany(r => targets
                .Where(t => float.IsFinite(UnifiedTargets.Value(r, t)))
                .Select(t => r.WithTarget(t, (float)((ModelTrainer.Forward(UnifiedTargets.Value(r, t), UnifiedTargets.Transform(t) == LabelTransform.Log) - scaling[t].Mean) / scaling[t].Std))))
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
                foreach (var (k, v) in Metrics.Binary(rows.Select(r => r.Reworked > 0.5f).ToList(), probs))
                {
                    metrics[$"{t}_{k}"] = v;
                }
                parts.Add(2 * metrics[$"{t}_auc"] - 1);
            }
            else
            {
                var preds = scores.Select(s => ModelPredictor.ToRegression(0, s, tc.Transform, tc.Interval, tc.Mean, tc.Std)).ToList();
                var actual = rows.Select(r => (double)UnifiedTargets.Value(r, t)).ToList();
                foreach (var (k, v) in Metrics.Regression(actual, preds.Select(x => x.Value).ToList()))
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

}
