using System.Globalization;
using StrategicAgent.Embeddings;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.MlTraining.Cli;

/// <summary>
/// Command-line tools of the ml-training executable:
/// <c>eval-storypoints &lt;dir-or-csv&gt; [--out results.md] [--cache &lt;dir&gt; | --no-cache]</c> and
/// <c>import-storypoints &lt;dir-or-csv&gt; --primary &lt;connection string&gt;</c>.
/// </summary>
public static class CommandLine
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0) return null;
        switch (args[0])
        {
            case "eval-storypoints":
                return await EvalAsync(args[1..]);
            case "import-storypoints":
                return await ImportAsync(args[1..]);
            case "embed-storypoints":
                return EmbedShard(args[1..]);
            case "eval-anomaly":
                return EvalAnomaly(args[1..]);
            case "--help" or "help":
                Console.WriteLine("""
                    ml-training: runs the training service, or one of these tools:
                      eval-storypoints <dir|file.csv> [--out <file.md>] [--cache <dir> | --no-cache]
                          Trains and scores the complexity model per project on the published split
                          (train → fit, val → tuning, test → score) and prints MAE, MdAE and the share
                          within one Fibonacci step next to the published baselines, with a bootstrap
                          band for "beats the median". Deterministic (fixed seeds, one thread).
                          Sentence embeddings (all-MiniLM-L6-v2) are cached per text in <dir>
                          (default $SA_EMBEDDING_CACHE, else ~/.cache/strategicagent/embeddings).
                      embed-storypoints <dir|file.csv> --cache <dir> [--shard k/n]
                          Only fills the embedding cache (shard k of n of the texts), so several
                          processes can embed one data set side by side; merge the caches by
                          concatenating their files.
                      eval-anomaly [--rows N] [--seeds 1,2,3] [--out <file.md>]
                          Trains the anomaly model on simulated prediction logs (three tenants of
                          different volume, N rows, one log per seed) and prints the AUC per injected
                          anomaly kind of the served score next to the largest |z| per tenant, the
                          largest |z| with one set of statistics and PCA, averaged over the seeds.
                      import-storypoints <dir|file.csv> --primary "<connection string>"
                          Loads each CSV as a tenant (one project) into the platform tables on the primary.
                    """);
                return 0;
            default:
                return null;
        }
    }

    private static IEnumerable<string> CsvFiles(string path) =>
        File.Exists(path) ? [path]
        : Directory.Exists(path) ? Directory.GetFiles(path, "*.csv").OrderBy(f => f, StringComparer.Ordinal)
        : throw new FileNotFoundException($"No such file or directory: {path}");

    private static async Task<int> EvalAsync(string[] args)
    {
        if (args.Length == 0)
        {
            await Console.Error.WriteLineAsync("usage: eval-storypoints <dir|file.csv> [--out <file.md>] [--cache <dir> | --no-cache]");
            return 2;
        }
        string? output = null;
        var cache = CachedEmbedder.DefaultDirectory();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--out" && i + 1 < args.Length) output = args[++i];
            else if (args[i] == "--cache" && i + 1 < args.Length) cache = args[++i];
            else if (args[i] == "--no-cache") cache = null;
            else
            {
                await Console.Error.WriteLineAsync($"eval-storypoints: unknown argument '{args[i]}'. Expected --out <file.md>, --cache <dir> or --no-cache.");
                return 2;
            }
        }
        try
        {
            using var minilm = new MiniLmEmbedder(threads: 1);
            var embedder = new CachedEmbedder(minilm, cache);
            var eval = new StoryPointsEvaluation(embedder);
            var results = new List<StoryPointsResult>();
            foreach (var file in CsvFiles(args[0]))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                Console.Error.WriteLine($"evaluating {name} …");
                var r = eval.Evaluate(name, StoryPointsCsv.Read(file));
                results.Add(r);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name}: MAE {r.Mae:0.00} (median {r.MedianMae:0.00}, mean {r.MeanMae:0.00}), chosen {r.Chosen}, {r.Seconds:0.0} s"));
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"embedded {embedder.Embedded} texts in {embedder.EmbedTime.TotalSeconds:0.0} s ({(embedder.Embedded > 0 ? embedder.EmbedTime.TotalMilliseconds / embedder.Embedded : 0):0.0} ms each); the rest came from the cache {cache ?? "(none)"}"));
            var table = StoryPointsEvaluation.Markdown(results);
            Console.WriteLine(table);
            if (output is not null)
            {
                await File.WriteAllTextAsync(output, table);
            }
            return 0;
        }
        catch (Exception e) when (e is FormatException or IOException)
        {
            await Console.Error.WriteLineAsync("eval-storypoints: " + e.Message);
            return 1;
        }
    }

    private static int EmbedShard(string[] args)
    {
        string? cache = null;
        int shard = 0, shards = 1;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--cache" && i + 1 < args.Length) cache = args[++i];
            else if (args[i] == "--shard" && i + 1 < args.Length && args[i + 1].Split('/') is [var k, var n]
                     && int.TryParse(k, CultureInfo.InvariantCulture, out shard) && int.TryParse(n, CultureInfo.InvariantCulture, out shards)
                     && shards > 0 && shard >= 0 && shard < shards) i++;
            else
            {
                Console.Error.WriteLine($"embed-storypoints: unexpected argument '{args[i]}'.");
                return 2;
            }
        }
        if (args.Length == 0 || cache is null)
        {
            Console.Error.WriteLine("usage: embed-storypoints <dir|file.csv> --cache <dir> [--shard k/n]");
            return 2;
        }
        var texts = CsvFiles(args[0]).SelectMany(f => StoryPointsCsv.Read(f)).Select(StoryPointsEvaluation.Text)
            .Where(t => StableHash(t) % (uint)shards == (uint)shard).ToList();
        using var minilm = new MiniLmEmbedder(threads: 1);
        var embedder = new CachedEmbedder(minilm, cache);
        embedder.Embed(texts);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"shard {shard}/{shards}: {texts.Count} texts, {embedder.Embedded} embedded in {embedder.EmbedTime.TotalSeconds:0.0} s"));
        return 0;
    }

    private static int EvalAnomaly(string[] args)
    {
        var rows = 20_000;
        int[] seeds = [7];
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--rows" && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out rows) && rows >= 1000) i++;
            else if (args[i] == "--seeds" && i + 1 < args.Length && args[i + 1].Split(',').Select(x => int.TryParse(x, CultureInfo.InvariantCulture, out var v) ? v : (int?)null).ToList() is { } parsed
                     && parsed.All(v => v is not null) && parsed.Count > 0)
            {
                seeds = parsed.Select(v => v!.Value).ToArray();
                i++;
            }
            else if (args[i] == "--out" && i + 1 < args.Length) output = args[++i];
            else
            {
                Console.Error.WriteLine($"eval-anomaly: unexpected argument '{args[i]}'. Expected --rows N (at least 1000), --seeds 1,2,3 or --out <file.md>.");
                return 2;
            }
        }
        var report = AnomalyEvaluation.Run(rows, seeds, line => Console.Error.WriteLine(line));
        Console.WriteLine(report);
        if (output is not null) File.WriteAllText(output, report);
        return 0;
    }

    private static uint StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var c in text) h = (h ^ c) * 16777619u;
        return h;
    }

    private static async Task<int> ImportAsync(string[] args)
    {
        string? primary = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--primary" && i + 1 < args.Length) primary = args[++i];
        }
        if (args.Length == 0 || primary is null)
        {
            await Console.Error.WriteLineAsync("usage: import-storypoints <dir|file.csv> --primary \"Host=…;Port=…;Database=strategicagent;Username=…;Password=…\"");
            return 2;
        }
        try
        {
            foreach (var file in CsvFiles(args[0]))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                var n = await StoryPointsImporter.ImportAsync(primary, name, StoryPointsCsv.Read(file), CancellationToken.None);
                Console.WriteLine($"{name}: {n.Issues} issues imported as tenant {n.ClientId} ({n.Skipped} already present)");
            }
            return 0;
        }
        catch (Exception e) when (e is FormatException or IOException or Npgsql.NpgsqlException)
        {
            await Console.Error.WriteLineAsync("import-storypoints: " + e.Message);
            return 1;
        }
    }
}
