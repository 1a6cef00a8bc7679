using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Npgsql;
using StrategicAgent.Embeddings;
using StrategicAgent.Data;
using StrategicAgent.Data.DemoData;
using StrategicAgent.LocalServers;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Models;
using StrategicAgent.Ml.Models.Anomaly;
using StrategicAgent.Ml.Training;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench training</c>: loads a demo data set (medium or large) into a primary + logical
/// replica (or uses a given replica), then trains every model from the replica as the service
/// does, measuring read and training time and peak memory (RSS sampled every 50 ms) per model,
/// and trains Python XGBoost on the same featurised rows and the same time-ordered split for
/// comparison (bench/xgboost_bench.py, Debian python3-xgboost).
/// </summary>
public static class TrainingBench
{
    private const string Usage = """
        bench training [--size medium|large] [--seed N] [--reference-date yyyy-MM-dd] [--replica <connection string>]
                       [--models trajectory,complexity,rework,unified,anomaly] [--xgboost true|false]
                       [--prediction-log N] [--python /usr/bin/python3] [--embed N] [--embed-train N] [--out results.md]
          Without --replica: starts a primary and a logical replica in a temporary directory, loads the
          demo data into the primary and trains from the replica. With it: the replica must already
          hold the data (and the ml schema).
          --embed N (default 200, 0 = off): the sentence-embedding cost per issue (all-MiniLM-L6-v2, one ONNX
          thread, nothing cached) on N issue texts of the complexity rows.
          --embed-train N (default 1000, 0 = off): the training cost of the story-point model with the embeddings as
          features — the story-points evaluation (every candidate: n-grams, embeddings, both, k-NN, ridge; chosen on
          val, refit, scored on test) on the newest N labelled complexity rows split 60/20/20 by time, its embedding
          time (distinct texts, uncached) apart from its training time.
        """;

    private sealed record Row(string Model, long Rows, double ReadSeconds, double TrainSeconds, double CpuSeconds, double PeakRssMb,
        string Load, Dictionary<string, double> Metrics, Dictionary<string, double> Baseline, XgbResult? Xgb, string? Note);

