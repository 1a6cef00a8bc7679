using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Data.DemoData;
using StrategicAgent.LocalServers;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Prediction.Extensions;
using StrategicAgent.Prediction.Grpc;
using StrategicAgent.Protos.Prediction.V1;
using PredictionClient = StrategicAgent.Protos.Prediction.V1.PredictionService.PredictionServiceClient;

namespace StrategicAgent.Bench;

/// <summary>
/// <c>bench prediction</c>: latency and throughput of the prediction service through gRPC on
/// this machine (single-key p50/p99 and predictions/s at 1, 8 and 64 concurrent callers, 50-key
/// batches), the same through the gateway's HTTP API when one is given, and where the server's
/// time goes (feature read vs model vs transport, from the service's x-server-timing trailer).
/// Without <c>--grpc</c> it builds everything itself: primary + replica, the small demo data,
/// models trained by the training service's code, and the service in-process — once with the
/// short-TTL feature cache and once without it.
/// </summary>
public static class PredictionBench
{
    private const string Usage = """
        bench prediction [--seconds 5] [--client-id 1]
                         [--grpc http://127.0.0.1:18944]                  (a running prediction service; else self-hosted)
                         [--gateway http://127.0.0.1:18980 --api-key KEY] (also measure through the gateway)
                         [--out results.md]
          Self-hosted: starts PostgreSQL primary + replica in a temporary directory, loads the small demo data,
          trains trajectory, complexity, rework and unified with fast settings, and runs the service twice:
          with its defaults (tenant feature snapshots + key cache) and with every feature read going to the replica.
        """;

