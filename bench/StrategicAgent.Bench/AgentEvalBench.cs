using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StrategicAgent.Data.DemoData;
using StrategicAgent.Evaluation;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench agent-eval</c>: execution accuracy of the agent on the question corpus (tests/corpus/agent).
/// Every question is asked through the gateway's HTTP API as a user would; its rows are compared with
/// the rows of the intent's gold SQL run as the same tenant; right / refused / wrong per family, per
/// class and overall, traps refused or answered, and every wrong answer with its SQL and why.
/// </summary>
public static class AgentEvalBench
{
    private const string Usage = """
        bench agent-eval [--corpus dev|test|PATH] [--client-id 1] [--parallel 2] [--quiet] [--out report.md]
            self-hosted (default): [--size medium|small] [--validation-dll PATH]
                starts PostgreSQL primary + replica with the demo data (seed 42, reference date today), the
                validation service (process), the agent and the gateway (in this process), an API key for --client-id.
            a running system (./run.sh): --run-info PATH   or   --gateway URL --api-key KEY --replica CONNECTION-STRING
                the replica connection runs the gold SQL as the key's tenant (--client-id) under row-level security.
            [--now 2026-11-01T12:00:00Z]   pin "today" of the gold SQL (data generated for another day than today)
          bench agent-eval --check-gold [--corpus …] [--size small|medium | --replica CONNECTION-STRING]
                runs only the gold SQL and fails on an error or an empty result (every gold must return rows).
          bench agent-eval --split SOURCE.yaml [--seed S] [--to DIRECTORY]
                splits a corpus by intent into dev.yaml and test.yaml (default: tests/corpus/agent, the committed seed).
          Exit code: 0 when the targets are met (wrong <= 1% of answerable, right >= 85%, every trap refused), 1 if not.
        """;

    private static readonly string[] Flags = ["quiet", "check-gold"];

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        // Bare flags become "--flag true" for the shared --name value parser.
        var expanded = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            expanded.Add(args[i]);
            if (args[i].StartsWith("--", StringComparison.Ordinal) && Flags.Contains(args[i][2..]) && (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                expanded.Add("true");
            }
        }
        if (BenchArgs.Parse("bench agent-eval", Usage, [.. expanded], out var o) is { } exit)
        {
            return exit;
        }
        try
        {
            if (o.TryGetValue("split", out var source))
            {
                return SplitCorpus(source, o.GetValueOrDefault("seed", Corpus.SplitSeed), o.GetValueOrDefault("to"));
            }
            var clientId = long.Parse(o.GetValueOrDefault("client-id", "1"), CultureInfo.InvariantCulture);
            var parallel = int.Parse(o.GetValueOrDefault("parallel", "2"), CultureInfo.InvariantCulture);
            DateTimeOffset? now = o.TryGetValue("now", out var n) ? DateTimeOffset.Parse(n, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;
            var corpusPath = Corpus.ResolvePath(o.GetValueOrDefault("corpus", "dev"));
            var intents = Corpus.Load(corpusPath);
            if (clientId <= 0 || parallel is <= 0 or > 64)
            {
                throw new ArgumentException("--client-id must be > 0 and --parallel in 1..64");
            }
            var checkGold = bool.Parse(o.GetValueOrDefault("check-gold", "false"));
            var quiet = bool.Parse(o.GetValueOrDefault("quiet", "false"));
            if (checkGold)
            {
                return await CheckGoldAsync(intents, corpusPath, o, clientId, now, ct);
            }
            return await EvaluateAsync(intents, corpusPath, o, clientId, parallel, now, quiet, ct);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException or JsonException)
        {
            Console.Error.WriteLine($"bench agent-eval: {e.Message}\n{Usage}");
            return 64;
        }
    }

    private static async Task<int> EvaluateAsync(IReadOnlyList<CorpusIntent> intents, string corpusPath, Dictionary<string, string> o,
        long clientId, int parallel, DateTimeOffset? now, bool quiet, CancellationToken ct)
    {
        var report = new StringBuilder();
        var load = LoadAverage();
        string gatewayUrl, apiKey, replica;
        AgentBench.SelfHosted? system = null;
        try
        {
            if (o.TryGetValue("run-info", out var runInfo))
            {
                (gatewayUrl, apiKey, replica) = ReadRunInfo(runInfo, clientId);
                report.AppendLine(CultureInfo.InvariantCulture, $"Against the running system of {runInfo}: gateway {gatewayUrl}, client {clientId}.");
            }
            else if (o.TryGetValue("gateway", out var g))
            {
                gatewayUrl = g;
                apiKey = o.TryGetValue("api-key", out var k) ? k : throw new ArgumentException("--gateway needs --api-key and --replica");
                replica = o.TryGetValue("replica", out var r) ? r : throw new ArgumentException("--gateway needs --replica (the gold SQL runs there as the tenant)");
                report.AppendLine(CultureInfo.InvariantCulture, $"Against the running gateway {gatewayUrl}, client {clientId}.");
            }
            else
            {
                var size = DemoDataOptions.ParseSize(o.GetValueOrDefault("size", "medium"));
                Console.Error.WriteLine($"starting primary + replica with the {size} demo data, the validation service, the agent and the gateway …");
                system = await AgentBench.SelfHosted.StartAsync(size, clientId, o.GetValueOrDefault("validation-dll"), "30", report, ct);
                (gatewayUrl, apiKey, replica) = (system.GatewayUrl, system.ApiKey, system.Replica);
            }

            await using var gold = new GoldRunner(replica, clientId, now);
            using var source = new GatewayAnswerSource(gatewayUrl, apiKey);
            var sw = Stopwatch.StartNew();
            var done = 0;
            var total = intents.Sum(i => i.Questions.Count);
            var result = await Evaluator.RunAsync(intents, gold, source, parallel, q =>
            {
                var k = Interlocked.Increment(ref done);
                if (k % 25 == 0 || k == total)
                {
                    Console.Error.WriteLine($"  {k}/{total} asked ({sw.Elapsed.TotalSeconds:0} s)");
                }
            }, ct);
            report.Insert(0, $"bench agent-eval: {Path.GetFileName(corpusPath)} — {intents.Count} intents, {total} questions ({result.Answerable.Count} answerable, {result.Traps.Count} traps), client {clientId}, asked through the gateway's HTTP API, {parallel} at a time, in {sw.Elapsed.TotalSeconds:0} s.\n");
            report.AppendLine();
            report.AppendLine(result.Format(failures: !quiet));
            report.AppendLine(CultureInfo.InvariantCulture,
                $"Grading: result equality as Spider/BIRD execution accuracy (rules in tests/corpus/agent/README.md). Machine load average (1 min) at start {load}, at end {LoadAverage()} on {Environment.ProcessorCount} cores.");
            Console.WriteLine(report);
            if (o.TryGetValue("out", out var path))
            {
                await File.WriteAllTextAsync(path, report.ToString(), ct);
            }
            return result.TargetsMet ? 0 : 1;
        }
        finally
        {
            if (system is not null)
            {
                await system.DisposeAsync();
            }
        }
    }