    private sealed record XgbResult(double TrainSeconds, double CpuSeconds, int Features, Dictionary<string, double> Metrics);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (BenchArgs.Parse("bench training", Usage, args, out var o) is { } exit)
        {
            return exit;
        }
        DemoDataOptions options;
        string[] models;
        int logRows;
        try
        {
            options = new DemoDataOptions
            {
                Size = DemoDataOptions.ParseSize(o.GetValueOrDefault("size", "medium")),
                Seed = int.Parse(o.GetValueOrDefault("seed", "42"), CultureInfo.InvariantCulture),
                ReferenceDate = o.TryGetValue("reference-date", out var d)
                    ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture)
                    : DateOnly.FromDateTime(DateTime.UtcNow),
            };
            models = o.GetValueOrDefault("models", string.Join(',', ModelNames.All)).Split(',', StringSplitOptions.RemoveEmptyEntries);
            foreach (var m in models)
            {
                if (!ModelNames.IsKnown(m)) throw new ArgumentException($"unknown model '{m}'");
            }
            logRows = int.Parse(o.GetValueOrDefault("prediction-log", options.Size == DemoDataSize.Large ? "100000" : "20000"), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"bench training: {ex.Message}\n{Usage}");
            return 64;
        }
        var xgboost = bool.Parse(o.GetValueOrDefault("xgboost", "true"));
        var python = o.GetValueOrDefault("python", "/usr/bin/python3");
        var embed = int.Parse(o.GetValueOrDefault("embed", "200"), CultureInfo.InvariantCulture);
        var embedTrain = int.Parse(o.GetValueOrDefault("embed-train", "1000"), CultureInfo.InvariantCulture);

        if (o.TryGetValue("replica", out var r))
        {
            return await MeasureAsync(r, options, models, logRows, xgboost, python, embed, embedTrain, o.GetValueOrDefault("out"), ct);
        }
        await using var data = await SelfHostedData.StartAsync("training", ct);
        var sw = Stopwatch.StartNew();
        Console.WriteLine($"loading {options.Size} demo data (seed {options.Seed}) …");
        var summary = await data.LoadDemoDataAsync(options, ct: ct);
        Console.WriteLine($"loaded {summary.TotalRows:N0} rows and replicated in {sw.Elapsed.TotalSeconds:0} s");
        return await MeasureAsync(data.Replica, options, models, logRows, xgboost, python, embed, embedTrain, o.GetValueOrDefault("out"), ct);
    }

    /// <summary>
    /// Cost of the story-point model's sentence embeddings: all-MiniLM-L6-v2 on one ONNX thread (as
    /// the evaluation runs it), cold (nothing cached), in batches of 32 like the evaluation.
    /// </summary>
    private static string MeasureEmbedding(List<string> texts)
    {
        var load = LoadAverage();
        using var minilm = new MiniLmEmbedder(threads: 1);
        minilm.Embed([texts[0]]); // model load and first-call set-up are not per-issue costs
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var embedder = new CachedEmbedder(minilm, cacheDirectory: null);
        embedder.Embed(texts);
        var wall = sw.Elapsed.TotalMilliseconds / texts.Count;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / texts.Count;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"Sentence embeddings (all-MiniLM-L6-v2, 1 ONNX thread, uncached): {texts.Count} issue texts, {wall:0.0} ms wall and {cpuMs:0.0} CPU-ms per issue (mean {texts.Average(t => t.Length):0} characters), load {load}→{LoadAverage()}.");
        Console.WriteLine(line);
        return line + Environment.NewLine;
    }

    /// <summary>
    /// Training cost of the story-point model with sentence embeddings as features: the story-points evaluation (the
    /// command that chooses per project among n-grams, embeddings, both, k-NN and ridge) on the newest labelled demo
    /// issues, split 60/20/20 by time. The embedding time (distinct texts, uncached, one ONNX thread) is measured apart
    /// from the rest, which is training: every candidate fitted on train and scored on val, the chosen one refitted.
    /// </summary>
    private static string MeasureEmbeddingTraining(List<(string Text, float Points)> issues)
    {
        var load = LoadAverage();
        using var minilm = new MiniLmEmbedder(threads: 1);
        minilm.Embed([issues[0].Text]); // model load is not training cost
        var embedder = new CachedEmbedder(minilm, cacheDirectory: null);
        var n = issues.Count;
        var rows = issues.Select((x, i) => new StoryPointIssue($"DEMO-{i}", x.Text, "", x.Points,
            i < n * 6 / 10 ? "train" : i < n * 8 / 10 ? "val" : "test")).ToList();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = new StoryPointsEvaluation(embedder).Evaluate("demo", rows);
        var wall = sw.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var embedSeconds = embedder.EmbedTime.TotalSeconds;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"Story points with embeddings (the evaluation's grid on the newest {n} labelled demo issues, {result.Train}/{result.Val}/{result.Test} by time): " +
            $"{wall:0.0} s wall, {cpuSeconds:0.0} CPU-s; of it embedding {embedder.Embedded} distinct texts {embedSeconds:0.0} s " +
            $"({1000 * embedSeconds / Math.Max(1, embedder.Embedded):0.0} ms per text), training and choosing {wall - embedSeconds:0.0} s; " +
            $"chosen {result.Chosen}, test MAE {result.Mae:0.00} vs train median {result.MedianMae:0.00}; load {load}→{LoadAverage()}.");
        Console.WriteLine(line);
        return line + Environment.NewLine;
    }

    private static async Task<int> MeasureAsync(string replicaCs, DemoDataOptions options, string[] models, int logRows, bool xgboost,
        string python, int embed, int embedTrain, string? output, CancellationToken ct)
    {
        await using var replica = new NpgsqlDataSourceBuilder(replicaCs) { ConnectionStringBuilder = { ApplicationName = "bench-training" } }.Build();
        await SeedPredictionLogAsync(replica, logRows, options.AsOf, ct);
        var source = new FeatureSource(replica);
        var defaults = new TrainingOptions();
        var rows = new List<Row>();
        List<string>? complexityTexts = null;
        List<(string Text, float Points)>? labelledTexts = null;
        var total = Stopwatch.StartNew();
        foreach (var model in models)
        {
            var h = defaults.HyperparametersFor(model);
            GC.Collect();
            var loadBefore = LoadAverage();
            using var sampler = new RssSampler();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var set = FeatureSet.For(model);
            // Every catalogued model the same way: the timed source measures the read and keeps the
            // rows the model was trained on (XGBoost gets the same matrix).
            var timed = new TimedSource(source);
            var trained = await ModelCatalog.Get(model).TrainAsync(timed, h, null, ct);
            var readSeconds = timed.ReadSeconds;
            var featureRows = set.Task is ModelTask.Regression or ModelTask.BinaryClassification ? timed.Rows : null;
            if (model == ModelNames.Complexity && featureRows is not null)
            {
                // The newest issues' texts, for the embedding cost below.
                complexityTexts = featureRows.Cast<ComplexityFeatures>().TakeLast(Math.Max(embed, 0)).Select(c => c.Text).ToList();
                labelledTexts = featureRows.Cast<ComplexityFeatures>().Where(c => float.IsFinite(c.Label))
                    .TakeLast(Math.Max(embedTrain, 0)).Select(c => (c.Text, c.Label)).ToList();
            }
            var seconds = sw.Elapsed.TotalSeconds;
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var load = $"{loadBefore}→{LoadAverage()}";
            var peak = sampler.PeakMb;
            sampler.Dispose();
            XgbResult? xgb = null;
            string? note = null;
            if (xgboost && featureRows is not null)
            {
                xgb = RunXgboost(trained, featureRows, h, python, ct);
            }
            else if (xgboost)
            {
                note = model == ModelNames.Anomaly ? "XGBoost has no unsupervised counterpart" : "XGBoost not run for the stacked multi-target model";
            }
            rows.Add(new Row(model, trained.TotalRows, readSeconds, seconds - readSeconds, cpuSeconds, peak, load, trained.Metrics, trained.BaselineMetrics, xgb, note));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{model}: {trained.TotalRows:N0} rows, read {readSeconds:0.0} s, train {seconds - readSeconds:0.0} s, {cpuSeconds:0.0} CPU-s, peak RSS {peak:0} MB, load {load}, {trained.KeyMetric} {trained.KeyScore:0.000}{(xgb is null ? "" : $"; XGBoost {xgb.TrainSeconds:0.0} s, {xgb.CpuSeconds:0.0} CPU-s")}"));
        }
        var table = Markdown(options, rows, rows.Sum(r => r.ReadSeconds + r.TrainSeconds), rows.Sum(r => r.CpuSeconds));
        if (embed > 0 && complexityTexts is { Count: > 0 })
        {
            table += Environment.NewLine + MeasureEmbedding(complexityTexts.Take(embed).ToList());
        }
        if (embedTrain > 0 && labelledTexts is { Count: >= 100 })
        {
            table += Environment.NewLine + MeasureEmbeddingTraining(labelledTexts);
        }
        Console.WriteLine();
        Console.WriteLine(table);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, table, ct);
        }
        return 0;
    }

    private static XgbResult? RunXgboost(TrainedModel trained, List<IFeatureRow> rows, Hyperparameters h, string python, CancellationToken ct)
    {
        var split = TimeSplit.Split(rows, h);
        var dir = Directory.CreateTempSubdirectory("sa-xgb-").FullName;
        try
        {
            var log = trained.Set.LabelTransform == LabelTransform.Log;
            var trainFile = Path.Combine(dir, "train.svm");
            var testFile = Path.Combine(dir, "test.svm");
            WriteLibSvm(trained, split.Train, trainFile, log);
            WriteLibSvm(trained, split.Test, testFile, log);
            var script = Path.Combine(AppContext.BaseDirectory, "xgboost_bench.py");
            if (!File.Exists(script))
            {
                script = FindUp("bench/xgboost_bench.py") ?? throw new FileNotFoundException("bench/xgboost_bench.py not found");
            }
            var psi = new ProcessStartInfo(python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList =
                {
                    script, "--train", trainFile, "--test", testFile,
                    "--task", trained.Set.Task == ModelTask.BinaryClassification ? "binary" : "regression",
                    "--iterations", h.Iterations.ToString(CultureInfo.InvariantCulture),
                    "--learning-rate", h.LearningRate.ToString(CultureInfo.InvariantCulture),
                    "--leaves", h.Leaves.ToString(CultureInfo.InvariantCulture),
                    // LightGBM's min_leaf counts rows; XGBoost's min_child_weight sums the loss's
                    // hessian: 1 per row for squared error, p(1 − p) per row for log-loss (taken
                    // at the training prior).
                    "--min-child-weight", MinChildWeight(trained, split.Train, h).ToString("R", CultureInfo.InvariantCulture),
                    "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
                },
            };
            if (log) psi.ArgumentList.Add("--log-label");
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"xgboost_bench.py failed ({p.ExitCode}): {stderr}");
                return null;
            }
            using var doc = JsonDocument.Parse(stdout);
            var metrics = doc.RootElement.GetProperty("metrics").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetDouble());
            return new XgbResult(doc.RootElement.GetProperty("train_seconds").GetDouble(), doc.RootElement.GetProperty("train_cpu_seconds").GetDouble(),
                doc.RootElement.GetProperty("features").GetInt32(), metrics);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double MinChildWeight(TrainedModel trained, IReadOnlyList<IFeatureRow> train, Hyperparameters h)
    {
        if (trained.Set.Task != ModelTask.BinaryClassification) return h.MinLeaf;
        var prior = train.Count(r => r.Label > 0.5f) / (double)Math.Max(1, train.Count);
        return h.MinLeaf * prior * (1 - prior);
    }

    /// <summary>The 1-minute load average (from /proc/loadavg; "?" elsewhere).</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>The rows as the trained pipeline featurises them ("Features"), one LIBSVM line each; NaN is left out (missing).</summary>
    private static void WriteLibSvm(TrainedModel trained, IReadOnlyList<IFeatureRow> rows, string path, bool log)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = rows switch
        {
            _ when rows.Count > 0 && rows[0] is TrajectoryFeatures => ml.Data.LoadFromEnumerable(rows.Cast<TrajectoryFeatures>()),
            _ when rows.Count > 0 && rows[0] is ComplexityFeatures => ml.Data.LoadFromEnumerable(rows.Cast<ComplexityFeatures>()),
            _ => ml.Data.LoadFromEnumerable(rows.Cast<ReworkFeatures>()),
        };
        var transformed = trained.Model.Transform(data);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        using var cursor = transformed.GetRowCursor(transformed.Schema.Where(c => c.Name == "Features"));
        var getter = cursor.GetGetter<VBuffer<float>>(transformed.Schema["Features"]);
        var buffer = default(VBuffer<float>);
        var i = 0;
        var sb = new StringBuilder();
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            var label = rows[i++].Label;
            sb.Clear();
            sb.Append((log ? Math.Log(Math.Max(label, 1e-6f)) : label).ToString("R", CultureInfo.InvariantCulture));
            var values = buffer.GetValues();
            var indices = buffer.GetIndices();
            for (var k = 0; k < values.Length; k++)
            {
                var v = values[k];
                if (float.IsNaN(v)) continue;
                var index = buffer.IsDense ? k : indices[k];
                sb.Append(' ').Append(index + 1).Append(':').Append(v.ToString("R", CultureInfo.InvariantCulture));
            }
            writer.WriteLine(sb);
        }
    }

    private static async Task SeedPredictionLogAsync(NpgsqlDataSource replica, int count, DateTime asOf, CancellationToken ct)
    {
        await using (var check = replica.CreateCommand("SELECT count(*) FROM ml.ml_prediction_log"))
        {
            if ((long)(await check.ExecuteScalarAsync(ct))! >= count) return;
        }
        await using var conn = await replica.OpenConnectionAsync(ct);
        await using var writer = await conn.BeginBinaryImportAsync(
            "COPY ml.ml_prediction_log (model_name, prediction_key, prediction_value, input_feature_count, prediction_confidence, response_time_ms, created_at, client_id) FROM STDIN (FORMAT BINARY)", ct);
        // Three tenants of different volume: the anomaly model keeps a profile per tenant.
        foreach (var e in PredictionLogSimulator.GenerateTenants([(1, count / 2), (2, count * 3 / 10), (3, count - count / 2 - count * 3 / 10)], asOf, seed: 7))
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(e.ModelName, ct);
            await writer.WriteAsync(e.PredictionKey, ct);
            await writer.WriteAsync(e.PredictionValue, ct);
            await writer.WriteAsync(e.InputFeatureCount, ct);
            await writer.WriteAsync(e.Confidence ?? 0.5, ct);
            await writer.WriteAsync(e.ResponseTimeMs ?? 1.0, ct);
            await writer.WriteAsync(e.CreatedAt, NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
            await writer.WriteAsync(e.ClientId, ct);
        }
        await writer.CompleteAsync(ct);
    }

    private static string Markdown(DemoDataOptions options, List<Row> rows, double totalSeconds, double totalCpu)
    {
        static string M(Dictionary<string, double> m, params string[] keys) =>
            string.Join(", ", keys.Where(m.ContainsKey).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k} {m[k]:0.000}")));
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Size {options.Size}, seed {options.Seed}, {Environment.ProcessorCount} cores; all models {totalSeconds:0} s wall, {totalCpu:0} CPU-s (read + train, XGBoost excluded)."));
        sb.AppendLine();
        sb.AppendLine("| model | rows | read s | train s | CPU-s | peak RSS MB | load avg (1 min, before→after) | ours (test slice) | baseline | XGBoost train s (CPU-s) | XGBoost (same features, same split) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var keys = r.Model switch
            {
                ModelNames.Rework => new[] { "auc", "log_loss", "brier", "f1" },
                ModelNames.Unified => new[] { "score", "lead_time_r2", "story_points_r2", "rework_auc", "separate_score", "separate_lead_time_r2", "separate_story_points_r2", "separate_rework_auc" },
                ModelNames.Anomaly => new[] { "auc", "precision", "recall", "false_positive_rate" },
                _ => new[] { "r2", "mae", "rmse", "mdae", "r2_log" },
            };
            var baseKeys = r.Model switch
            {
                ModelNames.Rework => new[] { "auc", "log_loss", "brier", "f1" },
                ModelNames.Unified => new[] { "score" },
                ModelNames.Anomaly => new[] { "auc", "max_abs_z_auc" },
                _ => new[] { "r2", "median_mae" },
            };
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.Rows:N0} | {r.ReadSeconds:0.0} | {r.TrainSeconds:0.0} | {r.CpuSeconds:0.0} | {r.PeakRssMb:0} | {r.Load} | {M(r.Metrics, keys)} | {M(r.Baseline, baseKeys)} | {(r.Xgb is null ? "–" : $"{r.Xgb.TrainSeconds:0.0} ({r.Xgb.CpuSeconds:0.0})")} | {(r.Xgb is null ? r.Note ?? "–" : M(r.Xgb.Metrics, "r2", "mae", "rmse", "mdae", "r2_log", "auc", "log_loss", "brier"))} |"));
        }
        if (rows.FirstOrDefault(r => r.Model == ModelNames.Anomaly) is { } anomaly)
        {
            // The anomaly scorer against the references, per kind of injected anomaly (docs/ml.md, "anomaly").
            sb.AppendLine();
            sb.Append(AnomalyModel.KindTable(anomaly.Metrics, anomaly.Baseline));
        }
        return sb.ToString();
    }

    private static string? FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        var cwd = Path.Combine(Directory.GetCurrentDirectory(), relative);
        return File.Exists(cwd) ? cwd : null;
    }

    /// <summary>Peak resident set size of this process while alive, sampled every 50 ms.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _task;
        private long _peak;

        public RssSampler()
        {
            _peak = Environment.WorkingSet;
            _task = Task.Run(async () =>
            {
                while (!_cts.IsCancellationRequested)
                {
                    var now = Environment.WorkingSet;
                    if (now > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, now);
                    try
                    {
                        await Task.Delay(50, _cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });
        }

        public double PeakMb => Interlocked.Read(ref _peak) / 1048576.0;

        public void Dispose()
        {
            if (_cts.IsCancellationRequested) return;
            _cts.Cancel();
            _task.Wait();
            _cts.Dispose();
        }
    }
}

/// <summary>An <see cref="IFeatureSource"/> that times its reads and keeps the rows it returned.</summary>
internal sealed class TimedSource(IFeatureSource inner) : IFeatureSource
{
    public double ReadSeconds { get; private set; }
    public List<IFeatureRow>? Rows { get; private set; }

    public async Task<List<T>> ReadAsync<T>(FeatureSet set, int maxRows, CancellationToken ct) where T : class, IFeatureRow, new()
    {
        var sw = Stopwatch.StartNew();
        var rows = await inner.ReadAsync<T>(set, maxRows, ct);
        ReadSeconds += sw.Elapsed.TotalSeconds;
        Rows = rows.Cast<IFeatureRow>().ToList();
        return rows;
    }

    public async Task<List<PredictionLogEntry>> ReadPredictionLogAsync(int maxRows, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var rows = await inner.ReadPredictionLogAsync(maxRows, ct);
        ReadSeconds += sw.Elapsed.TotalSeconds;
        return rows;
    }
}
