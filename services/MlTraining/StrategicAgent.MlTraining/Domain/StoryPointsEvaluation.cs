using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using StrategicAgent.Embeddings;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>How our test MAE compares with the train median's, judged by a bootstrap band.</summary>
public enum StoryPointsVerdict
{
    /// <summary>The 95 % bootstrap interval of (our MAE − median MAE) lies below 0.</summary>
    Win,
    /// <summary>The interval contains 0: the difference is within what resampling the test rows gives.</summary>
    Tie,
    /// <summary>The interval lies above 0.</summary>
    Loss,
    /// <summary>Tuning on val preferred the median itself (α = 0): there is no model for this project.</summary>
    Median,
}

/// <summary>One project's result: ours on test next to the train-median/mean baselines.</summary>
public sealed record StoryPointsResult(
    string Project, int Train, int Val, int Test,
    double Mae, double Mdae, double WithinOneStep,
    double MedianMae, double MedianMdae, double MedianWithinOneStep, double MeanMae,
    double DiffLow, double DiffHigh, StoryPointsVerdict Verdict,
    string Chosen, double ValMae, double ValMedianMae, double Seconds)
{
    /// <summary>MAE difference ours − train median on test (negative = better).</summary>
    public double Diff => Mae - MedianMae;
}

/// <summary>
/// Scores the complexity model the way the published story-point results are scored: fit on
/// <c>train</c>, choose settings on <c>val</c>, refit on train+val with the chosen settings, score
/// MAE on <c>test</c> only. Candidates tried on val: LightGBM on word (and char) n-grams, on the
/// all-MiniLM-L6-v2 sentence embeddings of title + description, and on both; k nearest neighbours
/// (cosine) in embedding space, whose median label is an MAE-minded estimate; ridge regression on
/// the embeddings — each × shrinkage towards the median (α ∈ {0, ¼, ½, ¾, 1}; α = 0 is the median
/// itself) × rounding to the nearest Fibonacci value.
/// Deterministic: LightGBM on one thread with its deterministic mode, fixed seeds, one ONNX
/// thread for the embeddings, a seeded bootstrap; two runs print the same table.
/// </summary>
public sealed class StoryPointsEvaluation(ISentenceEmbedder embedder)
{
    /// <summary>Story-point values the "one Fibonacci step" measure walks along.</summary>
    public static readonly double[] Fibonacci = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];

    /// <summary>Bootstrap resamples of the test rows for the MAE-difference band, and its seed.</summary>
    public const int BootstrapSamples = 2000;
    public const int BootstrapSeed = 20_180_101;

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

    /// <summary>One issue as the candidates see it: text, label, sentence vector.</summary>
    internal sealed record Row(string Text, float Label, float[] Embedding);

    private sealed record Candidate(string Name, Func<IReadOnlyList<Row>, IReadOnlyList<Row>, double[]> FitPredict);

    private static readonly Hyperparameters Words = new() { Iterations = 200, Leaves = 15, MinLeaf = 10, LearningRate = 0.05, WordNgrams = 2 };
    private static readonly Hyperparameters WordsChars = Words with { WordNgrams = 1, CharNgrams = 3 };
    private static readonly Hyperparameters NoText = Words with { WordNgrams = 0 };

    private static readonly Candidate[] Candidates =
    [
        new("lgbm words, log label", (f, p) => Lgbm(f, p, Words, log: true, embeddings: false)),
        new("lgbm words, raw label", (f, p) => Lgbm(f, p, Words, log: false, embeddings: false)),
        new("lgbm words+chars, log label", (f, p) => Lgbm(f, p, WordsChars, log: true, embeddings: false)),
        new("lgbm embeddings, log label", (f, p) => Lgbm(f, p, NoText, log: true, embeddings: true)),
        new("lgbm embeddings+words, log label", (f, p) => Lgbm(f, p, Words, log: true, embeddings: true)),
        new("knn embeddings k=10", (f, p) => Knn(f, p, 10)),
        new("knn embeddings k=30", (f, p) => Knn(f, p, 30)),
        new("ridge embeddings λ=3, log label", (f, p) => Ridge(f, p, 3)),
        new("ridge embeddings λ=30, log label", (f, p) => Ridge(f, p, 30)),
    ];

    private static readonly double[] Shrink = [0, 0.25, 0.5, 0.75, 1];

    public StoryPointsResult Evaluate(string project, IReadOnlyList<StoryPointIssue> issues)
    {
        var sw = Stopwatch.StartNew();
        var texts = issues.Select(Text).ToList();
        var vectors = embedder.Embed(texts);
        var rows = issues.Select((x, i) => (x.Split, Row: new Row(texts[i], (float)x.Points, vectors[i]))).ToList();
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

        var best = (mae: double.MaxValue, candidate: Candidates[0], alpha: 0.0, round: false);
        foreach (var candidate in Candidates)
        {
            var raw = candidate.FitPredict(fit, tune);
            foreach (var alpha in Shrink)
            {
                foreach (var round in new[] { false, true })
                {
                    var mae = Metrics.Regression(tuneActual, Post(raw, tuneMedian, alpha, round))["mae"];
                    if (mae < best.mae - 1e-9) best = (mae, candidate, alpha, round);
                }
            }
        }
        var valMedianMae = tuneActual.Average(a => Math.Abs(a - tuneMedian));

        var full = train.Concat(val).ToList();
        var fullMedian = Metrics.Quantile(full.Select(r => (double)r.Label), 0.5);
        var predictions = Post(best.candidate.FitPredict(full, test), fullMedian, best.alpha, best.round);
        var actual = test.Select(r => (double)r.Label).ToList();
        var medianPredictions = actual.Select(_ => trainMedian).ToList();
        var ours = Metrics.Regression(actual, predictions);
        var median = Metrics.Regression(actual, medianPredictions);
        var meanValue = train.Average(r => r.Label);
        var (low, high) = BootstrapMaeDifference(actual, predictions, medianPredictions);
        var verdict = best.alpha == 0 ? StoryPointsVerdict.Median
            : high < 0 ? StoryPointsVerdict.Win
            : low > 0 ? StoryPointsVerdict.Loss
            : StoryPointsVerdict.Tie;
        return new StoryPointsResult(project, train.Count, val.Count, test.Count,
            ours["mae"], ours["mdae"], WithinOneStep(actual, predictions),
            median["mae"], median["mdae"], WithinOneStep(actual, medianPredictions),
            Metrics.Regression(actual, actual.Select(_ => (double)meanValue).ToList())["mae"],
            low, high, verdict,
            string.Create(CultureInfo.InvariantCulture, $"{best.candidate.Name}, α={best.alpha:0.##}{(best.round ? ", rounded" : "")}"),
            best.mae, valMedianMae, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Title + description, the text that is embedded and n-grammed.</summary>
    public static string Text(StoryPointIssue i) =>
        i.Title + "\n" + (i.Description.Length > 1000 ? i.Description[..1000] : i.Description);

    /// <summary>
    /// 95 % percentile-bootstrap interval of MAE(ours) − MAE(baseline) over the test rows (paired:
    /// each resample draws rows, both errors of a row travel together), seeded.
    /// </summary>
    public static (double Low, double High) BootstrapMaeDifference(IReadOnlyList<double> actual, IReadOnlyList<double> ours, IReadOnlyList<double> baseline)
    {
        var n = actual.Count;
        var d = new double[n];
        for (var i = 0; i < n; i++) d[i] = Math.Abs(actual[i] - ours[i]) - Math.Abs(actual[i] - baseline[i]);
        var random = new Random(BootstrapSeed);
        var means = new double[BootstrapSamples];
        for (var b = 0; b < BootstrapSamples; b++)
        {
            double s = 0;
            for (var i = 0; i < n; i++) s += d[random.Next(n)];
            means[b] = s / n;
        }
        return (Metrics.Quantile(means, 0.025), Metrics.Quantile(means, 0.975));
    }

    private static List<double> Post(IReadOnlyList<double> raw, double median, double alpha, bool round) =>
        raw.Select(p =>
        {
            var v = median + alpha * (p - median);
            return round ? Nearest(v) : v;
        }).ToList();

    private sealed class MlRow
    {
        public float Label { get; set; }
        public string Text { get; set; } = "";
        public float[] Embedding { get; set; } = [];
    }

    private static double[] Lgbm(IReadOnlyList<Row> fit, IReadOnlyList<Row> predict, Hyperparameters h, bool log, bool embeddings)
    {
        var ml = new MLContext(seed: h.Seed);
        var dims = fit[0].Embedding.Length;
        var schema = SchemaDefinition.Create(typeof(MlRow));
        schema[nameof(MlRow.Embedding)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dims);
        IEnumerable<MlRow> Convert(IEnumerable<Row> rows, bool label) => rows.Select(r => new MlRow
        {
            Label = label ? (log ? (float)Math.Log(Math.Max(r.Label, 0.1f)) : r.Label) : 0,
            Text = r.Text,
            Embedding = r.Embedding,
        });
        var data = ml.Data.LoadFromEnumerable(Convert(fit, label: true), schema);
        var parts = new List<string>();
        IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>();
        if (h.WordNgrams > 0 || h.CharNgrams > 0)
        {
            chain = chain.Append(Pipelines.Featurizer(ml, [new FeatureColumn(nameof(MlRow.Text), "text", FeatureKind.Text, "")], h))
                .Append(ml.Transforms.CopyColumns("TextFeatures", Pipelines.FeaturesColumn));
            parts.Add("TextFeatures");
        }
        if (embeddings) parts.Add(nameof(MlRow.Embedding));
        var model = chain.Append(ml.Transforms.Concatenate(Pipelines.FeaturesColumn, parts.ToArray()))
            .Append(Pipelines.Regressor(ml, h, deterministic: true)).Fit(data);
        var scores = model.Transform(ml.Data.LoadFromEnumerable(Convert(predict, label: false), schema)).GetColumn<float>("Score").ToArray();
        return scores.Select(s => log ? Math.Exp(s) : s).ToArray();
    }

    /// <summary>Median label of the k most similar fit rows (cosine: the vectors are unit length).</summary>
    internal static double[] Knn(IReadOnlyList<Row> fit, IReadOnlyList<Row> predict, int k)
    {
        k = Math.Min(k, fit.Count);
        var result = new double[predict.Count];
        var sims = new (double Sim, int Index)[fit.Count];
        for (var p = 0; p < predict.Count; p++)
        {
            var q = predict[p].Embedding;
            for (var i = 0; i < fit.Count; i++) sims[i] = (Dot(q, fit[i].Embedding), i);
            // Ties in similarity broken by row order: deterministic.
            Array.Sort(sims, (a, b) => a.Sim != b.Sim ? b.Sim.CompareTo(a.Sim) : a.Index.CompareTo(b.Index));
            result[p] = Metrics.Quantile(sims.Take(k).Select(s => (double)fit[s.Index].Label), 0.5);
        }
        return result;
    }

    /// <summary>Ridge regression of ln(points) on the embedding (centred, closed form, Cholesky).</summary>
    internal static double[] Ridge(IReadOnlyList<Row> fit, IReadOnlyList<Row> predict, double lambda)
    {
        var d = fit[0].Embedding.Length;
        var n = fit.Count;
        var mean = new double[d];
        foreach (var r in fit) for (var j = 0; j < d; j++) mean[j] += r.Embedding[j] / n;
        var y = fit.Select(r => Math.Log(Math.Max(r.Label, 0.1))).ToArray();
        var yMean = y.Average();
        var a = new double[d, d];
        var b = new double[d];
        var x = new double[d];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++) x[j] = fit[i].Embedding[j] - mean[j];
            for (var j = 0; j < d; j++)
            {
                b[j] += x[j] * (y[i] - yMean);
                for (var l = 0; l <= j; l++) a[j, l] += x[j] * x[l];
            }
        }
        for (var j = 0; j < d; j++) a[j, j] += lambda;
        var w = SolveSymmetric(a, b);
        return predict.Select(r =>
        {
            var s = yMean;
            for (var j = 0; j < d; j++) s += w[j] * (r.Embedding[j] - mean[j]);
            return Math.Exp(s);
        }).ToArray();
    }

    /// <summary>Solves A w = b for a symmetric positive-definite A given by its lower triangle.</summary>
    private static double[] SolveSymmetric(double[,] a, double[] b)
    {
        var d = b.Length;
        var l = new double[d, d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var s = a[i, j];
                for (var k = 0; k < j; k++) s -= l[i, k] * l[j, k];
                l[i, j] = i == j ? Math.Sqrt(Math.Max(s, 1e-12)) : s / l[j, j];
            }
        }
        var z = new double[d];
        for (var i = 0; i < d; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++) s -= l[i, k] * z[k];
            z[i] = s / l[i, i];
        }
        var w = new double[d];
        for (var i = d - 1; i >= 0; i--)
        {
            var s = z[i];
            for (var k = i + 1; k < d; k++) s -= l[k, i] * w[k];
            w[i] = s / l[i, i];
        }
        return w;
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double Nearest(double v) => Fibonacci.MinBy(f => Math.Abs(Math.Log(Math.Max(v, 0.25)) - Math.Log(f)));

    /// <summary>Share of predictions whose nearest Fibonacci value is at most one step from the actual's.</summary>
    public static double WithinOneStep(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        static int Index(double v) => Array.IndexOf(Fibonacci, Nearest(v));
        return actual.Select((a, i) => Math.Abs(Index(a) - Index(predicted[i])) <= 1 ? 1.0 : 0.0).Average();
    }

    private static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Markdown(IReadOnlyList<StoryPointsResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| project | train/val/test | our MAE | our MdAE | ours within 1 step | median MAE | median MdAE | median within 1 step | mean MAE | Deep-SE MAE | GPT2SP MAE | ours − median (95 % bootstrap band) | vs median | vs best published | chosen on val (val MAE; val median MAE) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var pub = Published.TryGetValue(r.Project.ToLowerInvariant(), out var p) ? p : ((double, double, double, double)?)null;
            var verdict = r.Verdict switch
            {
                StoryPointsVerdict.Win => "**win**",
                StoryPointsVerdict.Tie => "tie",
                StoryPointsVerdict.Loss => "**loss**",
                _ => "**no model** (val chose the median)",
            };
            var bestPublished = pub is { } q ? Math.Min(q.Item3, q.Item4) : double.NaN;
            var vsPublished = double.IsNaN(bestPublished) ? "–"
                : r.Mae < bestPublished - 0.005 ? $"better ({F(r.Mae - bestPublished)})"
                : r.Mae <= bestPublished + 0.005 ? "level"
                : $"worse (+{F(r.Mae - bestPublished)})";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Project} | {r.Train}/{r.Val}/{r.Test} | {F(r.Mae)} | {F(r.Mdae)} | {r.WithinOneStep:P0} | {F(r.MedianMae)} | {F(r.MedianMdae)} | {r.MedianWithinOneStep:P0} | {F(r.MeanMae)} | {(pub is { } a ? F(a.Item3) : "–")} | {(pub is { } b ? F(b.Item4) : "–")} | {(r.Diff >= 0 ? "+" : "")}{F(r.Diff)} [{F(r.DiffLow)}, {F(r.DiffHigh)}] | {verdict} | {vsPublished} | {r.Chosen} ({F(r.ValMae)}; {F(r.ValMedianMae)}) |"));
        }
        var wins = results.Count(r => r.Verdict == StoryPointsVerdict.Win);
        var ties = results.Count(r => r.Verdict == StoryPointsVerdict.Tie);
        var losses = results.Count(r => r.Verdict is StoryPointsVerdict.Loss or StoryPointsVerdict.Median);
        var published = results.Where(r => Published.ContainsKey(r.Project.ToLowerInvariant())).ToList();
        var beatsPublished = published.Count(r => r.Mae < Math.Min(Published[r.Project.ToLowerInvariant()].DeepSe, Published[r.Project.ToLowerInvariant()].Gpt2Sp) - 0.005);
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Against the train median: {wins} win, {ties} tie, {losses} loss or no model, of {results.Count} (win = the 95 % paired-bootstrap band of the MAE difference, {BootstrapSamples} resamples of the test rows, lies below 0). Better than the best published MAE (min of Deep-SE, GPT2SP) on {beatsPublished} of {published.Count}."));
        return sb.ToString();
    }
}
