using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Agent.Extensions;
using StrategicAgent.Data;
using StrategicAgent.Data.DemoData;
using StrategicAgent.LocalServers;
using StrategicAgent.Protos.Agent.V1;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench agent</c>: offline asks end to end — HTTP through the gateway (API key → tenant → agent
/// gRPC → validation gRPC → replica) — p50/p99 latency, asks/s and the result cache's hit rate at 1, 8
/// and 32 concurrent callers, plus the same directly over the agent's gRPC for comparison. The questions
/// are varied (<see cref="VariedQuestions"/>: the corpus with random windows) unless <c>--questions fixed</c>
/// asks the twelve <see cref="Questions"/> round-robin. Without <c>--gateway</c>
/// or <c>--grpc</c> it builds everything itself: primary + replica with the medium demo data, the
/// validation service (its built assembly, as a process), the agent and the gateway (in-process).
/// </summary>
public static class AgentBench
{
    private const string Usage = """
        bench agent [--seconds 10] [--callers 1,8,32] [--size medium] [--client-id 1]
                    [--questions varied|fixed]                          (varied: corpus wordings with a random window each ask; fixed: 12 questions round-robin)
                    [--gateway http://127.0.0.1:18980 --api-key KEY]   (a running gateway, e.g. the AppHost's)
                    [--grpc http://127.0.0.1:18941]                     (a running agent, measured over gRPC; its caller token is
                                                                         --token TOKEN, or fetched from --gateway with --api-key)
                    [--validation-dll PATH]                             (self-hosted: the built validation service)
                    [--result-cache-seconds 30]                         (self-hosted: Agent:ResultCacheSeconds, 0 = off)
                    [--agent-replica-settings "Max Auto Prepare=64"]    (self-hosted: Npgsql settings added to the agent's replica connection string)
                    [--out results.md]
          Self-hosted (no --gateway/--grpc): starts PostgreSQL primary + replica in a temporary directory, loads
          the demo data (--size, seed 42, reference date today), starts the validation service as a process and
          the agent and gateway in this process, creates an API key for --client-id, then measures both paths.
        """;

    /// <summary>Offline questions over the metric families: asked round-robin with <c>--questions fixed</c>, and in the per-stage breakdown.</summary>
    public static readonly string[] Questions =
    [
        "Which team had the longest lead time last quarter?",
        "average lead time by team this year",
        "weekly throughput for team Platform in the last 2 months",
        "rework rate by repository this year",
        "deployment frequency by team last month",
        "change failure rate by team last quarter",
        "MTTR by team",
        "How many bugs were created last month?",
        "velocity of team Mobile per week in the last 6 weeks",
        "median time to merge by repository in the last 90 days",
        "progress of open epics in project PAY",
        "top 5 developers by merged PRs this year",
    ];

    private sealed record Result(string Path, int Callers, int Asks, double P50, double P99, double Mean, double AsksPerSecond, int Errors, string? FirstError, CpuUse Cpu, int Refused, int CacheHits)
    {
        /// <summary>Share of the answered asks whose rows came from the agent's result cache.</summary>
        public double CacheHitRate => Asks - Errors - Refused <= 0 ? 0 : (double)CacheHits / (Asks - Errors - Refused);
    }

    /// <summary>CPU milliseconds per ask: this process (load generator, and when self-hosted the agent), the gateway's process (self-hosted), the validation service, both PostgreSQL servers.</summary>
    private sealed record CpuUse(double Self, double Gateway, double Validation, double Postgres)
    {
        public double Total => Self + Gateway + Validation + Postgres;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (BenchArgs.Parse("bench agent", Usage, args, out var o) is { } exit)
        {
            return exit;
        }
        int seconds, clientId;
        int[] callers;
        DemoDataSize size;
        bool varied;
        try
        {
            seconds = int.Parse(o.GetValueOrDefault("seconds", "10"), CultureInfo.InvariantCulture);
            clientId = int.Parse(o.GetValueOrDefault("client-id", "1"), CultureInfo.InvariantCulture);
            callers = o.GetValueOrDefault("callers", "1,8,32").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            size = DemoDataOptions.ParseSize(o.GetValueOrDefault("size", "medium"));
            varied = o.GetValueOrDefault("questions", "varied") switch
            {
                "varied" => true,
                "fixed" => false,
                var other => throw new ArgumentException($"--questions is varied or fixed, not '{other}'"),
            };
            if (seconds is <= 0 or > 600 || clientId <= 0 || callers.Any(c => c is <= 0 or > 1024) || o.ContainsKey("gateway") != o.ContainsKey("api-key"))
            {
                throw new ArgumentException("--seconds in (0, 600], --client-id > 0, --callers in 1..1024, and --gateway needs --api-key");
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"{e.Message}\n{Usage}");
            return 64;
        }

        var results = new List<Result>();
        var report = new StringBuilder();
        var loadBefore = LoadAverage();
        var questions = varied ? VariedQuestions.FromCorpus(DateOnly.FromDateTime(DateTime.UtcNow)) : null;
        if (o.TryGetValue("gateway", out var gatewayUrl) || o.ContainsKey("grpc"))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"Against running services (client {clientId}); data as loaded there.");
            if (gatewayUrl is not null)
            {
                results.AddRange(await MeasureGatewayAsync(gatewayUrl, o["api-key"], questions, report, callers, seconds, CpuMeter.ThisProcessOnly, ct));
            }
            if (o.TryGetValue("grpc", out var grpcUrl))
            {
                using var channel = GrpcChannel.ForAddress(grpcUrl);
                var client = new AgentService.AgentServiceClient(BenchTokens.ForRunningSystem(channel, o));
                results.AddRange(await MeasureGrpcAsync(client, questions, report, callers, seconds, CpuMeter.ThisProcessOnly, ct));
                await BreakdownAsync(client, questions, report, ct);
            }
        }
        else
        {
            await using var system = await SelfHosted.StartAsync(size, clientId, o.GetValueOrDefault("validation-dll"), o.GetValueOrDefault("result-cache-seconds", "30"), report, ct, o.GetValueOrDefault("agent-replica-settings"));
            await PgStatements.ResetAsync(system.Replica, ct);
            await PgStatements.ResetAsync(system.Primary, ct);
            results.AddRange(await MeasureGatewayAsync(system.GatewayUrl, system.ApiKey, questions, report, callers, seconds, system.Meter, ct));
            using var channel = GrpcChannel.ForAddress(system.AgentUrl);
            var client = new AgentService.AgentServiceClient(channel.AsTenant(clientId));
            // The gRPC path does not go through the gateway: its process (idle, but a process that ticks) is not metered there.
            results.AddRange(await MeasureGrpcAsync(client, questions, report, callers, seconds, system.Meter.WithoutGateway(), ct));
            await Task.Delay(500, ct); // the agent writes conversations a few milliseconds behind its answers
            var measured = results.Sum(r => (long)r.Asks) + (questions?.Count ?? Questions.Length * 2);
            await PgStatements.ReportAsync("replica", system.Replica, measured, report, ct);
            await PgStatements.ReportAsync("primary", system.Primary, measured, report, ct);
            await PgStatements.RollupDensityAsync(system.Replica, clientId, report, ct);
            await BreakdownAsync(client, questions, report, ct);
            report.AppendLine(CultureInfo.InvariantCulture,
                $"\nConversations written to the primary (one per answered ask without a conversation_id, behind the answer): {await system.ConversationsAsync(ct):N0}.");
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Questions: {(varied ? "varied (corpus wordings, a random window each ask)" : "fixed (12 questions round-robin)")}.");
        report.AppendLine();
        report.AppendLine("| path | callers | asks | p50 ms | p99 ms | mean ms | asks/s | errors | refused | result cache hits | CPU ms/ask: bench process | gateway | validation | PostgreSQL (both) | total |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Path} | {r.Callers} | {r.Asks} | {r.P50:0.0} | {r.P99:0.0} | {r.Mean:0.0} | {r.AsksPerSecond:0.0} | {r.Errors} | {r.Refused} | {r.CacheHitRate:0.0%} | {r.Cpu.Self:0.00} | {r.Cpu.Gateway:0.00} | {r.Cpu.Validation:0.00} | {r.Cpu.Postgres:0.00} | {r.Cpu.Total:0.00} |");
        }
        report.AppendLine("\nResult cache hits: the share of answered asks whose rows came from the agent's result cache (its execute step says so); refused: a varied wording the agent refused (not an error; its latency is in the figures).");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"\nCPU per ask is read from /proc for the processes that serve the asks (the bench process holds the load generator{(o.ContainsKey("gateway") || o.ContainsKey("grpc") ? " only" : " and the agent; the gateway is its own process")}): unlike latency it hardly moves with other work on the machine. On {Environment.ProcessorCount} cores, {Environment.ProcessorCount * 1000} CPU ms/s over the total per ask is the most asks/s the machine could serve.");
        foreach (var r in results.Where(r => r.FirstError is not null))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"\nFirst error ({r.Path}, {r.Callers} callers): {r.FirstError}");
        }
        var worst32 = results.Where(r => r.Path == "gateway").MaxBy(r => r.Callers);
        if (worst32 is not null)
        {
            var p50 = results.Where(r => r.Path == "gateway").Max(r => r.P50);
            var hits = results.Max(r => r.CacheHitRate);
            report.AppendLine(CultureInfo.InvariantCulture,
                $"\nTarget p50 <= 50 ms and no errors at 32 callers, result cache hits <= 20%: p50 worst {p50:0.0} ms, errors at {worst32.Callers} callers: {worst32.Errors}, hits at most {hits:0.0%} -> {(p50 <= 50 && worst32.Errors == 0 && hits <= 0.2 ? "met" : "NOT met")}.");
        }
        report.AppendLine(CultureInfo.InvariantCulture,
            $"\nMachine load average (1 min) at start {loadBefore}, at end {LoadAverage()} on {Environment.ProcessorCount} cores: other work on the machine skews these figures.");
        Console.WriteLine(report);
        if (o.TryGetValue("out", out var path))
        {
            await File.WriteAllTextAsync(path, report.ToString(), ct);
        }
        return results.Any(r => r.Errors > 0) ? 1 : 0;
    }

    private static async Task<List<Result>> MeasureGatewayAsync(string gatewayUrl, string apiKey, VariedQuestions? varied, StringBuilder report, int[] callers, int seconds, CpuMeter meter, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(gatewayUrl.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        async Task<AskOutcome> Ask(string question, CancellationToken token)
        {
            using var response = await http.PostAsJsonAsync("api/v1/agent/ask", new { question }, token);
            var body = await response.Content.ReadAsStringAsync(token);
            if (!response.IsSuccessStatusCode)
            {
                return AskOutcome.Failed($"HTTP {(int)response.StatusCode}: {Truncate(body)}");
            }
            using var doc = JsonDocument.Parse(body);
            var status = doc.RootElement.GetProperty("status").GetString();
            var cached = doc.RootElement.TryGetProperty("trace", out var trace) && trace.ValueKind == JsonValueKind.Array
                && trace.EnumerateArray().Any(s => s.TryGetProperty("stage", out var st) && st.GetString() == "execute"
                    && s.TryGetProperty("detail", out var d) && IsCacheHit(d.GetString()));
            return Outcome(status, doc.RootElement.GetProperty("answer").GetString(), cached);
        }
        return await MeasureAllAsync("gateway", Ask, varied, report, callers, seconds, meter, ct);
    }

    /// <param name="client">Calls as the measured tenant (its caller token carries the tenant).</param>
    private static async Task<List<Result>> MeasureGrpcAsync(AgentService.AgentServiceClient client, VariedQuestions? varied, StringBuilder report, int[] callers, int seconds, CpuMeter meter, CancellationToken ct)
    {
        async Task<AskOutcome> Ask(string question, CancellationToken token)
        {
            var r = await client.AskAsync(new AskRequest { Question = question }, cancellationToken: token);
            return Outcome(r.Status.ToString().ToLowerInvariant(), r.Answer, r.Trace.Any(s => s.Stage == Stage.Execute && IsCacheHit(s.Detail)));
        }
        return await MeasureAllAsync("agent gRPC", Ask, varied, report, callers, seconds, meter, ct);
    }

    /// <summary>The execute step of an answer served from the result cache says so (ExecuteStage).</summary>
    private static bool IsCacheHit(string? executeDetail) =>
        executeDetail?.Contains("from the result cache", StringComparison.Ordinal) == true;

    private static AskOutcome Outcome(string? status, string? answer, bool cacheHit) => status switch
    {
        "answered" => AskOutcome.Answered(cacheHit),
        "refused" => new AskOutcome(null, true, false),
        _ => AskOutcome.Failed($"status {status}: {Truncate(answer)}"),
    };

    /// <summary>
    /// Where one caller's time goes, median stage times from the answers' traces: varied, five random variants per
    /// family (so each runs its query); fixed, each question five times (after the first, from the result cache).
    /// </summary>
    private static async Task BreakdownAsync(AgentService.AgentServiceClient client, VariedQuestions? varied, StringBuilder report, CancellationToken ct)
    {
        string[] stages = ["understand", "memory", "generate", "syntax", "static", "cost", "semantic", "execute", "results", "answer"];
        report.AppendLine();
        report.AppendLine(varied is null
            ? "Where the time goes (one caller, median of 5 asks per question, ms; total = round trip over gRPC):"
            : "Where the time goes (one caller, median of 5 random varied questions per family, ms; total = round trip over gRPC):");
        report.AppendLine();
        report.AppendLine((varied is null ? "| question" : "| family") + " | total | " + string.Join(" | ", stages) + " | rows |");
        report.AppendLine("|---|---:|" + string.Concat(Enumerable.Repeat("---:|", stages.Length)) + "---:|");
        var rng = new Random(99);
        foreach (var q in varied?.Families ?? Questions)
        {
            var totals = new List<double>();
            var per = stages.ToDictionary(s => s, _ => new List<double>());
            var rows = 0;
            for (var i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                var question = varied is null ? q : varied.Next(rng, q);
                var r = await client.AskAsync(new AskRequest { Question = question }, cancellationToken: ct);
                totals.Add(sw.Elapsed.TotalMilliseconds);
                rows = r.RowsJson.Count;
                foreach (var t in r.Trace)
                {
                    if (per.TryGetValue(t.Stage.ToString().ToLowerInvariant(), out var list))
                    {
                        list.Add(t.Ms);
                    }
                }
            }
            static double Median(List<double> l) => l.Count == 0 ? 0 : l.Order().ElementAt(l.Count / 2);
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {q} | {Median(totals):0.0} | {string.Join(" | ", stages.Select(s => Median(per[s]).ToString("0.0", CultureInfo.InvariantCulture)))} | {rows} |");
        }
    }

    private static async Task<List<Result>> MeasureAllAsync(string path, Func<string, CancellationToken, Task<AskOutcome>> ask, VariedQuestions? varied, StringBuilder report, int[] callers, int seconds, CpuMeter meter, CancellationToken ct)
    {
        Func<Random, string> next;
        if (varied is null)
        {
            // Warm-up: every question once (JIT, vocabulary cache, catalog, connection pools).
            foreach (var q in Questions)
            {
                AskOutcome outcome;
                try
                {
                    outcome = await ask(q, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    outcome = AskOutcome.Failed(e.GetType().Name + ": " + e.Message);
                }
                if (outcome.Error is not null || outcome.Refused)
                {
                    Console.Error.WriteLine($"warm-up ({path}) '{q}': {outcome.Error ?? "refused"}");
                }
            }
            var round = -1;
            next = _ => Questions[(uint)Interlocked.Increment(ref round) % Questions.Length];
        }
        else
        {
            // Warm-up and choice of the questions once (the first path): one variant of every corpus wording.
            if (!varied.Chosen)
            {
                Console.Error.WriteLine($"bench agent: trying one variant of each of the corpus's {varied.Count} answerable wordings ({path}, 4 at a time)…");
                report.AppendLine(await varied.KeepAnsweredAsync(ask, 4, ct));
            }
            next = rng => varied.Next(rng);
        }
        var results = new List<Result>();
        foreach (var n in callers)
        {
            var r = await MeasureAsync(path, ask, next, n, seconds, meter, ct);
            Console.Error.WriteLine($"{path}: {n} caller(s): p50 {r.P50:0.0} ms, p99 {r.P99:0.0} ms, {r.AsksPerSecond:0.0} asks/s, {r.Errors} error(s), {r.Refused} refused, result cache hits {r.CacheHitRate:0.0%}, CPU {r.Cpu.Total:0.00} ms/ask");
            results.Add(r);
        }
        return results;
    }

    private static async Task<Result> MeasureAsync(string path, Func<string, CancellationToken, Task<AskOutcome>> ask, Func<Random, string> next, int callers, int seconds, CpuMeter meter, CancellationToken ct)
    {
        var latencies = new List<double>[callers];
        var errors = 0;
        var refused = 0;
        var cacheHits = 0;
        string? firstError = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        var cpuBefore = meter.Read();
        var wall = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            // Each path and level its own sequence: the gateway's questions must not come back from the cache on gRPC.
            var rng = new Random((path == "gateway" ? 0 : 1_000_000) + 1000 * callers + c);
            while (!stop.IsCancellationRequested)
            {
                var q = next(rng);
                var sw = Stopwatch.StartNew();
                AskOutcome outcome;
                try
                {
                    outcome = await ask(q, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    outcome = AskOutcome.Failed(e.GetType().Name + ": " + e.Message);
                }
                mine.Add(sw.Elapsed.TotalMilliseconds);
                if (outcome.Error is { } error)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"'{q}': {error}", null);
                }
                else if (outcome.Refused)
                {
                    Interlocked.Increment(ref refused);
                }
                else if (outcome.CacheHit)
                {
                    Interlocked.Increment(ref cacheHits);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = wall.Elapsed.TotalSeconds;
        var cpuAfter = meter.Read();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var n = Math.Max(1, all.Length);
        var cpu = new CpuUse((cpuAfter.Self - cpuBefore.Self) / n, (cpuAfter.Gateway - cpuBefore.Gateway) / n, (cpuAfter.Validation - cpuBefore.Validation) / n,
            (cpuAfter.Postgres - cpuBefore.Postgres) / n);
        return new Result(path, callers, all.Length, Percentile(all, 0.50), Percentile(all, 0.99), all.Length == 0 ? 0 : all.Average(),
            all.Length / elapsed, errors, firstError, cpu, refused, cacheHits);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Truncate(string? s) => s is null ? "" : s.Length <= 200 ? s : s[..200] + "…";

    /// <summary>
    /// CPU time used so far, in milliseconds, from /proc: this process, the gateway's and the validation service's
    /// processes, and the PostgreSQL servers (replica: the asks' queries; primary: the agent's conversations and learning
    /// memory, the gateway's API key lookups) — each postmaster and every backend it forked.
    /// </summary>
    internal sealed class CpuMeter(int? validationPid, int? gatewayPid, params string[] dataDirectories)
    {
        public static CpuMeter ThisProcessOnly { get; } = new(null, null);

        public CpuMeter WithoutGateway() => new(validationPid, null, dataDirectories);

        public (double Self, double Gateway, double Validation, double Postgres) Read()
        {
            var self = Environment.ProcessId;
            double gateway = 0, validation = 0, postgres = 0;
            var postmasters = dataDirectories.Select(PostmasterPid).OfType<int>().ToHashSet();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || (pid != validationPid && pid != gatewayPid && postmasters.Count == 0))
                {
                    continue;
                }
                if (ProcStat.TryRead(pid) is not { } stat)
                {
                    continue;
                }
                if (pid == validationPid)
                {
                    validation += stat.CpuMs;
                }
                else if (pid == gatewayPid)
                {
                    gateway += stat.CpuMs;
                }
                else if (postmasters.Contains(pid) || postmasters.Contains(stat.ParentPid))
                {
                    postgres += stat.CpuMs;
                }
            }
            return (ProcStat.TryRead(self)?.CpuMs ?? 0, gateway, validation, postgres);
        }

        private static int? PostmasterPid(string dataDirectory)
        {
            try
            {
                return int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                return null;
            }
        }
    }

    /// <summary>Primary + replica + demo data (<see cref="SelfHostedData"/>), the validation service (process), agent and gateway (in-process).</summary>
    internal sealed class SelfHosted : IAsyncDisposable
    {
        private SelfHostedData? _data;

        /// <summary>The replica's connection string (superuser): what <c>bench agent-eval</c> runs gold SQL on.</summary>
        public string Replica => _data?.Replica ?? throw new ObjectDisposedException(nameof(SelfHosted));

        /// <summary>The primary's connection string (superuser).</summary>
        public string Primary => _data?.Primary ?? throw new ObjectDisposedException(nameof(SelfHosted));

        public string GatewayUrl { get; private set; } = "";
        public string AgentUrl { get; private set; } = "";
        public string ApiKey { get; private set; } = "";

        public CpuMeter Meter { get; private set; } = CpuMeter.ThisProcessOnly;

        /// <summary>Rows in the primary's agent_conversations: every answered ask's plan, written behind the answer.</summary>
        public async Task<long> ConversationsAsync(CancellationToken ct)
        {
            await using var conn = new Npgsql.NpgsqlConnection(_data!.Primary);
            await conn.OpenAsync(ct);
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM agent_conversations", conn);
            return (long)(await cmd.ExecuteScalarAsync(ct))!;
        }

        public static async Task<SelfHosted> StartAsync(DemoDataSize size, long clientId, string? validationDll, string resultCacheSeconds, StringBuilder report, CancellationToken ct, string? agentReplicaSettings = null)
        {
            var s = new SelfHosted();
            try
            {
                await s.StartCoreAsync(size, clientId, validationDll, resultCacheSeconds, agentReplicaSettings, report, ct);
                return s;
            }
            catch
            {
                await s.DisposeAsync();
                throw;
            }
        }

        private async Task StartCoreAsync(DemoDataSize size, long clientId, string? validationDll, string resultCacheSeconds, string? agentReplicaSettings, StringBuilder report, CancellationToken ct)
        {
            var dll = validationDll ?? ServiceDll("ValidationServiceDll", "validation");
            var sw = Stopwatch.StartNew();
            var data = _data = await SelfHostedData.StartAsync("agent", ct);
            var rollups = !string.Equals(Environment.GetEnvironmentVariable("Agent__Rollups"), "false", StringComparison.OrdinalIgnoreCase);
            if (!rollups)
            {
                // Agent__Rollups=false: the agent reads no rollup, so the replica need not keep them either — the data-ready time
                // below is then the load without the rollup triggers' cost (docs/agent.md, "The rollup lever").
                await using var replica = new NpgsqlConnection(data.Replica);
                await replica.OpenAsync(ct);
                foreach (var table in StrategicAgent.Semantic.Rollups.All.Select(r => r.BaseTable).Distinct())
                {
                    await using var off = new NpgsqlCommand($"ALTER TABLE {table} DISABLE TRIGGER USER", replica);
                    await off.ExecuteNonQueryAsync(ct);
                }
            }
            var summary = await data.LoadDemoDataAsync(new DemoDataOptions { Size = size, Seed = 42, ReferenceDate = DateOnly.FromDateTime(DateTime.UtcNow) }, ct: ct);
            report.AppendLine(CultureInfo.InvariantCulture,
                $"Self-hosted on this machine ({Environment.ProcessorCount} cores): {size} demo data ({summary.Rows.GetValueOrDefault("issues"):N0} issues, {summary.Rows.GetValueOrDefault("pull_requests"):N0} PRs, {summary.Rows.GetValueOrDefault("deployments"):N0} deployments) ready in {sw.Elapsed.TotalSeconds:0} s ({(rollups ? "rollups kept by the replica's triggers during the load" : "Agent__Rollups=false: the rollup triggers disabled")}).");
            report.AppendLine("Validation service and gateway: their built assemblies as processes; agent (offline provider) in the bench process; PostgreSQL primary + logical replica as local processes. Client and servers share the machine.");

            var validationPort = NativeProcess.FreePort();
            var validation = data.Own(ChildService.Start(dll, "validation", new Dictionary<string, string>(BenchTokens.ServiceEnvironment)
            {
                ["Endpoints__GrpcPort"] = validationPort.ToString(CultureInfo.InvariantCulture),
                ["Endpoints__HttpPort"] = NativeProcess.FreePort().ToString(CultureInfo.InvariantCulture),
                ["ConnectionStrings__replica"] = data.Replica,
                ["Logging__LogLevel__Default"] = "Warning",
            }));
            await SelfHostedData.WaitForPortAsync(validationPort, ct: ct);
            var validationUrl = $"http://127.0.0.1:{validationPort}";

            var agentPort = NativeProcess.FreePort();
            var agentBuilder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ApplicationName = "StrategicAgent.Agent" });
            agentBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(BenchTokens.ServiceSettings)
            {
                ["Endpoints:GrpcPort"] = agentPort.ToString(CultureInfo.InvariantCulture),
                ["ConnectionStrings:replica"] = string.IsNullOrWhiteSpace(agentReplicaSettings) ? data.Replica : data.Replica + ";" + agentReplicaSettings,
                ["ConnectionStrings:primary"] = data.Primary,
                ["GrpcClients:validation:Address"] = validationUrl,
                ["Agent:ResultCacheSeconds"] = resultCacheSeconds,
            });
            report.AppendLine(CultureInfo.InvariantCulture, $"Agent result cache: Agent:ResultCacheSeconds={resultCacheSeconds} (0 = every ask runs its query on the replica).");
            if (!string.IsNullOrWhiteSpace(agentReplicaSettings))
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"Agent's replica connection string adds: {agentReplicaSettings}.");
            }
            agentBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
            var agent = data.Own(agentBuilder.BuildAgentApp());
            await agent.StartAsync(ct);
            AgentUrl = $"http://127.0.0.1:{agentPort}";

            // The gateway as it ships: its own built Program in its own process (its runtimeconfig, appsettings.json), as the
            // AppHost runs it; its CPU is metered apart from the load generator's.
            var gatewayPort = NativeProcess.FreePort();
            var gateway = data.Own(ChildService.Start(ServiceDll("GatewayServiceDll", "gateway"), "gateway", new Dictionary<string, string>(
                BenchTokens.GatewaySettings.Select(kv => new KeyValuePair<string, string>(kv.Key.Replace(":", "__", StringComparison.Ordinal), kv.Value!)))
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Endpoints__HttpPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
                ["ConnectionStrings__primary"] = data.Primary,
                ["GrpcClients__agent__Address"] = AgentUrl,
                ["GrpcClients__validation__Address"] = validationUrl,
                ["GrpcClients__prediction__Address"] = "http://127.0.0.1:1",
                ["GrpcClients__ml-training__Address"] = "http://127.0.0.1:1",
                ["Logging__LogLevel__Default"] = "Warning",
            }));
            await SelfHostedData.WaitForPortAsync(gatewayPort, ct: ct);
            GatewayUrl = $"http://127.0.0.1:{gatewayPort}";
            Meter = new CpuMeter(validation.Id, gateway.Id, Path.Combine(data.Root, "replica"), Path.Combine(data.Root, "primary"));
            ApiKey = await data.CreateApiKeyAsync(clientId, "bench agent", ct);
        }

        public async ValueTask DisposeAsync()
        {
            if (_data is not null)
            {
                await _data.DisposeAsync();
            }
        }
    }

    /// <summary>The path of a service's built assembly (same configuration and SA_ARTIFACTS as this bench).</summary>
    private static string ServiceDll(string key, string name)
    {
        var dll = typeof(AgentBench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;
        return File.Exists(dll) ? dll
            : throw new FileNotFoundException($"The {name} service is not built at {dll}: build bench/StrategicAgent.Bench first (same SA_ARTIFACTS and configuration).", dll);
    }

    /// <summary>A built service assembly run with <c>dotnet</c> as a child process; its stderr is echoed, disposal kills it.</summary>
    private sealed class ChildService(Process process) : IAsyncDisposable
    {
        public int Id => process.Id;

        public static ChildService Start(string dll, string name, IReadOnlyDictionary<string, string> environment)
        {
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
            psi.ArgumentList.Add(dll);
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) { Console.Error.WriteLine($"[{name}] {line}"); } };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return new ChildService(p);
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }
}
