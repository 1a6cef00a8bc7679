using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime;
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
        bench prediction [--seconds 5] [--client-id 1] [--size small|medium]
                         [--grpc http://127.0.0.1:18944]                  (a running prediction service; else self-hosted; its caller
                                                                  token is --token TOKEN, or fetched from --gateway with --api-key)
                         [--gateway http://127.0.0.1:18980 --api-key KEY] (with --grpc: also measure through that gateway)
                         [--modes defaults,replica]                       (self-hosted: which service configurations)
                         [--self-gateway true|false]                      (self-hosted: also through an in-process gateway; default true)
                         [--alloc-sample true|false]                      (top allocating types per phase, from GCAllocationTick events)
                         [--compare workstation,server,server-nodatas [--rounds 3]]
                                                                          (self-hosted: the service in one child process per setting —
                                                                           GC modes, inline socket scheduling, log writer priority, no log —
                                                                           measured in alternating rounds so all see the same machine load)
                         [--out results.md]
          Self-hosted: starts PostgreSQL primary + replica in a temporary directory, loads the demo data (--size, default small),
          trains trajectory, complexity, rework and unified with fast settings, and runs the service in this process
          with its defaults (tenant feature snapshots + key cache) and/or with every feature read going to the replica
          ("replica"). With the defaults it also starts the gateway in this process (an API key from the primary) and
          measures the same calls through HTTP/JSON. GC settings are this process's: set DOTNET_gcServer,
          DOTNET_gcConcurrent, DOTNET_GCDynamicAdaptationMode to compare (the report names the mode).
        """;

    private sealed record Measure(string Name, int Callers, int KeysPerCall, int Calls, double P50, double P99, double Mean,
        double PredictionsPerSecond, double FeatureMs, double ModelMs, double ServerMs, double ServerP99, int Failures, Machine Machine, string? Allocations = null)
    {
        /// <summary>Answers "Unavailable, retry after N s" (503 through the gateway) that the caller waited out and asked again; the call's latency includes them.</summary>
        public int RetriedAfter { get; init; }
    }

    /// <summary>Set by --alloc-sample true: per-phase top allocating types.</summary>
    private static AllocationSampler? s_allocations;

    /// <summary>What the process and machine did during one phase (GC and thread pool are process-wide: client and service share them).</summary>
    private sealed record Machine(string Load, int Gen0, int Gen1, int Gen2, double GcPauseMs, double AllocatedKbPerCall, long MaxQueuedWork);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (BenchArgs.Parse("bench prediction", Usage, args, out var o) is { } exit)
        {
            return exit;
        }
        if (o.TryGetValue("serve", out var serveReplica))
        {
            return await ServeAsync(serveReplica, ct);
        }
        double seconds;
        long clientId;
        string[] modes;
        bool selfGateway;
        DemoDataSize size;
        try
        {
            size = Enum.Parse<DemoDataSize>(o.GetValueOrDefault("size", "small"), ignoreCase: true);
            seconds = double.Parse(o.GetValueOrDefault("seconds", "5"), CultureInfo.InvariantCulture);
            clientId = long.Parse(o.GetValueOrDefault("client-id", "1"), CultureInfo.InvariantCulture);
            modes = o.GetValueOrDefault("modes", "defaults,replica").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            selfGateway = bool.Parse(o.GetValueOrDefault("self-gateway", "true"));
            if (bool.Parse(o.GetValueOrDefault("alloc-sample", "false")))
            {
                s_allocations = new AllocationSampler();
            }
            if (seconds is <= 0 or > 600 || clientId <= 0 || o.ContainsKey("gateway") != o.ContainsKey("api-key"))
            {
                throw new ArgumentException("--seconds in (0, 600], --client-id > 0, and --gateway needs --api-key");
            }
            if (o.ContainsKey("gateway") && !o.ContainsKey("grpc"))
            {
                throw new ArgumentException("--gateway measures a running gateway next to a running service: give --grpc too (self-hosted runs start their own gateway)");
            }
            if (modes.Length == 0 || modes.Any(m => m is not ("defaults" or "replica")))
            {
                throw new ArgumentException("--modes: a comma-separated list of defaults, replica");
            }
            if (o.TryGetValue("compare", out var gcs) && gcs.Split(',').Any(g => !CompareSettings.ContainsKey(g.Trim())))
            {
                throw new ArgumentException($"--compare: a comma-separated list of {string.Join(", ", CompareSettings.Keys)}");
            }
            if (int.Parse(o.GetValueOrDefault("rounds", "3"), CultureInfo.InvariantCulture) is <= 0 or > 20)
            {
                throw new ArgumentException("--rounds in 1..20");
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
        report.AppendLine(CultureInfo.InvariantCulture, $"Load average (1/5/15 min) at start: {LoadAverage(all: true)}. This process: {GcMode()}.");
        report.AppendLine();
        try
        {
            if (o.TryGetValue("grpc", out var grpcUrl))
            {
                using var channel = GrpcChannel.ForAddress(grpcUrl);
                var client = new PredictionClient(BenchTokens.ForRunningSystem(channel, o));
                var keys = await KeysFromServiceAsync(client, ct);
                var grpcRows = await RunGrpcSuiteAsync(report, $"gRPC {grpcUrl}", client, keys, seconds, ct);
                if (o.TryGetValue("gateway", out var gw))
                {
                    var gatewayRows = await RunGatewaySuiteAsync(report, gw, gw, o["api-key"], keys, seconds, ct);
                    Compare(report, grpcRows, gatewayRows);
                }
            }
            else
            {
                if (o.TryGetValue("compare", out var gcConfigs))
                {
                    var rounds = int.Parse(o.GetValueOrDefault("rounds", "3"), CultureInfo.InvariantCulture);
                    await RunGcCompareAsync(report, clientId, seconds, gcConfigs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), rounds, ct);
                }
                else
                {
                    await RunSelfHostedAsync(report, clientId, seconds, modes, selfGateway, size, ct);
                }
            }
        }
        catch (RpcException ex)
        {
            Console.Error.WriteLine($"bench prediction: the prediction service answered {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }

        report.AppendLine(CultureInfo.InvariantCulture, $"Load average (1/5/15 min) at the end: {LoadAverage(all: true)} on {Environment.ProcessorCount} cores.");
        Console.WriteLine(report.ToString());
        if (o.TryGetValue("out", out var path))
        {
            await File.WriteAllTextAsync(path, report.ToString(), ct);
        }
        return 0;
    }

    private static async Task RunSelfHostedAsync(StringBuilder report, long clientId, double seconds, string[] modes, bool selfGateway, DemoDataSize size, CancellationToken ct)
    {
        var setup = Stopwatch.StartNew();
        await using var data = await SelfHostedData.StartAsync("prediction", ct);
        await data.LoadDemoDataAsync(new DemoDataOptions { Size = size, Seed = 42, ReferenceDate = DateOnly.FromDateTime(DateTime.UtcNow) },
            catchUpTimeout: TimeSpan.FromMinutes(30), ct: ct);
        Console.WriteLine($"servers and {size} demo data ready in {setup.Elapsed.TotalSeconds:0} s");
        report.AppendLine(CultureInfo.InvariantCulture, $"Self-hosted on the {size} demo data (seed 42), tenant {clientId}.");
        report.AppendLine();
        await TrainAsync(data.Replica, ct);
        Console.WriteLine($"models trained and deployed after {setup.Elapsed.TotalSeconds:0} s");
        var keys = await KeysFromReplicaAsync(data.Replica, clientId, ct);

        foreach (var mode in modes)
        {
            var (label, ttl, snapshot) = mode == "defaults"
                ? ("defaults: tenant feature snapshots (30 s) + key cache (5 s)", "00:00:05", "00:00:30")
                : ("every request reads its features from the replica (snapshots and cache off)", "00:00:00", "00:00:00");
            await using var host = await SelfHostedService.StartAsync(data.Replica, ttl, snapshot, ct);
            var grpcRows = await RunGrpcSuiteAsync(report, $"gRPC, self-hosted, {label}", new PredictionClient(host.Channel.AsTenant(clientId)), keys, seconds, ct);
            if (mode == "defaults" && selfGateway)
            {
                await using var gateway = await SelfHostedGateway.StartAsync(data.Primary, host.Url, ct);
                var apiKey = await data.CreateApiKeyAsync(clientId, "bench prediction", ct);
                var gatewayRows = await RunGatewaySuiteAsync(report, $"{gateway.Url}, self-hosted, same service", gateway.Url, apiKey, keys, seconds, ct);
                Compare(report, grpcRows, gatewayRows);
            }
            var log = host.Services.GetRequiredService<PredictionLogQueue>();
            report.AppendLine(CultureInfo.InvariantCulture, $"prediction log: {log.Enqueued} enqueued, {log.Written} written in {log.Batches} batches, {log.Dropped} dropped, {log.Pending} pending at the end");
            report.AppendLine();
        }
    }

    /// <summary>Service settings compared by --compare (environment of the service's child process).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> CompareSettings = new(StringComparer.Ordinal)
    {
        ["workstation"] = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "1" },
        ["inline"] = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "1", ["Prediction__InlineSocketScheduling"] = "true" },
        ["writer-nice0"] = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "1", ["PredictionLog__WriterNice"] = "0" },
        ["no-log"] = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "1", ["PredictionLog__Capacity"] = "1" },
        // The service defaults record traces even with no exporter configured; the OpenTelemetry SDK's own setting turns that off.
        ["no-tracing"] = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "1", ["OTEL_TRACES_SAMPLER"] = "always_off" },
        ["workstation-nonconcurrent"] = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "0" },
        ["server"] = new() { ["DOTNET_gcServer"] = "1", ["DOTNET_gcConcurrent"] = "1" },
        ["server-nodatas"] = new() { ["DOTNET_gcServer"] = "1", ["DOTNET_gcConcurrent"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "0" },
        ["server-1heap"] = new() { ["DOTNET_gcServer"] = "1", ["DOTNET_gcConcurrent"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "0", ["DOTNET_GCHeapCount"] = "1" },
    };

    /// <summary>
    /// Hidden child mode of --compare: the service (defaults) in this process on a free port; prints
    /// "@@ready URL mode" and answers "stats" on stdin with this process's GC counters; exits when stdin closes.
    /// </summary>
    private static async Task<int> ServeAsync(string replica, CancellationToken ct)
    {
        await using var host = await SelfHostedService.StartAsync(replica, "00:00:05", "00:00:30", ct);
        Console.WriteLine($"@@ready {host.Url} {GcMode()}");
        while (await Console.In.ReadLineAsync(ct) is { } line)
        {
            if (line == "stats")
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"@@stats {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {GC.GetTotalPauseDuration().TotalMilliseconds:0.###} {GC.GetTotalAllocatedBytes()} {Environment.WorkingSet}"));
            }
        }
        return 0;
    }

    private sealed record ServerStats(int Gen0, int Gen1, int Gen2, double PauseMs, long Allocated, long WorkingSet)
    {
        public static ServerStats Parse(string line)
        {
            var f = line.Split(' ');
            return new ServerStats(int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
                double.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture), long.Parse(f[6], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The service in a child process (this bench's --serve mode) with a given GC environment.</summary>
    private sealed class ServiceProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();

        private ServiceProcess(Process process) => _process = process;

        public string Url { get; private set; } = "";
        public string Mode { get; private set; } = "";

        public static async Task<ServiceProcess> StartAsync(string replica, IReadOnlyDictionary<string, string> env, CancellationToken ct)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!)
            {
                UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            psi.ArgumentList.Add(typeof(PredictionBench).Assembly.Location);
            psi.ArgumentList.Add("prediction");
            psi.ArgumentList.Add("--serve");
            psi.ArgumentList.Add(replica);
            psi.Environment[BenchTokens.ParentPublicKeyVariable] = BenchTokens.ServiceSettings["Auth:PublicKey"];
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
            var p = new ServiceProcess(Process.Start(psi)!);
            p._process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    p._lines.Writer.TryComplete();
                }
                else if (e.Data.StartsWith("@@", StringComparison.Ordinal))
                {
                    p._lines.Writer.TryWrite(e.Data[2..]);
                }
            };
            p._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line)
                {
                    Console.Error.WriteLine("[service] " + line);
                }
            };
            p._process.BeginOutputReadLine();
            p._process.BeginErrorReadLine();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            var ready = await p._lines.Reader.ReadAsync(timeout.Token);
            var parts = ready.Split(' ', 3);
            if (parts[0] != "ready")
            {
                throw new InvalidOperationException($"the service process said '{ready}' instead of ready");
            }
            (p.Url, p.Mode) = (parts[1], parts[2]);
            return p;
        }

        public async Task<ServerStats> StatsAsync(CancellationToken ct)
        {
            await _process.StandardInput.WriteLineAsync("stats".AsMemory(), ct);
            await _process.StandardInput.FlushAsync(ct);
            return ServerStats.Parse(await _lines.Reader.ReadAsync(ct));
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                _process.StandardInput.Close();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
    }

    /// <summary>
    /// One service process per GC setting, all on the same replica and models; each round measures
    /// every setting once (in turn), so machine load from other work falls on all of them alike.
    /// Reported: the median over rounds of p50, p99 and predictions/s, and the service process's own
    /// GC work (collections, pause, KB allocated per call — the client's are not in it).
    /// </summary>
    private static async Task RunGcCompareAsync(StringBuilder report, long clientId, double seconds, string[] configs, int rounds, CancellationToken ct)
    {
        var setup = Stopwatch.StartNew();
        await using var data = await SelfHostedData.StartAsync("prediction-compare", ct);
        await data.LoadDemoDataAsync(new DemoDataOptions { Size = DemoDataSize.Small, Seed = 42, ReferenceDate = DateOnly.FromDateTime(DateTime.UtcNow) },
            catchUpTimeout: TimeSpan.FromMinutes(5), ct: ct);
        await TrainAsync(data.Replica, ct);
        var keys = await KeysFromReplicaAsync(data.Replica, clientId, ct);
        Console.WriteLine($"data and models ready after {setup.Elapsed.TotalSeconds:0} s; starting {configs.Length} service processes");
        var services = new List<(string Name, ServiceProcess Process, GrpcChannel Channel)>();
        try
        {
            foreach (var name in configs)
            {
                var p = data.Own(await ServiceProcess.StartAsync(data.Replica, CompareSettings[name], ct));
                services.Add((name, p, GrpcChannel.ForAddress(p.Url)));
            }
            var phases = new List<(string Name, int Callers, Func<PredictionClient, Func<int, CancellationToken, Task<(double, double, double, double)>>> Call)>
            {
                ("complexity, 1 key", 1, c => (i, t) => Complexity(c, keys.Issues, i, 1, t)),
                ("complexity, 1 key", 64, c => (i, t) => Complexity(c, keys.Issues, i, 1, t)),
                ("trajectory, 1 key", 1, c => (i, t) => Trajectory(c, keys.Epics, i, 1, t)),
                ("rework, 1 key", 1, c => (i, t) => Rework(c, keys.PullRequests, i, 1, t)),
            };
            foreach (var (_, _, channel) in services)
            {
                var client = new PredictionClient(channel.AsTenant(clientId));
                await RunAsync("warm-up", 8, 1, Math.Max(3, seconds), phases[0].Call(client), ct);
                await RunAsync("warm-up", 2, 1, 1, phases[2].Call(client), ct);
                await RunAsync("warm-up", 2, 1, 1, phases[3].Call(client), ct);
            }
            var results = new Dictionary<(string Config, int Phase), List<(Measure M, ServerStats Delta)>>();
            for (var round = 1; round <= rounds; round++)
            {
                Console.WriteLine($"round {round}/{rounds}");
                for (var ph = 0; ph < phases.Count; ph++)
                {
                    // Rotate the order each round so no setting always runs first (or right after another's GC debt).
                    for (var k = 0; k < services.Count; k++)
                    {
                        var (name, process, channel) = services[(k + round + ph) % services.Count];
                        var before = await process.StatsAsync(ct);
                        Console.Write($"  [{name}] ");
                        var m = await RunAsync(phases[ph].Name, phases[ph].Callers, 1, seconds, phases[ph].Call(new PredictionClient(channel.AsTenant(clientId))), ct);
                        var after = await process.StatsAsync(ct);
                        var delta = new ServerStats(after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2,
                            after.PauseMs - before.PauseMs, after.Allocated - before.Allocated, after.WorkingSet);
                        (results.TryGetValue((name, ph), out var list) ? list : results[(name, ph)] = []).Add((m, delta));
                    }
                }
            }

            report.AppendLine(CultureInfo.InvariantCulture, $"## Service settings compared ({rounds} alternating rounds, {seconds:0.#} s per phase; medians over rounds)");
            report.AppendLine();
            foreach (var (name, process, _) in services)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"* {name}: {string.Join(' ', CompareSettings[name].Select(kv => kv.Key + "=" + kv.Value))} → {process.Mode}");
            }
            report.AppendLine();
            report.AppendLine("| request | callers | GC setting | p50 ms | p99 ms (per round) | predictions/s | service GCs 0/1/2 (all rounds) | service GC pause ms (all rounds) | service KB/call | service RSS MB | load (per round) |");
            report.AppendLine("|---|---:|---|---:|---|---:|---:|---:|---:|---:|---|");
            static double Median(IEnumerable<double> v)
            {
                var l = v.Order().ToList();
                return l.Count == 0 ? double.NaN : l.Count % 2 == 1 ? l[l.Count / 2] : (l[l.Count / 2 - 1] + l[l.Count / 2]) / 2;
            }
            for (var ph = 0; ph < phases.Count; ph++)
            {
                foreach (var (name, _, _) in services)
                {
                    var r = results[(name, ph)];
                    var calls = r.Sum(x => x.M.Calls);
                    report.AppendLine(CultureInfo.InvariantCulture,
                        $"| {phases[ph].Name} | {phases[ph].Callers} | {name} | {Median(r.Select(x => x.M.P50)):0.00} | {Median(r.Select(x => x.M.P99)):0.00} ({string.Join(", ", r.Select(x => x.M.P99.ToString("0.0", CultureInfo.InvariantCulture)))}) | {Median(r.Select(x => x.M.PredictionsPerSecond)):0} | " +
                        $"{r.Sum(x => x.Delta.Gen0)}/{r.Sum(x => x.Delta.Gen1)}/{r.Sum(x => x.Delta.Gen2)} | {r.Sum(x => x.Delta.PauseMs):0} | {(calls == 0 ? 0 : r.Sum(x => x.Delta.Allocated) / 1024.0 / calls):0.0} | {r.Max(x => x.Delta.WorkingSet) / 1048576.0:0} | {string.Join(", ", r.Select(x => x.M.Machine.Load))} |");
                }
            }
            report.AppendLine();
        }
        finally
        {
            foreach (var s in services)
            {
                s.Channel.Dispose();
            }
        }
    }

    /// <param name="OpenEpics">Open epics (forecast candidates; the suite keeps those a forecast answers).</param>
    private sealed record Keys(List<string> Issues, List<string> Epics, List<string> PullRequests, List<string> Unified, List<string> Repositories, List<string> OpenEpics);

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
            await Read("SELECT r.name || '#' || p.number FROM pull_requests p JOIN repositories r ON r.id = p.repository_id WHERE p.client_id = $1 AND p.active ORDER BY p.id DESC LIMIT 200"),
            // Done and open issues with a PR (cheap base-table query; the unified view itself is what is measured).
            await Read("SELECT DISTINCT ON (i.id) i.key FROM issues i JOIN issuetypes t ON t.id = i.issuetype_id AND t.original_name IN ('Story','Task','Bug') JOIN pull_requests p ON p.issue_id = i.id AND p.active WHERE i.client_id = $1 AND i.active ORDER BY i.id DESC LIMIT 500"),
            await Read("SELECT r.name FROM repositories r WHERE r.client_id = $1 AND r.active AND EXISTS (SELECT 1 FROM pull_requests p WHERE p.repository_id = r.id AND p.status = 'open' AND p.active) ORDER BY r.id"),
            await Read("""
                SELECT e.key FROM issues e JOIN issuetypes t ON t.id = e.issuetype_id AND t.original_name = 'Epic'
                JOIN statuses s ON s.id = e.status_id JOIN status_mappings sm ON sm.id = s.status_mapping_id
                WHERE e.client_id = $1 AND e.active AND sm.status_to <> 'Done'
                  AND EXISTS (SELECT 1 FROM issues c WHERE c.parent_id = e.id AND c.active)
                ORDER BY e.id DESC LIMIT 200
                """));
    }

    /// <summary>Against a running service there is no database access: keys are probed through the API.</summary>
    private static async Task<Keys> KeysFromServiceAsync(PredictionClient client, CancellationToken ct)
    {
        var issues = new List<string>();
        foreach (var project in new[] { "PAY", "API", "MOB", "DATA" })
        {
            for (var start = 1; start <= 2000 && issues.Count < 500; start += 100)
            {
                var r = await client.EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { Enumerable.Range(start, 100).Select(n => $"{project}-{n}") } }, cancellationToken: ct);
                issues.AddRange(r.Predictions.Where(p => p.Found).Select(p => p.Key));
            }
        }
        var epics = new List<string>();
        var open = new List<string>();
        foreach (var project in new[] { "PAY", "API", "MOB", "DATA" })
        {
            for (var start = 1; start <= 1000 && epics.Count < 200; start += 50)
            {
                var r = await client.PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { Enumerable.Range(start, 50).Select(n => $"{project}-{n}") } }, cancellationToken: ct);
                epics.AddRange(r.Predictions.Where(p => p.Found).Select(p => p.Key));
                open.AddRange(r.Predictions.Where(p => p.Found && !p.Done).Select(p => p.Key));
            }
        }
        var prs = new List<string>();
        foreach (var repo in new[] { "api-gateway", "payments-service", "mobile-app", "data-pipeline" })
        {
            var r = await client.AssessReworkRiskAsync(new ReworkRequest { Repository = repo, Limit = 50 }, cancellationToken: ct);
            prs.AddRange(r.Predictions.Where(p => p.Found).Select(p => p.Key));
        }
        if (issues.Count == 0)
        {
            throw new InvalidOperationException("the caller token's tenant has no issues the complexity model can predict");
        }
        var repositories = new[] { "api-gateway", "payments-service", "mobile-app", "data-pipeline" }.ToList();
        return new Keys(issues, epics, prs, issues, repositories, open);
    }

    private static async Task<List<Measure>> RunGrpcSuiteAsync(StringBuilder report, string title, PredictionClient client, Keys keys, double seconds, CancellationToken ct)
    {
        // Warm-up: JIT (tier-1 recompilation runs in the background for seconds after the first calls),
        // connection pools, the feature snapshots/cache (when on) and the models' first calls.
        await RunAsync("warm-up", 8, 1, 3, (i, c) => Complexity(client, keys.Issues, i, 1, c), ct);
        await RunAsync("warm-up", 2, 50, 1, (i, c) => Complexity(client, keys.Issues, i, 50, c), ct);
        if (keys.Epics.Count > 0)
        {
            await RunAsync("warm-up", 2, 1, 1, (i, c) => Trajectory(client, keys.Epics, i, 1, c), ct);
        }
        if (keys.PullRequests.Count > 0)
        {
            await RunAsync("warm-up", 2, 1, 1, (i, c) => Rework(client, keys.PullRequests, i, 1, c), ct);
        }

        Console.WriteLine(title);
        var rows = new List<Measure>();
        foreach (var callers in new[] { 1, 8, 64 })
        {
            rows.Add(await RunAsync("complexity, 1 key", callers, 1, seconds, (i, c) => Complexity(client, keys.Issues, i, 1, c), ct));
        }
        if (keys.Epics.Count > 0)
        {
            rows.Add(await RunAsync("trajectory, 1 key", 1, 1, seconds, (i, c) => Trajectory(client, keys.Epics, i, 1, c), ct));
            rows.Add(await RunAsync("trajectory, 1 key", 64, 1, seconds, (i, c) => Trajectory(client, keys.Epics, i, 1, c), ct));
        }
        if (keys.PullRequests.Count > 0)
        {
            rows.Add(await RunAsync("rework, 1 key", 1, 1, seconds, (i, c) => Rework(client, keys.PullRequests, i, 1, c), ct));
            rows.Add(await RunAsync("rework, 1 key", 64, 1, seconds, (i, c) => Rework(client, keys.PullRequests, i, 1, c), ct));
        }
        if (keys.Unified.Count > 0)
        {
            await RunAsync("warm-up", 2, 1, 1, (i, c) => Unified(client, keys.Unified, i, 1, c), ct);
            foreach (var callers in new[] { 1, 8, 64 })
            {
                rows.Add(await RunAsync("unified, 1 key", callers, 1, seconds, (i, c) => Unified(client, keys.Unified, i, 1, c), ct));
            }
        }
        if (keys.Repositories.Count > 0)
        {
            // "Riskiest open PRs of a repository" (top 10), the repositories in turn.
            await RunAsync("warm-up", 2, 10, 1, (i, c) => Repository(client, keys.Repositories, i, c), ct);
            foreach (var callers in new[] { 1, 8, 64 })
            {
                rows.Add(await RunAsync("rework, repository top 10", callers, 10, seconds, (i, c) => Repository(client, keys.Repositories, i, c), ct));
            }
        }
        // Epic forecasts (Monte Carlo, 10,000 draws per epic, blended with the trajectory model): all or nothing per
        // request, so only epics a single forecast answers are asked for.
        var forecastable = new List<string>();
        foreach (var epic in keys.OpenEpics)
        {
            try
            {
                await client.ForecastEpicsAsync(new ForecastRequest { EpicKeys = { epic } }, cancellationToken: ct);
                forecastable.Add(epic);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound)
            {
                // nothing to forecast from (no throughput, no trajectory prediction), or done since
            }
        }
        if (forecastable.Count > 0)
        {
            foreach (var callers in new[] { 1, 8, 64 })
            {
                rows.Add(await RunAsync("forecast, 1 epic", callers, 1, seconds, (i, c) => Forecast(client, forecastable, i, 1, c), ct));
            }
        }
        if (forecastable.Count >= 50)
        {
            foreach (var callers in new[] { 1, 8, 64 })
            {
                rows.Add(await RunAsync("forecast, 50 epics", callers, 50, seconds, (i, c) => Forecast(client, forecastable, i, 50, c), ct));
            }
            // The same with a seed of its own per call: nothing is served from an earlier computation (the cost of a
            // forecast nobody asked for yet: the first visit after a data refresh, another seed or draw count).
            foreach (var callers in new[] { 1, 8, 64 })
            {
                rows.Add(await RunAsync("forecast, 50 epics, new seed", callers, 50, seconds, (i, c) => Forecast(client, forecastable, i, 50, c, seed: 1_000 + i), ct));
            }
        }
        rows.Add(await RunAsync("complexity, 50-key batch", 1, 50, seconds, (i, c) => Complexity(client, keys.Issues, i, 50, c), ct));
        rows.Add(await RunAsync("complexity, 50-key batch", 8, 50, seconds, (i, c) => Complexity(client, keys.Issues, i, 50, c), ct));
        if (keys.Epics.Count >= 50)
        {
            // What the web UI's Epics page asks (its open epics in batches of 50, in parallel).
            foreach (var callers in new[] { 1, 8, 64 })
            {
                rows.Add(await RunAsync("trajectory, 50-key batch", callers, 50, seconds, (i, c) => Trajectory(client, keys.Epics, i, 50, c), ct));
            }
        }
        Write(report, title, rows);
        return rows;
    }

    /// <summary>The same calls as JSON over HTTP/1.1 through the gateway (API key → tenant → gRPC to the service).</summary>
    private static async Task<List<Measure>> RunGatewaySuiteAsync(StringBuilder report, string title, string gateway, string apiKey, Keys keys, double seconds, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(gateway.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        try
        {
            using var probe = await http.PostAsJsonAsync("api/v1/predictions/complexity", new { issue_keys = new[] { keys.Issues[0] } }, ct);
            if (!probe.IsSuccessStatusCode)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"## Gateway {title}\n\nnot ready: POST /api/v1/predictions/complexity answered {(int)probe.StatusCode} {await probe.Content.ReadAsStringAsync(ct)}\n");
                return [];
            }
        }
        catch (HttpRequestException ex)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"## Gateway {title}\n\nnot ready: {ex.Message}\n");
            return [];
        }
        Func<int, CancellationToken, Task<(double, double, double, double)>> Call(string route, string field, List<string> pool, int n) => async (i, c) =>
        {
            var window = Window(pool, i, n).ToArray();
            using var content = JsonContent.Create(new Dictionary<string, string[]> { [field] = window });
            using var r = await http.PostAsync(route, content, c);
            if (!r.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{route} answered {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync(c)}");
            }
            await r.Content.ReadAsByteArrayAsync(c);
            return (double.NaN, double.NaN, double.NaN, window.Length);
        };
        var complexity1 = Call("api/v1/predictions/complexity", "issue_keys", keys.Issues, 1);
        await RunAsync("warm-up", 8, 1, 3, complexity1, ct);

        Console.WriteLine("Gateway " + title);
        var rows = new List<Measure>();
        foreach (var callers in new[] { 1, 8, 64 })
        {
            rows.Add(await RunAsync("complexity, 1 key", callers, 1, seconds, complexity1, ct));
        }
        if (keys.Epics.Count > 0)
        {
            var trajectory = Call("api/v1/predictions/trajectory", "epic_keys", keys.Epics, 1);
            rows.Add(await RunAsync("trajectory, 1 key", 1, 1, seconds, trajectory, ct));
            rows.Add(await RunAsync("trajectory, 1 key", 64, 1, seconds, trajectory, ct));
        }
        if (keys.PullRequests.Count > 0)
        {
            var rework = Call("api/v1/predictions/rework", "pull_requests", keys.PullRequests, 1);
            rows.Add(await RunAsync("rework, 1 key", 1, 1, seconds, rework, ct));
            rows.Add(await RunAsync("rework, 1 key", 64, 1, seconds, rework, ct));
        }
        var batch = Call("api/v1/predictions/complexity", "issue_keys", keys.Issues, 50);
        rows.Add(await RunAsync("complexity, 50-key batch", 1, 50, seconds, batch, ct));
        rows.Add(await RunAsync("complexity, 50-key batch", 8, 50, seconds, batch, ct));
        Write(report, $"Gateway {title} (HTTP/1.1 JSON → gRPC)", rows);
        return rows;
    }

    /// <summary>gRPC and gateway rows of the same request and callers side by side.</summary>
    private static void Compare(StringBuilder report, List<Measure> grpc, List<Measure> gateway)
    {
        if (gateway.Count == 0)
        {
            return;
        }
        report.AppendLine("## gRPC vs gateway (same service, same keys)");
        report.AppendLine();
        report.AppendLine("| request | callers | gRPC p50 / p99 ms | gateway p50 / p99 ms | gRPC pred/s | gateway pred/s | gateway adds (mean ms) | load gRPC / gateway |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var g in gateway)
        {
            if (grpc.FirstOrDefault(x => x.Name == g.Name && x.Callers == g.Callers) is not { } r)
            {
                continue;
            }
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {g.Name} | {g.Callers} | {r.P50:0.00} / {r.P99:0.00} | {g.P50:0.00} / {g.P99:0.00} | {r.PredictionsPerSecond:0} | {g.PredictionsPerSecond:0} | {g.Mean - r.Mean:0.00} | {r.Machine.Load} / {g.Machine.Load} |");
        }
        report.AppendLine();
    }

    private static async Task<(double, double, double, double)> Complexity(PredictionClient client, List<string> keys, int i, int n, CancellationToken ct)
    {
        var call = client.EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { Window(keys, i, n) } }, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Predictions.Count);
    }

    private static async Task<(double, double, double, double)> Trajectory(PredictionClient client, List<string> keys, int i, int n, CancellationToken ct)
    {
        var call = client.PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { Window(keys, i, n) } }, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Predictions.Count);
    }

    private static async Task<(double, double, double, double)> Rework(PredictionClient client, List<string> keys, int i, int n, CancellationToken ct)
    {
        var call = client.AssessReworkRiskAsync(new ReworkRequest { PullRequests = { Window(keys, i, n) } }, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Predictions.Count);
    }

    private static async Task<(double, double, double, double)> Unified(PredictionClient client, List<string> keys, int i, int n, CancellationToken ct)
    {
        var call = client.PredictUnifiedAsync(new UnifiedRequest { IssueKeys = { Window(keys, i, n) } }, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Predictions.Count);
    }

    private static async Task<(double, double, double, double)> Forecast(PredictionClient client, List<string> keys, int i, int n, CancellationToken ct, int? seed = null)
    {
        var request = new ForecastRequest { EpicKeys = { Window(keys, i, n) } };
        if (seed is { } s)
        {
            request.Seed = s;
        }
        var call = client.ForecastEpicsAsync(request, cancellationToken: ct);
        var response = await call.ResponseAsync;
        return Timing(call.GetTrailers(), response.Forecasts.Count);
    }

    private static async Task<(double, double, double, double)> Repository(PredictionClient client, List<string> repositories, int i, CancellationToken ct)
    {
        var call = client.AssessReworkRiskAsync(new ReworkRequest { Repository = repositories[i % repositories.Count], Limit = 10 }, cancellationToken: ct);
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
        var retried = 0;
        string? firstFailure = null;
        var counter = 0;
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var pause = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes();
        long maxQueued = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            // Work items waiting for a thread-pool thread: a queue here is latency no handler sees.
            while (!sampling.IsCancellationRequested)
            {
                maxQueued = Math.Max(maxQueued, ThreadPool.PendingWorkItemCount);
                try
                {
                    await Task.Delay(10, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }, CancellationToken.None);
        var sampleAllocations = s_allocations is not null && name != "warm-up";
        if (sampleAllocations)
        {
            s_allocations!.Start();
        }
        var sw = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            latencies[c] = new List<double>(4096);
            server[c] = new List<(double, double, double)>(4096);
            while (sw.Elapsed < end && !ct.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref counter);
                var t0 = Stopwatch.GetTimestamp();
                // A caller as the web UI is one: an Unavailable with a retry-after trailer is waited out and asked again;
                // the call's latency runs from its first attempt to its answer.
                while (true)
                {
                    try
                    {
                        var (f, m, s, n) = await call(i, ct);
                        latencies[c].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                        server[c].Add((f, m, s));
                        predictions[c] += (long)n;
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable
                        && int.TryParse(ex.Trailers.GetValue(PredictionGrpcService.RetryAfterTrailer), NumberStyles.Integer, CultureInfo.InvariantCulture, out var retryAfter)
                        && sw.Elapsed + TimeSpan.FromSeconds(retryAfter) < end + TimeSpan.FromSeconds(30))
                    {
                        Interlocked.Increment(ref retried);
                        await Task.Delay(TimeSpan.FromSeconds(retryAfter), ct);
                        continue;
                    }
                    catch (Exception ex) when (ex is RpcException or HttpRequestException)
                    {
                        Interlocked.Increment(ref failures);
                        Interlocked.CompareExchange(ref firstFailure, ex.Message, null);
                    }
                    break;
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = sw.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var allocations = sampleAllocations
            ? string.Join(", ", s_allocations!.Stop(8).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Type} {100 * x.Share:0}%")))
            : null;
        var all = latencies.SelectMany(l => l).Order().ToList();
        var srv = server.SelectMany(s => s).Where(s => double.IsFinite(s.S)).ToList();
        var serverTotals = srv.Select(s => s.S).Order().ToList();
        var machine = new Machine(LoadAverage(all: false),
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
            (GC.GetTotalPauseDuration() - pause).TotalMilliseconds,
            all.Count == 0 ? 0 : (GC.GetTotalAllocatedBytes() - allocated) / 1024.0 / all.Count, maxQueued);
        var m = new Measure(name, callers, keysPerCall, all.Count,
            LatencyTracker.Percentile(all, 0.50), LatencyTracker.Percentile(all, 0.99), all.Count == 0 ? 0 : all.Average(),
            predictions.Sum() / elapsed,
            srv.Count == 0 ? double.NaN : srv.Average(s => s.F), srv.Count == 0 ? double.NaN : srv.Average(s => s.M), srv.Count == 0 ? double.NaN : srv.Average(s => s.S),
            serverTotals.Count == 0 ? double.NaN : LatencyTracker.Percentile(serverTotals, 0.99),
            failures, machine, allocations) { RetriedAfter = retried };
        if (name != "warm-up")
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-26} {callers,3} callers: p50 {m.P50,7:0.00} ms  p99 {m.P99,7:0.00} ms  {m.PredictionsPerSecond,8:0} pred/s  ({m.Calls} calls, {failures} failed, {retried} retried after Unavailable) load {machine.Load}, GC {machine.Gen0}/{machine.Gen1}/{machine.Gen2} pause {machine.GcPauseMs:0} ms, {machine.AllocatedKbPerCall:0.0} KB/call, queue max {machine.MaxQueuedWork}"));
            if (firstFailure is not null)
            {
                Console.WriteLine($"    first failure: {firstFailure}");
            }
            if (allocations is not null)
            {
                Console.WriteLine($"    allocations: {allocations}");
            }
        }
        return m;
    }

    private static void Write(StringBuilder report, string title, List<Measure> rows)
    {
        report.AppendLine(CultureInfo.InvariantCulture, $"## {title}");
        report.AppendLine();
        report.AppendLine("| request | callers | calls | p50 ms | p99 ms | predictions/s | features | model | rest of server | transport + client | server p99 ms | GC 0/1/2 | GC pause ms | KB/call | pool queue max | load | failed |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var m in rows)
        {
            string Share(double part) => double.IsFinite(part) && m.Mean > 0 ? $"{100 * part / m.Mean:0}%" : "–";
            var rest = m.ServerMs - m.FeatureMs - m.ModelMs;
            var transport = m.Mean - m.ServerMs;
            var x = m.Machine;
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {m.Name} | {m.Callers} | {m.Calls} | {m.P50:0.00} | {m.P99:0.00} | {m.PredictionsPerSecond:0} | {Share(m.FeatureMs)} | {Share(m.ModelMs)} | {Share(rest)} | {Share(transport)} | {(double.IsFinite(m.ServerP99) ? m.ServerP99.ToString("0.00", CultureInfo.InvariantCulture) : "–")} | {x.Gen0}/{x.Gen1}/{x.Gen2} | {x.GcPauseMs:0} | {x.AllocatedKbPerCall:0.0} | {x.MaxQueuedWork} | {x.Load} | {m.Failures}{(m.RetriedAfter > 0 ? $" (+{m.RetriedAfter} answers 'retry after' waited out)" : "")} |");
        }
        report.AppendLine();
        report.AppendLine("Shares are of the mean client-observed latency; features/model/rest come from the service's x-server-timing trailer (rest = validation, mapping, logging hand-off), transport + client = client latency − server time (HTTP/2, protobuf, scheduling; with many callers on 2 cores mostly queueing). " +
                          "Server p99 = p99 of the handler's own time. GC, KB/call and the thread-pool queue are this process's (client, service and, in gateway rows, gateway together). Load = 1-minute load average at the end of the phase.");
        report.AppendLine();
        foreach (var m in rows.Where(r => r.Allocations is not null))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"* allocations, {m.Name}, {m.Callers} callers (sampled by type): {m.Allocations}");
        }
        if (rows.Any(r => r.Allocations is not null))
        {
            report.AppendLine();
        }
    }

    private static string LoadAverage(bool all)
    {
        if (!File.Exists("/proc/loadavg"))
        {
            return "n/a";
        }
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return all ? $"{parts[0]} / {parts[1]} / {parts[2]}" : parts[0];
    }

    private static string GcMode()
    {
        var config = GC.GetConfigurationVariables();
        string Get(string key) => config.TryGetValue(key, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) ?? "?" : "?";
        return $"{(GCSettings.IsServerGC ? "Server" : "Workstation")} GC, concurrent {Get("ConcurrentGCEnabled")}, heaps {Get("HeapCount")}, " +
               $"DATAS (dynamic adaptation) {(AppContext.GetData("System.GC.DynamicAdaptationMode") ?? Environment.GetEnvironmentVariable("DOTNET_GCDynamicAdaptationMode") ?? "default")}, " +
               $"latency mode {GCSettings.LatencyMode}, thread pool min threads {MinThreads()}";
    }

    private static int MinThreads()
    {
        ThreadPool.GetMinThreads(out var worker, out _);
        return worker;
    }

    private static async Task TrainAsync(string replica, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        services.AddSingleton(NpgsqlDataSource.Create(replica));
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<TrainingOptions>();
        services.AddSingleton<ModelRegistryReader>();
        services.AddSingleton<StrategicAgent.Ml.Training.IFeatureSource, FeatureSource>();
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
                DeployStrategy = DeployStrategy.MostRecent,
                Hyperparameters = model == "unified"
                    ? new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15", ["compare_separate"] = "false" }
                    : new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15" },
                RequestedBy = "bench",
            }, null, ct);
            Console.WriteLine($"  trained {model}: {outcome.Status.ToText()} in {sw.Elapsed.TotalSeconds:0.0} s {outcome.FailureReason}");
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
            Url = $"http://127.0.0.1:{port}";
            Channel = GrpcChannel.ForAddress(Url);
        }

        public string Url { get; }
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
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(BenchTokens.ServiceSettings)
            {
                ["ConnectionStrings:replica"] = replica,
                ["Endpoints:GrpcPort"] = port.ToString(CultureInfo.InvariantCulture),
                // Not the appsettings default (18954): an AppHost or another bench instance may hold it.
                ["Endpoints:HttpPort"] = NativeProcess.FreePort().ToString(CultureInfo.InvariantCulture),
                ["Messaging:Transport"] = "InMemory",
                ["Prediction:FeatureCacheTtl"] = cacheTtl,
                ["Prediction:TenantSnapshotTtl"] = snapshotTtl,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            // The service's own host (what its Program.cs runs), in this process.
            var app = builder.BuildPredictionApp();
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

    /// <summary>The gateway as its Program.cs builds it (GatewayApp.Create), in this process, pointing at the self-hosted service.</summary>
    private sealed class SelfHostedGateway : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private SelfHostedGateway(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public static async Task<SelfHostedGateway> StartAsync(string primary, string predictionUrl, CancellationToken ct)
        {
            var port = NativeProcess.FreePort();
            var app = StrategicAgent.Gateway.GatewayApp.Create(new WebApplicationOptions { EnvironmentName = "Production", ApplicationName = "StrategicAgent.Gateway" }, b =>
            {
                b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(BenchTokens.GatewaySettings)
                {
                    ["Endpoints:HttpPort"] = port.ToString(CultureInfo.InvariantCulture),
                    ["ConnectionStrings:primary"] = primary,
                    ["GrpcClients:prediction:Address"] = predictionUrl,
                    // Not used by the prediction routes; unreachable on purpose.
                    ["GrpcClients:agent:Address"] = "http://127.0.0.1:1",
                    ["GrpcClients:validation:Address"] = "http://127.0.0.1:1",
                    ["GrpcClients:ml-training:Address"] = "http://127.0.0.1:1",
                });
                b.Logging.SetMinimumLevel(LogLevel.Warning);
            });
            await app.StartAsync(ct);
            await SelfHostedData.WaitForPortAsync(port, ct: ct);
            return new SelfHostedGateway(app, $"http://127.0.0.1:{port}");
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// In-process allocation sampling: the runtime's GCAllocationTick event fires about every 100 KB
/// allocated and names the type of the object that crossed the line, so counting events per type
/// approximates where the bytes go (client, service and gateway together).
/// </summary>
internal sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _on;

    public void Start()
    {
        _bytes.Clear();
        _on = true;
    }

    public IReadOnlyList<(string Type, double Share)> Stop(int top)
    {
        _on = false;
        var total = (double)Math.Max(1, _bytes.Values.Sum());
        return _bytes.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value / total)).ToList();
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }
        var names = e.PayloadNames!;
        var type = names.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}
