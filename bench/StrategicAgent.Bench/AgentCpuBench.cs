using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Agent.Domain.Predictions;
using StrategicAgent.Data.DemoData;
using StrategicAgent.Evaluation;
using StrategicAgent.Validation.Ai;
using StrategicAgent.Validation.Data;
using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Domain.Judging;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench agent-cpu</c>: the CPU one uncached ask costs in the agent's reader and compiler and in the validation service's
/// syntax, static, cost-key and judge stages, in process and without a database — every question of the dev side of the
/// corpus (never the test half) read against the medium demo data's names of tenant 1 (built in memory by the demo-data
/// generator, seed 42), each asked <c>--rounds</c> times after one warm-up round. Time is the thread's own CPU time
/// (<c>CLOCK_THREAD_CPUTIME_ID</c>), so other work on the machine hardly moves it; allocations are the thread's.
/// The cost stage's EXPLAIN is replaced by a constant estimate behind the real estimate cache (what is left is the
/// cache key: the plan-safe text). Also prints a digest of everything the pipeline decided (SQL, verdict, findings,
/// judge's justification) — equal digests before and after a change mean it changed no answer.
/// </summary>
public static class AgentCpuBench
{
    private const string Usage = """
        bench agent-cpu [--rounds 5] [--corpus dev,dev-extension,dev-extension-2,dev-extension-3,dev-extension-4,dev-extension-5]
                        [--today 2026-12-06] [--out decisions.txt]
          In process, no database: per dev-side corpus question, the agent's understand (parse, route, plan, reading) and
          compile, and the validation service's syntax + static + shape, cost key and judge; thread CPU µs per question
          by stage, allocations, libpg_query calls, and a digest of every decision (equal before/after = no answer changed).
        """;

    private static readonly string[] AllDev = ["dev", "dev-extension", "dev-extension-2", "dev-extension-3", "dev-extension-4", "dev-extension-5"];

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (BenchArgs.Parse("bench agent-cpu", Usage, args, out var o) is { } exit)
        {
            return exit;
        }
        var rounds = int.Parse(o.GetValueOrDefault("rounds", "5"), CultureInfo.InvariantCulture);
        var today = DateOnly.Parse(o.GetValueOrDefault("today", "2026-12-06"), CultureInfo.InvariantCulture);
        var halves = o.TryGetValue("corpus", out var c) ? c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : AllDev;
        if (halves.Any(h => h.StartsWith("test", StringComparison.OrdinalIgnoreCase)))
        {
            Console.Error.WriteLine("bench agent-cpu reads the dev side only: the test half is held out.");
            return 64;
        }
        var questions = halves.Where(h => File.Exists(Path.Combine(Corpus.Directory(), h + ".yaml")))
            .SelectMany(h => Corpus.Load(Corpus.ResolvePath(h)))
            .SelectMany(i => i.Questions.Select(q => q.Text)).ToList();

        const long clientId = 1;
        var (vocabulary, names) = DemoNames(clientId, DateOnly.FromDateTime(DateTime.UtcNow));
        var options = Options.Create(new ValidationOptions());
        var validator = new SqlValidator(
            new StaticCatalogProvider(SchemaCatalog.FromPlatformMigrations()),
            new CachedCostEstimator(new ConstantCost(), options),
            new QuestionJudge(new FixedNames(names), TimeProvider.System),
            options);