    /// <summary>Runs every gold query; each must succeed and return at least one row.</summary>
    private static async Task<int> CheckGoldAsync(IReadOnlyList<CorpusIntent> intents, string corpusPath, Dictionary<string, string> o,
        long clientId, DateTimeOffset? now, CancellationToken ct)
    {
        SelfHostedData? data = null;
        try
        {
            string replica;
            if (o.TryGetValue("replica", out var r))
            {
                replica = r;
            }
            else
            {
                var size = DemoDataOptions.ParseSize(o.GetValueOrDefault("size", "small"));
                data = await SelfHostedData.StartAsync("agent-eval", ct);
                var summary = await data.LoadDemoDataAsync(new DemoDataOptions { Size = size, Seed = 42, ReferenceDate = DateOnly.FromDateTime(DateTime.UtcNow) }, ct: ct);
                Console.WriteLine($"{size} demo data loaded ({summary.Rows.GetValueOrDefault("issues"):N0} issues), reference date today.");
                replica = data.Replica;
            }
            await using var gold = new GoldRunner(replica, clientId, now);
            var bad = 0;
            foreach (var intent in intents.Where(i => !i.IsTrap))
            {
                string line;
                try
                {
                    var g = await gold.RunGoldAsync(intent, ct);
                    var ties = g.TiesBeyondLimit > 0 ? $", {g.TiesBeyondLimit} tie(s) beyond the limit" : "";
                    line = g.Table.Rows.Count == 0 ? "NO ROWS" : $"{g.Table.Rows.Count} row(s){ties}";
                    bad += g.Table.Rows.Count == 0 ? 1 : 0;
                }
                catch (Npgsql.NpgsqlException e)
                {
                    line = "ERROR " + e.Message;
                    bad++;
                }
                Console.WriteLine($"{intent.Intent}: {line}");
            }
            Console.WriteLine($"{Path.GetFileName(corpusPath)}: {intents.Count(i => !i.IsTrap)} gold queries, {bad} failing or empty.");
            return bad == 0 ? 0 : 1;
        }
        finally
        {
            if (data is not null)
            {
                await data.DisposeAsync();
            }
        }
    }

    private static int SplitCorpus(string source, string seed, string? to)
    {
        var intents = Corpus.Load(source);
        var (dev, test) = Corpus.Split(intents, seed);
        var dir = to ?? Corpus.Directory();
        foreach (var (name, half, other) in new[] { ("dev", dev, "test"), ("test", test, "dev") })
        {
            var header = $"""
                StrategicAgent agent evaluation corpus: the {name.ToUpperInvariant()} half ({half.Count} intents, {half.Sum(i => i.Questions.Count)} questions).
                Split by intent from one source with seed "{seed}" (bench agent-eval --split; tests/corpus/agent/README.md).
                {(name == "test" ? "DO NOT READ THIS FILE WHILE TUNING THE AGENT: figures are reported on it. Tune on dev.yaml only." : $"Tune on this half; the {other} half is for reporting only.")}
                """;
            File.WriteAllText(Path.Combine(dir, name + ".yaml"), Corpus.Write(half, header));
        }
        Console.WriteLine($"dev: {dev.Count} intents / {dev.Sum(i => i.Questions.Count)} questions; test: {test.Count} intents / {test.Sum(i => i.Questions.Count)} questions → {dir}");
        return 0;
    }

    private static (string Gateway, string ApiKey, string Replica) ReadRunInfo(string path, long clientId)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var gateway = root.GetProperty("gatewayUrl").GetString() ?? throw new FormatException($"{path} has no gatewayUrl");
        var replica = root.GetProperty("connectionStrings").GetProperty("replica").GetString() ?? throw new FormatException($"{path} has no replica connection string");
        var key = root.GetProperty("apiKeys").EnumerateArray().FirstOrDefault(k => k.GetProperty("clientId").GetInt64() == clientId);
        if (key.ValueKind != JsonValueKind.Object)
        {
            throw new KeyNotFoundException($"{path} has no API key of client {clientId}");
        }
        return (gateway, key.GetProperty("key").GetString()!, replica);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
