using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>One project's result: ours on test next to the train-median/mean baselines.</summary>
public sealed record StoryPointsResult(
    string Project, int Train, int Val, int Test,
    double Mae, double Mdae, double WithinOneStep,
    double MedianMae, double MedianMdae, double MedianWithinOneStep, double MeanMae,
    string Chosen, double Seconds);

/// <summary>
/// Scores the complexity model the way the published story-point results are scored: fit on
/// <c>train</c>, choose settings on <c>val</c>, refit on train+val with the chosen settings, score
/// MAE on <c>test</c> only. Settings tried on val: a few pipelines (word n-grams, word+char
/// n-grams; LightGBM; raw or log label) × shrinkage towards the median
/// (α ∈ {0, ¼, ½, ¾, 1}; α = 0 is the median itself) × rounding to the nearest Fibonacci value.
/// </summary>
public sealed class StoryPointsEvaluation(ModelTrainer trainer)
{
    /// <summary>Story-point values the "one Fibonacci step" measure walks along.</summary>
    public static readonly double[] Fibonacci = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];

    /// <summary>MAE on test of the published baselines and models (data README: raw labels, test split).</summary>
    public static readonly IReadOnlyDictionary<string, (double Mean, double Median, double DeepSe, double Gpt2Sp)> Published =
        new Dictionary<string, (double, double, double, double)>
        {
            ["appceleratorstudio"] = (1.91, 1.30, 1.42, 1.50),
            ["aptanastudio"] = (3.60, 3.61, 4.14, 3.25),
            ["bamboo"] = (1.21, 0.75, 0.81, 0.77),
            ["clover"] = (4.58, 3.75, 3.39, 3.64),
            ["duracloud"] = (0.99, 0.81, 0.82, 0.71),
            ["mesos"] = (1.41, 1.22, 1.12, 1.18),
            ["mule"] = (2.59, 2.47, 2.59, 2.60),
            ["springxd"] = (2.05, 1.72, 1.70, 1.84),
        };

    private sealed record Config(string Name, Hyperparameters H, bool Log);

    private static readonly Config[] Configs =
    [
        new("lgbm-words-log", new Hyperparameters { Iterations = 200, Leaves = 15, MinLeaf = 10, LearningRate = 0.05, WordNgrams = 2 }, true),
        new("lgbm-words-raw", new Hyperparameters { Iterations = 200, Leaves = 15, MinLeaf = 10, LearningRate = 0.05, WordNgrams = 2 }, false),
        new("lgbm-words+chars-log", new Hyperparameters { Iterations = 200, Leaves = 15, MinLeaf = 10, LearningRate = 0.05, WordNgrams = 1, CharNgrams = 3 }, true),
    ];

    private static readonly double[] Shrink = [0, 0.25, 0.5, 0.75, 1];

    public StoryPointsResult Evaluate(string project, IReadOnlyList<StoryPointIssue> issues)
    {
        _ = trainer;
        var sw = Stopwatch.StartNew();
        var rows = issues.Select((x, i) => (x.Split, Row: StoryPointsCsv.ToFeatures(x, project, i + 1))).ToList();
        var train = rows.Where(r => r.Split == "train").Select(r => r.Row).ToList();
        var val = rows.Where(r => r.Split == "val").Select(r => r.Row).ToList();
        var test = rows.Where(r => r.Split == "test").Select(r => r.Row).ToList();
        if (train.Count < 20 || test.Count == 0)
        {
            throw new FormatException($"{project}: needs at least 20 train rows and some test rows (has {train.Count} train, {val.Count} val, {test.Count} test).");
        }
        var trainMedian = Metrics.Quantile(train.Select(r => (double)r.Label), 0.5);
        // Settings are chosen on val; without val rows the last 20% of train play its part.
        var (fit, tune) = val.Count > 0 ? (train, val) : (train.Take(train.Count * 4 / 5).ToList(), train.Skip(train.Count * 4 / 5).ToList());
        var tuneMedian = Metrics.Quantile(fit.Select(r => (double)r.Label), 0.5);
        var tuneActual = tune.Select(r => (double)r.Label).ToList();

        var best = (mae: double.MaxValue, config: Configs[0], alpha: 0.0, round: false);
        foreach (var config in Configs)
        {
            var raw = FitPredict(fit, tune, config);
            foreach (var alpha in Shrink)
            {
                foreach (var round in new[] { false, true })
                {
                    var mae = Metrics.Regression(tuneActual, Post(raw, tuneMedian, alpha, round))["mae"];
                    if (mae < best.mae - 1e-9) best = (mae, config, alpha, round);
                }
            }
        }

        var full = train.Concat(val).ToList();
        var fullMedian = Metrics.Quantile(full.Select(r => (double)r.Label), 0.5);
        var predictions = Post(FitPredict(full, test, best.config), fullMedian, best.alpha, best.round);
        var actual = test.Select(r => (double)r.Label).ToList();
        var ours = Metrics.Regression(actual, predictions);
        var median = Metrics.Regression(actual, actual.Select(_ => trainMedian).ToList());
        var meanValue = train.Average(r => r.Label);
        return new StoryPointsResult(project, train.Count, val.Count, test.Count,
            ours["mae"], ours["mdae"], WithinOneStep(actual, predictions),
            median["mae"], median["mdae"], WithinOneStep(actual, actual.Select(_ => trainMedian).ToList()),
            Metrics.Regression(actual, actual.Select(_ => (double)meanValue).ToList())["mae"],
            string.Create(CultureInfo.InvariantCulture, $"{best.config.Name}, α={best.alpha:0.##}{(best.round ? ", rounded" : "")}"),
            sw.Elapsed.TotalSeconds);
    }

    private static List<double> Post(IReadOnlyList<double> raw, double median, double alpha, bool round) =>
        raw.Select(p =>
        {
            var v = median + alpha * (p - median);
            return round ? Nearest(v) : v;
        }).ToList();

    private static List<double> FitPredict(List<ComplexityFeatures> fit, List<ComplexityFeatures> predict, Config config)
    {
        var ml = new MLContext(seed: config.H.Seed);
        var data = ml.Data.LoadFromEnumerable(fit);
        if (config.Log)
        {
            data = ml.Transforms.CustomMapping<Pipelines.FloatLabel, Pipelines.FloatLabel>(
                (i, o) => o.Label = (float)Math.Log(Math.Max(i.Label, 0.1f)), contractName: null).Fit(data).Transform(data);
        }
        var model = Pipelines.Featurizer(ml, FeatureSet.Complexity.Features, config.H).Append(Pipelines.Regressor(ml, config.H)).Fit(data);
        var scores = model.Transform(ml.Data.LoadFromEnumerable(predict)).GetColumn<float>("Score").ToArray();
        return scores.Select(s => config.Log ? Math.Exp(s) : s).ToList();
    }

    public static double Nearest(double v) => Fibonacci.MinBy(f => Math.Abs(Math.Log(Math.Max(v, 0.25)) - Math.Log(f)));

    /// <summary>Share of predictions whose nearest Fibonacci value is at most one step from the actual's.</summary>
    public static double WithinOneStep(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        static int Index(double v) => Array.IndexOf(Fibonacci, Nearest(v));
        return actual.Select((a, i) => Math.Abs(Index(a) - Index(predicted[i])) <= 1 ? 1.0 : 0.0).Average();
    }

    public static string Markdown(IReadOnlyList<StoryPointsResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| project | train/val/test | our MAE | our MdAE | ours within 1 step | median MAE | median within 1 step | mean MAE | Deep-SE MAE | GPT2SP MAE | beats median? | settings chosen on val |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var pub = Published.TryGetValue(r.Project.ToLowerInvariant(), out var p) ? p : ((double, double, double, double)?)null;
            // α = 0 means tuning preferred the (train+val) median to the model: that is not a model win.
            var fellBack = r.Chosen.Contains("α=0,", StringComparison.Ordinal) || r.Chosen.EndsWith("α=0", StringComparison.Ordinal);
            var verdict = fellBack ? "**no** (fell back to the median)"
                : r.Mae < r.MedianMae - 0.005 ? "yes" : Math.Abs(r.Mae - r.MedianMae) <= 0.005 ? "tie" : "**no**";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Project} | {r.Train}/{r.Val}/{r.Test} | {r.Mae:0.00} | {r.Mdae:0.00} | {r.WithinOneStep:P0} | {r.MedianMae:0.00} | {r.MedianWithinOneStep:P0} | {r.MeanMae:0.00} | {(pub is { } a ? a.Item3.ToString("0.00", CultureInfo.InvariantCulture) : "–")} | {(pub is { } b ? b.Item4.ToString("0.00", CultureInfo.InvariantCulture) : "–")} | {verdict} | {r.Chosen} |"));
        }
        return sb.ToString();
    }
}