    private sealed record Measure(string Name, int Callers, int KeysPerCall, int Calls, double P50, double P99, double Mean,
        double PredictionsPerSecond, double FeatureMs, double ModelMs, double ServerMs, int Failures);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var o = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return 0;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"bench prediction: unexpected argument '{args[i]}'.\n{Usage}");
                return 64;
            }
            o[args[i][2..]] = args[++i];
        }
        double seconds;
        long clientId;
        try
        {
            seconds = double.Parse(o.GetValueOrDefault("seconds", "5"), CultureInfo.InvariantCulture);
            clientId = long.Parse(o.GetValueOrDefault("client-id", "1"), CultureInfo.InvariantCulture);
            if (seconds is <= 0 or > 600 || clientId <= 0 || o.ContainsKey("gateway") != o.ContainsKey("api-key"))
            {
                throw new ArgumentException("--seconds in (0, 600], --client-id > 0, and --gateway needs --api-key");
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"bench prediction: {ex.Message}\n{Usage}");
            return 64;
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"# bench prediction — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {seconds:0.#} s per phase");
        report.AppendLine();
        string? root = null;
        PostgresServer? primaryServer = null, replicaServer = null;
        try
        {
            if (o.TryGetValue("grpc", out var grpcUrl))
            {
                using var channel = GrpcChannel.ForAddress(grpcUrl);
                var keys = await KeysFromServiceAsync(new PredictionClient(channel), clientId, ct);
                await RunGrpcSuiteAsync(report, $"gRPC {grpcUrl}", new PredictionClient(channel), clientId, keys, seconds, ct);
                if (o.TryGetValue("gateway", out var gw))
                {
                    await RunGatewaySuiteAsync(report, gw, o["api-key"], keys, seconds, ct);
                }
            }
            else
            {
                root = Directory.CreateTempSubdirectory("sa-bench-prediction-").FullName;
                if (NativeProcess.IsRoot)
                {
                    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
                }
                var setup = Stopwatch.StartNew();
                primaryServer = await PostgresServer.StartAsync(new() { DataDirectory = Path.Combine(root, "primary"), Port = NativeProcess.FreePort(), Durable = false }, ct);
                replicaServer = await PostgresServer.StartAsync(new() { DataDirectory = Path.Combine(root, "replica"), Port = NativeProcess.FreePort(), Durable = false }, ct);
                var (primary, replica) = (primaryServer.ConnectionString, replicaServer.ConnectionString);
                SchemaMigrator.Migrate(primary, DatabaseRole.Primary, NullLogger.Instance);
                SchemaMigrator.Migrate(replica, DatabaseRole.Replica, NullLogger.Instance);
                await LogicalReplication.EnsureSubscriptionAsync(replica, LogicalReplication.ConnInfo("127.0.0.1", primaryServer.Options.Port, "postgres",
                    primaryServer.Options.Password, primaryServer.Options.Database), ct);
                await LogicalReplication.WaitForInitialSyncAsync(replica, TimeSpan.FromSeconds(60), ct);
                var summary = await DemoDataGenerator.LoadAsync(primary, new DemoDataOptions { Size = DemoDataSize.Small, Seed = 42, ReferenceDate = DateOnly.FromDateTime(DateTime.UtcNow) }, null, ct);
                await LogicalReplication.WaitForCatchUpAsync(primary, TimeSpan.FromMinutes(5), ct);
                await DemoDataGenerator.AnalyzeAsync(replica, ct);
                Console.WriteLine($"servers and small demo data ready in {setup.Elapsed.TotalSeconds:0} s");
                await TrainAsync(replica, ct);
                Console.WriteLine($"models trained and deployed after {setup.Elapsed.TotalSeconds:0} s");

                foreach (var (label, ttl, snapshot) in new[]
                         {
                             ("defaults: tenant feature snapshots (30 s) + key cache (5 s)", "00:00:05", "00:00:30"),
                             ("every request reads its features from the replica (snapshots and cache off)", "00:00:00", "00:00:00"),
                         })
                {
                    await using var host = await SelfHostedService.StartAsync(replica, ttl, snapshot, ct);
                    var client = new PredictionClient(host.Channel);
                    var keys = await KeysFromReplicaAsync(replica, clientId, ct);
                    await RunGrpcSuiteAsync(report, $"gRPC, self-hosted, {label}", client, clientId, keys, seconds, ct);
                    var log = host.Services.GetRequiredService<PredictionLogQueue>();
                    report.AppendLine(CultureInfo.InvariantCulture, $"prediction log: {log.Enqueued} enqueued, {log.Written} written in {log.Batches} batches, {log.Dropped} dropped, {log.Pending} pending at the end");
                    report.AppendLine();
                }
                if (o.TryGetValue("gateway", out var gw))
                {
                    report.AppendLine("Gateway: not measured in self-hosted mode (the gateway must point at the same prediction service): run with --grpc and --gateway against the AppHost.");
                }
            }
        }
        catch (RpcException ex)
        {
            Console.Error.WriteLine($"bench prediction: the prediction service answered {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
        finally
        {
            if (replicaServer is not null)
            {
                await replicaServer.DisposeAsync();
            }
            if (primaryServer is not null)
            {
                await primaryServer.DisposeAsync();
            }
            if (root is not null)
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        Console.WriteLine(report.ToString());
        if (o.TryGetValue("out", out var path))
        {
            await File.WriteAllTextAsync(path, report.ToString(), ct);
        }
        return 0;
    }

    private sealed record Keys(List<string> Issues, List<string> Epics, List<string> PullRequests);

    private static async Task<Keys> KeysFromReplicaAsync(string replica, long clientId, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(replica);
        await conn.OpenAsync(ct);
        async Task<List<string>> Read(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn) { Parameters = { new() { Value = clientId } } };
            var list = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                list.Add(r.GetString(0));
            }
            return list;
        }
        return new Keys(
            await Read("SELECT i.key FROM issues i JOIN issuetypes t ON t.id = i.issuetype_id AND t.original_name IN ('Story','Task','Bug') WHERE i.client_id = $1 AND i.active ORDER BY i.id DESC LIMIT 500"),
            await Read("SELECT i.key FROM issues i JOIN issuetypes t ON t.id = i.issuetype_id AND t.original_name = 'Epic' WHERE i.client_id = $1 AND i.active ORDER BY i.id DESC LIMIT 200"),
            await Read("SELECT r.name || '#' || p.number FROM pull_requests p JOIN repositories r ON r.id = p.repository_id WHERE p.client_id = $1 AND p.active ORDER BY p.id DESC LIMIT 200"));
    }

    /// <summary>Against a running service there is no database access: keys are probed through the API.</summary>
    private static async Task<Keys> KeysFromServiceAsync(PredictionClient client, long clientId, CancellationToken ct)
    {
        var issues = new List<string>();
        foreach (var project in new[] { "PAY", "API", "MOB", "DATA" })
        {
            for (var start = 1; start <= 2000 && issues.Count < 500; start += 100)
            {
                var r = await client.EstimateComplexityAsync(new ComplexityRequest { ClientId = clientId, IssueKeys = { Enumerable.Range(start, 100).Select(n => $"{project}-{n}") } }, cancellationToken: ct);
                issues.AddRange(r.Predictions.Where(p => p.Found).Select(p => p.Key));
            }
        }
        var epics = new List<string>();
        foreach (var project in new[] { "PAY", "API", "MOB", "DATA" })
        {
            for (var start = 1; start <= 1000 && epics.Count < 200; start += 50)
            {
                var r = await client.PredictTrajectoryAsync(new TrajectoryRequest { ClientId = clientId, EpicKeys = { Enumerable.Range(start, 50).Select(n => $"{project}-{n}") } }, cancellationToken: ct);
                epics.AddRange(r.Predictions.Where(p => p.Found).Select(p => p.Key));
            }
        }
        var prs = new List<string>();
        foreach (var repo in new[] { "api-gateway", "payments-service", "mobile-app", "data-pipeline" })
        {
            var r = await client.AssessReworkRiskAsync(new ReworkRequest { ClientId = clientId, Repository = repo, Limit = 50 }, cancellationToken: ct);
            prs.AddRange(r.Predictions.Where(p => p.Found).Select(p => p.Key));
        }
        if (issues.Count == 0)
        {
            throw new InvalidOperationException($"tenant {clientId} has no issues the complexity model can predict");
        }
        return new Keys(issues, epics, prs);
    }

    private static async Task RunGrpcSuiteAsync(StringBuilder report, string title, PredictionClient client, long clientId, Keys keys, double seconds, CancellationToken ct)
    {
        // Warm-up: JIT, connection pools, the feature cache (when on) and the models' first calls.
        await RunAsync("warm-up", 8, 1, Math.Min(seconds, 2), (i, c) => Complexity(client, clientId, keys.Issues, i, 1, c), ct);

        var rows = new List<Measure>();
        foreach (var callers in new[] { 1, 8, 64 })
        {
            rows.Add(await RunAsync("complexity, 1 key", callers, 1, seconds, (i, c) => Complexity(client, clientId, keys.Issues, i, 1, c), ct));
        }
        if (keys.Epics.Count > 0)
        {
            rows.Add(await RunAsync("trajectory, 1 key", 1, 1, seconds, (i, c) => Trajectory(client, clientId, keys.Epics, i, 1, c), ct));
            rows.Add(await RunAsync("trajectory, 1 key", 64, 1, seconds, (i, c) => Trajectory(client, clientId, keys.Epics, i, 1, c), ct));
        }
        if (keys.PullRequests.Count > 0)
        {
            rows.Add(await RunAsync("rework, 1 key", 1, 1, seconds, (i, c) => Rework(client, clientId, keys.PullRequests, i, 1, c), ct));
            rows.Add(await RunAsync("rework, 1 key", 64, 1, seconds, (i, c) => Rework(client, clientId, keys.PullRequests, i, 1, c), ct));
        }
        rows.Add(await RunAsync("complexity, 50-key batch", 1, 50, seconds, (i, c) => Complexity(client, clientId, keys.Issues, i, 50, c), ct));
        rows.Add(await RunAsync("complexity, 50-key batch", 8, 50, seconds, (i, c) => Complexity(client, clientId, keys.Issues, i, 50, c), ct));
        if (keys.Epics.Count >= 50)
        {
            rows.Add(await RunAsync("trajectory, 50-key batch", 1, 50, seconds, (i, c) => Trajectory(client, clientId, keys.Epics, i, 50, c), ct));
        }
        Write(report, title, rows);
    }

    private static async Task RunGatewaySuiteAsync(StringBuilder report, string gateway, string apiKey, Keys keys, double seconds, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(gateway), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        try
        {
            using var probe = await http.PostAsJsonAsync("/api/v1/predictions/complexity", new { issue_keys = new[] { keys.Issues[0] } }, ct);
            if (!probe.IsSuccessStatusCode)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"## Gateway {gateway}\n\nnot ready: POST /api/v1/predictions/complexity answered {(int)probe.StatusCode} {await probe.Content.ReadAsStringAsync(ct)}\n");
                return;
            }
        }
        catch (HttpRequestException ex)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"## Gateway {gateway}\n\nnot ready: {ex.Message}\n");
            return;
        }
        async Task<(double, double, double, double)> Call(int i, int n, CancellationToken c)
        {
            var body = new { issue_keys = Enumerable.Range(0, n).Select(k => keys.Issues[(i * n + k) % keys.Issues.Count]).Distinct().ToArray() };
            using var r = await http.PostAsJsonAsync("/api/v1/predictions/complexity", body, c);
            r.EnsureSuccessStatusCode();
            await r.Content.ReadAsByteArrayAsync(c);
            return (double.NaN, double.NaN, double.NaN, body.issue_keys.Length);
        }
        await RunAsync("warm-up", 8, 1, Math.Min(seconds, 2), (i, c) => Call(i, 1, c), ct);
        var rows = new List<Measure>();
        foreach (var callers in new[] { 1, 8, 64 })
        {
            rows.Add(await RunAsync("complexity, 1 key (HTTP)", callers, 1, seconds, (i, c) => Call(i, 1, c), ct));
        }
        rows.Add(await RunAsync("complexity, 50-key batch (HTTP)", 1, 50, seconds, (i, c) => Call(i, 50, c), ct));
        Write(report, $"Gateway {gateway} (HTTP/JSON → gRPC)", rows);
    }

    private static async Task<(double, double, double, double)> Complexity(PredictionClient client, long clientId, List<string> keys, int i, int n, CancellationToken ct)
    {
        var call = client.EstimateComplexityAsync(new ComplexityRequest { ClientId = clientId, IssueKeys = { Window(keys, i, n) } }, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Predictions.Count);
    }

    private static async Task<(double, double, double, double)> Trajectory(PredictionClient client, long clientId, List<string> keys, int i, int n, CancellationToken ct)
    {
        var call = client.PredictTrajectoryAsync(new TrajectoryRequest { ClientId = clientId, EpicKeys = { Window(keys, i, n) } }, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Predictions.Count);
    }

    private static async Task<(double, double, double, double)> Rework(PredictionClient client, long clientId, List<string> keys, int i, int n, CancellationToken ct)
    {
        var call = client.AssessReworkRiskAsync(new ReworkRequest { ClientId = clientId, PullRequests = { Window(keys, i, n) } }, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Predictions.Count);
    }

    private static IEnumerable<string> Window(List<string> keys, int i, int n) =>
        Enumerable.Range(0, Math.Min(n, keys.Count)).Select(k => keys[(i * n + k) % keys.Count]);

    /// <summary>(feature ms, model ms, server total ms, predictions) from the x-server-timing trailer.</summary>
    private static (double, double, double, double) Timing(Metadata trailers, int predictions)
    {
        double f = double.NaN, m = double.NaN, t = double.NaN;
        var value = trailers.GetValue(PredictionGrpcService.TimingTrailer);
        foreach (var part in (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=');
            if (kv.Length == 2 && double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                switch (kv[0])
                {
                    case "features": f = v; break;
                    case "model": m = v; break;
                    case "total": t = v; break;
                }
            }
        }
        return (f, m, t, predictions);
    }

    /// <summary>Runs <paramref name="callers"/> loops for <paramref name="seconds"/>; each loop calls, times and records.</summary>
    private static async Task<Measure> RunAsync(string name, int callers, int keysPerCall, double seconds,
        Func<int, CancellationToken, Task<(double Features, double Model, double Server, double Predictions)>> call, CancellationToken ct)
    {
        var latencies = new List<double>[callers];
        var server = new List<(double F, double M, double S)>[callers];
        var predictions = new long[callers];
        var failures = 0;
        var counter = 0;
        var sw = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            latencies[c] = [];
            server[c] = [];
            while (sw.Elapsed < end && !ct.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref counter);
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    var (f, m, s, n) = await call(i, ct);
                    latencies[c].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    server[c].Add((f, m, s));
                    predictions[c] += (long)n;
                }
                catch (Exception ex) when (ex is RpcException or HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = sw.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        var srv = server.SelectMany(s => s).Where(s => double.IsFinite(s.S)).ToList();
        var m = new Measure(name, callers, keysPerCall, all.Count,
            LatencyTracker.Percentile(all, 0.50), LatencyTracker.Percentile(all, 0.99), all.Count == 0 ? 0 : all.Average(),
            predictions.Sum() / elapsed,
            srv.Count == 0 ? double.NaN : srv.Average(s => s.F), srv.Count == 0 ? double.NaN : srv.Average(s => s.M), srv.Count == 0 ? double.NaN : srv.Average(s => s.S),
            failures);
        if (name != "warm-up")
        {
            Console.WriteLine($"  {name,-32} {callers,3} callers: p50 {m.P50,7:0.00} ms  p99 {m.P99,7:0.00} ms  {m.PredictionsPerSecond,8:0} pred/s  ({m.Calls} calls, {failures} failed)");
        }
        return m;
    }

    private static void Write(StringBuilder report, string title, List<Measure> rows)
    {
        report.AppendLine(CultureInfo.InvariantCulture, $"## {title}");
        report.AppendLine();
        report.AppendLine("| request | callers | calls | p50 ms | p99 ms | predictions/s | features | model | rest of server | transport + client | failed |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var m in rows)
        {
            string Share(double part) => double.IsFinite(part) && m.Mean > 0 ? $"{100 * part / m.Mean:0}%" : "–";
            var rest = m.ServerMs - m.FeatureMs - m.ModelMs;
            var transport = m.Mean - m.ServerMs;
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {m.Name} | {m.Callers} | {m.Calls} | {m.P50:0.00} | {m.P99:0.00} | {m.PredictionsPerSecond:0} | {Share(m.FeatureMs)} | {Share(m.ModelMs)} | {Share(rest)} | {Share(transport)} | {m.Failures} |");
        }
        report.AppendLine();
        report.AppendLine("Shares are of the mean client-observed latency; features/model/rest come from the service's x-server-timing trailer (rest = validation, mapping, logging hand-off), transport + client = client latency − server time (HTTP/2, protobuf, scheduling; with many callers on 2 cores mostly queueing).");
        report.AppendLine();
    }

    private static async Task TrainAsync(string replica, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        services.AddSingleton(NpgsqlDataSource.Create(replica));
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<TrainingOptions>();
        services.AddSingleton<ModelRegistryReader>();
        services.AddSingleton<ModelTrainer>();
        services.AddSingleton<IFeatureSource, FeatureSource>();
        services.AddSingleton<ITrainingStore, TrainingStore>();
        services.AddSingleton<ITrainingEvents, NoEvents>();
        services.AddSingleton<DeployService>();
        services.AddSingleton<TrainingRunner>();
        await using var provider = services.BuildServiceProvider();
        var runner = provider.GetRequiredService<TrainingRunner>();
        foreach (var model in new[] { "trajectory", "complexity", "rework", "unified" })
        {
            var sw = Stopwatch.StartNew();
            var outcome = await runner.RunAsync(new TrainingRequest
            {
                RequestId = "bench-prediction-" + model + "-" + Guid.NewGuid().ToString("N"),
                ModelName = model,
                DeployStrategy = DeployStrategies.MostRecent,
                Hyperparameters = model == "unified"
                    ? new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15", ["compare_separate"] = "false" }
                    : new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15" },
                RequestedBy = "bench",
            }, null, ct);
            Console.WriteLine($"  trained {model}: {outcome.Status} in {sw.Elapsed.TotalSeconds:0.0} s {outcome.FailureReason}");
        }
    }

    private sealed class NoEvents : ITrainingEvents
    {
        public Task TrainedAsync(TrainingOutcome outcome, CancellationToken ct) => Task.CompletedTask;
        public Task DeployedAsync(string modelName, DeployDecision decision, CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>The prediction service as Program.cs builds it, in this process, on a free loopback port.</summary>
    private sealed class SelfHostedService : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private SelfHostedService(WebApplication app, int port)
        {
            _app = app;
            Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        }

        public GrpcChannel Channel { get; }
        public IServiceProvider Services => _app.Services;

        public static async Task<SelfHostedService> StartAsync(string replica, string cacheTtl, string snapshotTtl, CancellationToken ct)
        {
            var port = NativeProcess.FreePort();
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(PredictionGrpcService).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:replica"] = replica,
                ["Endpoints:GrpcPort"] = port.ToString(CultureInfo.InvariantCulture),
                ["Messaging:Transport"] = "InMemory",
                ["Prediction:FeatureCacheTtl"] = cacheTtl,
                ["Prediction:TenantSnapshotTtl"] = snapshotTtl,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            builder.AddServiceDefaults();
            builder.AddGrpcDefaults();
            builder.UseServiceEndpoints();
            builder.AddApplicationServices();
            var app = builder.Build();
            app.MapGrpcDefaults();
            app.MapApplicationEndpoints();
            await app.StartAsync(ct);
            var models = app.Services.GetRequiredService<DeployedModels<LoadedModel>>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (models.All.Count < 4 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
            return new SelfHostedService(app, port);
        }

        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