        var catalog = await new StaticCatalogProvider(SchemaCatalog.FromPlatformMigrations()).GetAsync(ct);
        var reader = new QuestionReader(ConceptSql.Default);
        // Each stage apart (the service runs them in one call; the report's own timings are wall-clock), then the whole call as served.
        string[] stages =
        [
            "semantic layer: lexicon scan (in both readers)", "agent: parse question", "agent: route (predictions)", "agent: plan + reading", "agent: compile + render",
            "validation: syntax (parse, fingerprint, normalize)", "validation: syntax + static + shape", "validation: cost key (plan-safe text)",
            "validation: top-N find (tie stage)", "judge: read question", "judge: rollup shape + coverage", "validation: whole call (as served)",
        ];
        var cpu = stages.ToDictionary(s => s, _ => 0.0);
        var bytes = stages.ToDictionary(s => s, _ => 0L);
        var counts = stages.ToDictionary(s => s, _ => 0L);
        var decisions = new StringBuilder();
        int planned = 0, accepted = 0;
        for (var round = 0; round <= rounds; round++)
        {
            var measure = round > 0;
            T Time<T>(string stage, Func<T> work)
            {
                var (t0, a0) = (ThreadCpuMs(), GC.GetAllocatedBytesForCurrentThread());
                var r = work();
                if (measure)
                {
                    cpu[stage] += ThreadCpuMs() - t0;
                    bytes[stage] += GC.GetAllocatedBytesForCurrentThread() - a0;
                    counts[stage]++;
                }
                return r;
            }
            foreach (var q in questions)
            {
                Time("semantic layer: lexicon scan (in both readers)", () => StrategicAgent.Semantic.SemanticModel.Default.Lexicon.Scan(q, today));
                var parsed = Time("agent: parse question", () => QuestionParser.Parse(q, vocabulary, today));
                var routed = Time("agent: route (predictions)", () => PredictionIntentParser.Route(q, vocabulary, today));
                var (outcome, reading) = Time("agent: plan + reading", () =>
                {
                    var o = Planner.Plan(parsed, null, today);
                    return (o, o.Plan is { } p0 ? Reading.Of(p0, today) : "");
                });
                if (outcome.Plan is not { } plan || routed is not null)
                {
                    if (round == 0)
                    {
                        decisions.AppendLine(CultureInfo.InvariantCulture, $"{q}\t{(routed is not null ? "routed " + Describe(routed) : "refused " + outcome.Refusal)}");
                    }
                    continue;
                }
                var sql = Time("agent: compile + render", () => RollupCompiler.Compile(plan, clientId).RenderLiteral());
                Time("validation: syntax (parse, fingerprint, normalize)", () => validator.CheckSql(sql, null, runStatic: false, normalize: true));
                var shaped = Time("validation: syntax + static + shape", () => validator.CheckSql(sql, catalog, collectShape: true));
                Time("validation: cost key (plan-safe text)", () => PlanSafeSql.Create(sql));
                Time("validation: top-N find (tie stage)", () => shaped.Shape is { Limit: not null, WithTies: false, OrderKeys.Count: > 0 } ? SqlTopN.Find(sql) : null);
                if (shaped.Shape is { } shape && shaped.Valid)
                {
                    var questionReading = Time("judge: read question", () => reader.Read(q, today, names));
                    Time("judge: rollup shape + coverage", () => CoverageCheck.Check(questionReading, RollupShape.AsBase(shape), today));
                }
                var (v0, w0) = (ThreadCpuMs(), GC.GetAllocatedBytesForCurrentThread());
                var report = await validator.ValidateAsync(new SqlValidationRequest(sql, q, null, clientId) { Today = today }, ValidationMode.All, ct);
                if (measure)
                {
                    cpu["validation: whole call (as served)"] += ThreadCpuMs() - v0;
                    bytes["validation: whole call (as served)"] += GC.GetAllocatedBytesForCurrentThread() - w0;
                    counts["validation: whole call (as served)"]++;
                }
                else
                {
                    planned++;
                    accepted += report.Valid ? 1 : 0;
                    decisions.AppendLine(CultureInfo.InvariantCulture,
                        $"{q}\t{reading}\t{sql}\t{report.Valid} {report.Stage} {report.Fingerprint} [{string.Join("; ", report.Errors.Select(e => e.Code + ": " + e.Message))}] [{string.Join("; ", report.Warnings.Select(e => e.Code))}] {report.Judge?.Valid} {report.Judge?.Confidence} {report.Judge?.Justification}");
                }
            }
        }
        var digest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(decisions.ToString())))[..16];
        var report2 = new StringBuilder();
        report2.AppendLine(CultureInfo.InvariantCulture, $"bench agent-cpu: {questions.Count} dev-side questions ({string.Join(", ", halves)}), {planned} planned and compiled, {accepted} accepted by the validator; {rounds} rounds; today {today:yyyy-MM-dd}; names of tenant {clientId} (medium demo data): {names.Teams.Count} teams, {names.Projects.Count} projects, {names.Repositories.Count} repositories, {names.People.Count} people; lexicon: {StrategicAgent.Semantic.SemanticModel.Default.Lexicon.Entries.Count} entries.");
        report2.AppendLine();
        report2.AppendLine("| stage (each apart; the whole call runs syntax, static, cost key, judge and tie stage once) | calls | thread CPU µs per call | KB allocated per call |");
        report2.AppendLine("|---|---:|---:|---:|");
        foreach (var s in stages)
        {
            var n = Math.Max(1, counts[s]);
            report2.AppendLine(CultureInfo.InvariantCulture, $"| {s} | {counts[s]:N0} | {cpu[s] * 1000 / n:0} | {bytes[s] / 1024.0 / n:0.0} |");
        }
        report2.AppendLine();
        report2.AppendLine(CultureInfo.InvariantCulture, $"Decisions digest: {digest} (equal before and after a change = the same SQL, verdicts, findings and justifications for every question).");
        report2.AppendLine(CultureInfo.InvariantCulture, $"Machine load average (1 min): {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores.");
        Console.WriteLine(report2);
        if (o.TryGetValue("out", out var path))
        {
            await File.WriteAllTextAsync(path, decisions.ToString(), ct);
        }
        return 0;
    }

    /// <summary>Everything a routed question was read as (the digest must see a changed filter, key or window).</summary>
    private static string Describe(PredictionIntent r) =>
        $"{r.Kind} [{string.Join(",", r.Keys)}] {r.Repository} {r.Limit} {r.Reason} {r.Text} {r.IssueType} {r.ProjectKey} {r.By} {r.Window?.Label} {r.Severity} "
        + $"[{string.Join("; ", r.Filters.Select(f => f.Kind + ":" + string.Join("|", f.Values)))}]";

    /// <summary>The medium demo data's names of one tenant, built in memory by the generator (no database): what the agent's vocabulary and the judge's names read.</summary>
    private static (TenantVocabulary Vocabulary, TenantNames Names) DemoNames(long clientId, DateOnly reference)
    {
        var assembly = typeof(DemoDataOptions).Assembly;
        var dims = assembly.GetType("StrategicAgent.Data.DemoData.DemoDimensions", throwOnError: true)!
            .GetMethod("Build", BindingFlags.Public | BindingFlags.Static)!
            .Invoke(null, [new DemoDataOptions { Size = DemoDataSize.Medium, Seed = 42, ReferenceDate = reference }])!;
        List<object> Rows(string list) => ((System.Collections.IEnumerable)dims.GetType().GetProperty(list)!.GetValue(dims)!).Cast<object>()
            .Where(r => (long)r.GetType().GetProperty("ClientId")!.GetValue(r)! == clientId).ToList();
        static string S(object row, string property) => (string)row.GetType().GetProperty(property)!.GetValue(row)!;
        var teams = Rows("Teams").Select(r => S(r, "Name")).Distinct().ToList();
        var projects = Rows("Projects").Select(r => (S(r, "Key"), S(r, "Name"))).ToList();
        var repos = Rows("Repos").Select(r => S(r, "Name")).Distinct().ToList();
        var types = Rows("IssueTypes").Select(r => S(r, "Name")).Distinct().ToList();
        var users = Rows("Users").Select(r => S(r, "Name")).Distinct().ToList();
        return (new TenantVocabulary(teams, projects, repos, types, users),
            new TenantNames(teams, projects.Select(p => p.Item1).ToList(), repos, users, types));
    }

    private sealed class FixedNames(TenantNames names) : ITenantNames
    {
        public ValueTask<TenantNames> GetAsync(long clientId, CancellationToken ct) => ValueTask.FromResult(names);
    }

    /// <summary>The replica's EXPLAIN replaced by a constant, cheap estimate: the cost stage keeps its cache key and limits.</summary>
    private sealed class ConstantCost : ICostEstimator
    {
        public Task<CostOutcome> EstimateAsync(string sql, PlanSafeSql safe, int parameterCount, long clientId, CancellationToken ct) =>
            Task.FromResult(new CostOutcome(100, 10, null));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGettime(int clock, out Timespec ts);

    /// <summary>This thread's CPU time in ms (CLOCK_THREAD_CPUTIME_ID = 3): other processes' work does not count.</summary>
    private static double ThreadCpuMs()
    {
        ClockGettime(3, out var ts);
        return ts.Seconds * 1000.0 + ts.Nanoseconds / 1e6;
    }
}
