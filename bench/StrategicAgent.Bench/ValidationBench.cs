using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Validation.Ai;
using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Domain.Judging;
using StrategicAgent.Validation.Extensions;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench validation</c>: syntax + static validation of a typical 13-line query — p50/p99 in
/// process and over gRPC (the service's own app on loopback HTTP/2), validations/s on one core —
/// and, on the validation corpus, the same next to Python sqlglot (speed, bad queries let through).
/// </summary>
public static class ValidationBench
{
    public const string TypicalQuery = """
        SELECT t.name AS team,
               count(*) AS issues,
               avg(i.total_lead_time_seconds) / 86400.0 AS avg_lead_time_days
        FROM issues i
        JOIN users u ON u.id = i.assignee_id
        JOIN teams t ON t.id = u.team_id
        JOIN statuses s ON s.id = i.status_id
        JOIN status_mappings sm ON sm.id = s.status_mapping_id
        WHERE i.client_id = 42
          AND sm.status_to = 'Done'
          AND i.work_last_completed_at >= now() - interval '90 days'
        GROUP BY t.name
        ORDER BY avg_lead_time_days DESC
        LIMIT 10
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("bench validation [--seconds N] [--corpus path/to/corpus.sql] [--python /usr/bin/python3]");
            return 0;
        }
        var seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        var root = FindRepositoryRoot();
        var corpusPath = Option(args, "--corpus") ?? Path.Combine(root, "tests/StrategicAgent.Validation.Tests/Corpus/corpus.sql");
        var python = Option(args, "--python") ?? "/usr/bin/python3";

        var catalog = SchemaCatalog.FromPlatformMigrations();
        var validator = new SqlValidator(new StaticCatalogProvider(catalog), new NoCost(), new QuestionJudge(new StaticTenantNames(TenantNames.Empty), TimeProvider.System), Options.Create(new ValidationOptions()));
        var lines = TypicalQuery.Split('\n').Length;
        Console.WriteLine($"validation benchmark: syntax + static (libpg_query {LibPgQueryVersion()}), typical query of {lines} lines / {TypicalQuery.Length} chars");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(Debugger.IsAttached ? "debugger" : "no debugger")}, {BuildConfiguration()}");

        // In process.
        var check = validator.CheckSql(TypicalQuery, catalog);
        if (!check.Valid)
        {
            Console.Error.WriteLine("the typical query does not validate: " + string.Join("; ", check.Errors));
            return 1;
        }
        var inProcess = Measure(() => validator.CheckSql(TypicalQuery, catalog), warmup: 3000, samples: 20000);
        var oneCore = Throughput(() => validator.CheckSql(TypicalQuery, catalog), seconds);
        var syntaxOnly = Measure(() => validator.CheckSql(TypicalQuery, null, runStatic: false), warmup: 1000, samples: 10000);

        // Over gRPC.
        await using var host = await StartServiceAsync();
        using var channel = GrpcChannel.ForAddress(host.Address);
        var client = new ValidationService.ValidationServiceClient(channel.AsTenant(42));
        var request = new ValidateSqlRequest { Sql = TypicalQuery };
        var grpc = await MeasureAsync(async () => await client.ValidateStaticAsync(request, cancellationToken: ct), warmup: 1000, samples: 5000);

        // Corpus, side by side with sqlglot.
        var corpus = LoadCorpus(corpusPath);
        // Both sides single-threaded, in alternating rounds so they see the same machine load
        // (the machine is shared); each side's figure is the median of its rounds.
        var ourRates = new List<double>();
        var sqlglotRuns = new List<JsonElement>();
        for (var round = 0; round < 3; round++)
        {
            ourRates.Add(CorpusThroughput(corpus.Select(c => (Action)(() =>
            {
                try
                {
                    validator.CheckSql(c.Sql, catalog);
                }
                catch (InvalidSqlInputException)
                {
                }
            })).ToList(), seconds / 2));
            if (RunSqlglot(python, root, corpus, seconds / 2) is { } run)
            {
                sqlglotRuns.Add(run);
            }
        }
        ourRates.Sort();
        var corpusRate = ourRates[ourRates.Count / 2];
        JsonElement? sqlglot = sqlglotRuns.Count == 0 ? null
            : sqlglotRuns.OrderBy(r => r.GetProperty("corpus_parses_per_second").GetDouble()).ElementAt(sqlglotRuns.Count / 2);
        var ourLetThrough = corpus.Count(c => c.Bad && validator.CheckSql(c.Sql, catalog).Errors.Count == 0);
        var ourStaticBad = corpus.Count(c => c.Bad);

        Console.WriteLine();
        Console.WriteLine($"{"measure",-52}{"p50",12}{"p99",12}{"per second",14}");
        Row("in process, syntax + static (1 thread)", inProcess.P50, inProcess.P99, oneCore);
        Row("in process, syntax only (parse + fingerprint)", syntaxOnly.P50, syntaxOnly.P99, 1e6 / syntaxOnly.P50);
        Row("over gRPC, ValidateStatic (loopback, sequential)", grpc.P50, grpc.P99, 1e6 / grpc.P50);
        if (sqlglot is not null)
        {
            Row($"sqlglot {sqlglot.Value.GetProperty("version").GetString()} parse only, typical query", sqlglot.Value.GetProperty("typical_p50_us").GetDouble(),
                sqlglot.Value.GetProperty("typical_p99_us").GetDouble(), sqlglot.Value.GetProperty("typical_per_second").GetDouble());
        }
        Console.WriteLine();
        Console.WriteLine($"corpus: {corpus.Count} queries, {ourStaticBad} bad at the syntax/static stages; one thread each, median of 3 alternating rounds");
        Console.WriteLine($"  StrategicAgent syntax+static: {corpusRate,10:0} queries/s on one core; bad queries let through: {ourLetThrough}/{ourStaticBad}");
        if (sqlglot is { } s)
        {
            var rate = s.GetProperty("corpus_parses_per_second").GetDouble();
            Console.WriteLine($"  sqlglot parse (postgres):     {rate,10:0} queries/s on one core; bad queries let through: {s.GetProperty("bad_let_through").GetInt32()}/{s.GetProperty("bad").GetInt32()}");
            Console.WriteLine($"  throughput ratio: {corpusRate / rate:0.0}x on the corpus, {1 / inProcess.P50 * s.GetProperty("typical_p50_us").GetDouble():0.0}x on the typical query (p50 vs p50)");
        }
        Console.WriteLine();
        Console.WriteLine($"targets: in-process p50 <= 100 us: {Verdict(inProcess.P50 <= 100)}; gRPC p50 <= 1 ms: {Verdict(grpc.P50 <= 1000)}; >= 10x sqlglot: " +
                          (sqlglot is { } t ? Verdict(corpusRate / t.GetProperty("corpus_parses_per_second").GetDouble() >= 10) : "n/a (sqlglot not run)"));
        return 0;
    }

    private static void Row(string name, double p50, double p99, double perSecond) =>
        Console.WriteLine($"{name,-52}{p50,9:0.0} us{p99,9:0.0} us{perSecond,14:0}");

    private static string Verdict(bool ok) => ok ? "met" : "NOT met";

    private sealed record Stats(double P50, double P99, double Mean);

    private static Stats Measure(Action action, int warmup, int samples)
    {
        for (var i = 0; i < warmup; i++)
        {
            action();
        }
        var times = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return Summarize(times);
    }

    private static async Task<Stats> MeasureAsync(Func<Task> action, int warmup, int samples)
    {
        for (var i = 0; i < warmup; i++)
        {
            await action();
        }
        var times = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return Summarize(times);
    }

    private static Stats Summarize(double[] times)
    {
        Array.Sort(times);
        return new Stats(times[times.Length / 2], times[(int)(times.Length * 0.99)], times.Average());
    }

    /// <summary>
    /// Calls per second of a single-threaded loop (one core's worth of work), from the median of
    /// 10-call passes: robust to other processes taking the core for a while (a shared machine).
    /// </summary>
    private static double Throughput(Action action, double seconds)
    {
        const int perPass = 10;
        var passes = new List<double>();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || passes.Count < 5)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < perPass; i++)
            {
                action();
            }
            passes.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        passes.Sort();
        return perPass / passes[passes.Count / 2];
    }

    /// <summary>
    /// Queries per second over the corpus: each query's median time over repeated passes, summed —
    /// a pass is long enough to be preempted on a shared machine, a single query rarely is.
    /// </summary>
    private static double CorpusThroughput(List<Action> queries, double seconds)
    {
        var times = queries.Select(_ => new List<double>()).ToList();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || times[0].Count < 5)
        {
            for (var i = 0; i < queries.Count; i++)
            {
                var start = Stopwatch.GetTimestamp();
                queries[i]();
                times[i].Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        var total = times.Sum(t =>
        {
            t.Sort();
            return t[t.Count / 2];
        });
        return queries.Count / total;
    }

    private sealed class ServiceHost(WebApplication app, Uri address) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The validation service's own app, catalog from the migration schema (no database needed for syntax + static).</summary>
    private static async Task<ServiceHost> StartServiceAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = typeof(ValidationApp).Assembly.GetName().Name });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(BenchTokens.ServiceSettings) { ["Validation:Catalog:Source"] = "Schema" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.BuildValidationApp();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ServiceHost(app, new Uri(address));
    }

    private sealed record CorpusQuery(string Id, string Sql, bool Bad);

    /// <summary>Corpus cases; "bad" = expected to fail at the syntax or static stage (warnings alone are not bad).</summary>
    private static List<CorpusQuery> LoadCorpus(string path)
    {
        string[] warningsOnly = [Codes.MissingTenantFilter];
        string[] later = [Codes.TooExpensive, Codes.PlanError, Codes.SemanticMismatch, Codes.JudgeUnavailable];
        var list = new List<CorpusQuery>();
        string? id = null;
        var bad = false;
        var sql = new StringBuilder();
        void Flush()
        {
            if (id is not null)
            {
                list.Add(new CorpusQuery(id, sql.ToString().Trim(), bad));
            }
            sql.Clear();
        }
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("-- @case ", StringComparison.Ordinal))
            {
                Flush();
                var parts = line[9..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                id = parts[0];
                var codes = parts.First(p => p.StartsWith("expect=", StringComparison.Ordinal))[7..].Split(',', StringSplitOptions.RemoveEmptyEntries);
                bad = codes.Any(c => !warningsOnly.Contains(c) && !later.Contains(c));
            }
            else if (id is not null && !line.StartsWith("-- @", StringComparison.Ordinal))
            {
                sql.AppendLine(line);
            }
        }
        Flush();
        return list;
    }

    private static JsonElement? RunSqlglot(string python, string root, List<CorpusQuery> corpus, double seconds)
    {
        var input = Path.Combine(Path.GetTempPath(), $"sa-validation-corpus-{Environment.ProcessId}.json");
        File.WriteAllText(input, JsonSerializer.Serialize(corpus.Select(c => new { id = c.Id, sql = c.Sql, bad = c.Bad })));
        try
        {
            var psi = new ProcessStartInfo(python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { Path.Combine(root, "bench/sqlglot_bench.py"), input, seconds.ToString(CultureInfo.InvariantCulture), TypicalQuery },
            };
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEnd();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"sqlglot benchmark failed ({python}): {stderr.Trim()}");
                return null;
            }
            return JsonDocument.Parse(stdout).RootElement.Clone();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"cannot run {python}: {e.Message} (install python3-sqlglot)");
            return null;
        }
        finally
        {
            File.Delete(input);
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StrategicAgent.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }

    private static string LibPgQueryVersion() => "15-4.0 (PostgreSQL 15 parser)";

    private static string BuildConfiguration() =>
#if DEBUG
        "Debug build (use -c Release for figures)";
#else
        "Release build";
#endif

    private sealed class NoCost : ICostEstimator
    {
        public Task<CostOutcome> EstimateAsync(string sql, PlanSafeSql safe, int parameterCount, long clientId, CancellationToken ct) =>
            throw new DependencyUnavailableException("not measured");
    }
}
