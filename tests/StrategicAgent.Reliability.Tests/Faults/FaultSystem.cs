using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using StrategicAgent.AppHost;
using StrategicAgent.Data;
using StrategicAgent.LocalServers;
using StrategicAgent.Testing;

namespace StrategicAgent.Reliability.Tests.Faults;

[CollectionDefinition(Name)]
public sealed class FaultCollection : ICollectionFixture<FaultSystem>
{
    public const string Name = "faults";
}

/// <summary>
/// The whole system as <c>./run.sh</c> starts it, in executables mode on free ports under a temporary
/// run directory (Small demo data, durable PostgreSQL): PostgreSQL primary + replica and RabbitMQ as local
/// processes, every service as a process of its own, the AppHost's restart watchdog — with
/// <see cref="BrokenLlm"/> as its LLM (provider OpenAI). One trajectory model is trained and deployed
/// through the gateway so that predictions are served and logged. The tests kill these processes;
/// they kill nothing else.
/// </summary>
public sealed class FaultSystem : IAsyncLifetime
{
    private DistributedApplication? _app;

    public string RunDirectory { get; } = Directory.CreateTempSubdirectory("sa-faults-").FullName;
    public Dictionary<string, int> Ports { get; } = [];
    public BrokenLlm Llm { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(100) };
    public string Gateway => $"http://127.0.0.1:{Ports["Gateway"]}";
    /// <summary>The web UI (a client of the gateway only).</summary>
    public string Web => $"http://127.0.0.1:{Ports["Web"]}";
    public string QueryKey { get; private set; } = "";
    /// <summary>An operator key (scopes query + admin) of <see cref="Tenant"/>: may train and deploy.</summary>
    public string AdminKey { get; private set; } = "";
    public long Tenant { get; private set; }
    public string PrimaryConnectionString { get; private set; } = "";
    public string ReplicaConnectionString { get; private set; } = "";
    public IReadOnlyList<string> EpicKeys { get; private set; } = [];
    public ResourceNotificationService Notifications => _app!.Services.GetRequiredService<ResourceNotificationService>();
    public TimeSpan StartTime { get; private set; }

    /// <summary>What the AppHost itself logged (its restart watchdog among it).</summary>
    public CapturingLoggerProvider AppHostLog { get; } = new();

    public ValueTask InitializeAsync() => FixtureStart.OrDisposeAsync(StartAsync, this);

    private async Task StartAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var sw = Stopwatch.StartNew();
        File.SetUnixFileMode(RunDirectory, (UnixFileMode)0b111_101_101); // the postgres user walks through it
        Llm = await BrokenLlm.StartAsync(); // first: its own port must not be one picked below
        var settings = new Dictionary<string, string>
        {
            ["StrategicAgent:Infrastructure"] = "Executables",
            ["StrategicAgent:RunDirectory"] = RunDirectory,
            ["StrategicAgent:DemoData:Size"] = "Small",
            // Durable, as in production: with synchronous_commit off a SIGKILLed replica loses commits it had
            // acknowledged (the prediction log's rows and their spool checkpoint together), which no writer can see.
            ["StrategicAgent:Postgres:Durable"] = "true",
            ["StrategicAgent:Llm:Provider"] = "OpenAI",
            ["StrategicAgent:Llm:Generator:Endpoint"] = Llm.BaseUrl,
            ["StrategicAgent:Llm:Generator:Model"] = BrokenLlm.GeneratorModel,
            ["StrategicAgent:Llm:Generator:ApiKey"] = "fault-key",
            ["StrategicAgent:Llm:Generator:TimeoutSeconds"] = "5",
            ["StrategicAgent:Llm:Generator:MaxRetries"] = "0",
            ["StrategicAgent:Llm:Generator:EnableTools"] = "false",
            ["StrategicAgent:Llm:Judge:Endpoint"] = Llm.BaseUrl,
            ["StrategicAgent:Llm:Judge:Model"] = BrokenLlm.JudgeModel,
            ["StrategicAgent:Llm:Judge:ApiKey"] = "fault-key",
            ["StrategicAgent:Llm:Judge:TimeoutSeconds"] = "5",
            // Start-up's failing health checks (a stack trace each) off the console; AppHostLog still gets them.
            ["Logging:Console:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "None",
        };
        IDistributedApplicationTestingBuilder builder;
        for (var attempt = 1; ; attempt++)
        {
            PickPorts();
            var args = Ports.Select(kv => $"StrategicAgent:Ports:{kv.Key}={kv.Value.ToString(CultureInfo.InvariantCulture)}")
                .Concat(settings.Select(kv => $"{kv.Key}={kv.Value}")).ToArray();
            try
            {
                builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StrategicAgent_AppHost>(
                    args, (options, _) => options.DisableDashboard = true, ct);
                break;
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("already in use", StringComparison.Ordinal))
            {
                // A port picked as free was taken by another process of this machine a moment later: pick again.
            }
        }
        builder.Services.AddLogging(b => b.AddProvider(AppHostLog));
        _app = await builder.BuildAsync(ct);
        await _app.StartAsync(ct);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(TimeSpan.FromMinutes(10)); // a loaded 2-core machine: generous
            foreach (var name in Resources)
            {
                var e = await Notifications.WaitForResourceAsync(name,
                    e => e.Snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), timeout.Token);
                Assert.True(e.Snapshot.HealthStatus == HealthStatus.Healthy, $"{name} ended {e.Snapshot.State?.Text} (exit {e.Snapshot.ExitCode}) instead of healthy");
            }
        }

        using (var runInfo = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RunDirectory, "run-info.json"), ct)))
        {
            var root = runInfo.RootElement;
            PrimaryConnectionString = root.GetProperty("connectionStrings").GetProperty("primary").GetString()!;
            ReplicaConnectionString = root.GetProperty("connectionStrings").GetProperty("replica").GetString()!;
            var key = root.GetProperty("apiKeys")[0];
            QueryKey = key.GetProperty("key").GetString()!;
            Tenant = key.GetProperty("clientId").GetInt64();
        }
        await using (var primary = new NpgsqlConnection(PrimaryConnectionString))
        {
            await primary.OpenAsync(ct);
            AdminKey = await ApiKeys.CreateAsync(primary, Tenant, "fault-suite operator", [ApiKeyScopes.Query, ApiKeyScopes.Admin], ct);
        }
        await TrainTrajectoryAsync(AdminKey, ct);
        await using (var replica = new NpgsqlConnection(ReplicaConnectionString))
        {
            await replica.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(
                """
                SELECT i.key FROM issues i JOIN issuetypes t ON t.id = i.issuetype_id
                WHERE i.client_id = $1 AND t.original_name = 'Epic' AND i.active ORDER BY i.id LIMIT 5
                """, replica) { Parameters = { new() { Value = Tenant } } };
            var keys = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                keys.Add(r.GetString(0));
            }
            EpicKeys = keys;
        }
        Assert.NotEmpty(EpicKeys);
        StartTime = sw.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"fault system up, model trained and deployed in {sw.Elapsed.TotalSeconds:0} s (load {Load()})");
    }

    private void PickPorts()
    {
        Ports.Clear();
        foreach (var property in typeof(PortSettings).GetProperties())
        {
            int port;
            do
            {
                port = NativeProcess.FreePort();
            }
            while (Ports.ContainsValue(port));
            Ports[property.Name] = port;
        }
    }

    private async Task TrainTrajectoryAsync(string adminKey, CancellationToken ct)
    {
        using var train = new HttpRequestMessage(HttpMethod.Post, $"{Gateway}/api/v1/models/trajectory/train")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["deploy_strategy"] = "most_recent",
                ["hyperparameters"] = new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15", ["min_leaf"] = "5", ["min_rows"] = "40" },
            }),
        };
        train.Headers.Add("X-Api-Key", adminKey);
        using var accepted = await Http.SendAsync(train, ct);
        var body = await accepted.Content.ReadAsStringAsync(ct);
        Assert.True(accepted.IsSuccessStatusCode, $"train: {(int)accepted.StatusCode} {body}");
        // Deployed when the prediction service serves the model (it loads it on ModelDeployed or its poll).
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(8);
        while (DateTime.UtcNow < deadline)
        {
            var (status, _) = await PredictAsync(ct);
            if (status == 200)
            {
                return;
            }
            await Task.Delay(2000, ct);
        }
        Assert.Fail($"the trajectory model was not served within 8 minutes of training ({body})");
    }

    /// <summary>One prediction call through the gateway: its status and how many predictions it served (found keys).</summary>
    public async Task<(int Status, int Served)> PredictAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Gateway}/api/v1/predictions/trajectory")
        {
            Content = JsonContent.Create(new Dictionary<string, object> { ["epic_keys"] = EpicKeys.Count > 0 ? EpicKeys : ["X-1"] }),
        };
        request.Headers.Add("X-Api-Key", QueryKey);
        try
        {
            using var response = await Http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                return ((int)response.StatusCode, 0);
            }
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return (200, doc.RootElement.GetProperty("predictions").EnumerateArray().Count(p => p.GetProperty("found").GetBoolean()));
        }
        catch (HttpRequestException)
        {
            return (0, 0); // the gateway itself did not answer
        }
    }

    public async Task<int> CallAsync(HttpMethod method, string path, object? body, CancellationToken ct) =>
        (await JsonAsync(method, path, QueryKey, body, ct)).Status;

    /// <summary>A call through the gateway with <paramref name="key"/>: its status (0 = no answer) and body.</summary>
    public async Task<(int Status, string Body)> JsonAsync(HttpMethod method, string path, string key, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, Gateway + path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        request.Headers.Add("X-Api-Key", key);
        try
        {
            using var response = await Http.SendAsync(request, ct);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }
        catch (HttpRequestException e)
        {
            return (0, e.Message);
        }
    }

    /// <summary>Rows of this tenant's trajectory predictions in the log since <paramref name="since"/> (server clock).</summary>
    public Task<long> LoggedSinceAsync(DateTime since, CancellationToken ct) => RetryAsync(() => LoggedSinceOnceAsync(since, ct), ct);

    /// <summary>Retries while the replica is restarting (a test's own reads must not fail because of the fault it injected).</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> read, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, ct);
            }
        }
    }

    private async Task<long> LoggedSinceOnceAsync(DateTime since, CancellationToken ct)
    {
        await using var replica = new NpgsqlConnection(ReplicaConnectionString);
        await replica.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM ml.ml_prediction_log WHERE client_id = $1 AND model_name = 'trajectory' AND created_at >= $2", replica)
        {
            Parameters = { new() { Value = Tenant }, new() { Value = since } },
        };
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Writes a marker row on the primary into a published table (the agent's learning memory, tenant
    /// <see cref="Tenant"/>), waits until the replica has it, then deletes it again: when it arrived, and the marker.
    /// </summary>
    public async Task<(DateTime At, string Marker)> WaitReplicatedAsync(TimeSpan timeout, CancellationToken ct)
    {
        var marker = "fault-suite replication marker " + Guid.NewGuid().ToString("N");
        async Task<long> OnPrimary(string sql) => await RetryAsync(async () =>
        {
            await using var primary = new NpgsqlConnection(PrimaryConnectionString);
            await primary.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(sql, primary) { Parameters = { new() { Value = Tenant }, new() { Value = marker } } };
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
        await OnPrimary("INSERT INTO ai_learning_memory (client_id, user_intent) VALUES ($1, $2)");
        try
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                var arrived = await RetryAsync(async () =>
                {
                    await using var replica = new NpgsqlConnection(ReplicaConnectionString);
                    await replica.OpenAsync(ct);
                    await using var cmd = new NpgsqlCommand("SELECT count(*) FROM ai_learning_memory WHERE client_id = $1 AND user_intent = $2", replica)
                    {
                        Parameters = { new() { Value = Tenant }, new() { Value = marker } },
                    };
                    return (long)(await cmd.ExecuteScalarAsync(ct))!;
                }, ct);
                if (arrived == 1)
                {
                    return (DateTime.UtcNow, marker);
                }
                await Task.Delay(250, ct);
            }
            throw new Xunit.Sdk.XunitException($"the row written on the primary after its restart did not reach the replica within {timeout}");
        }
        finally
        {
            await OnPrimary("DELETE FROM ai_learning_memory WHERE client_id = $1 AND user_intent = $2");
        }
    }

    /// <summary>A count on the primary (as its owner), parameters $1, $2, … (retried while the primary is restarting).</summary>
    public Task<long> CountOnPrimaryAsync(string sql, object[] values, CancellationToken ct) => RetryAsync(async () =>
    {
        await using var primary = new NpgsqlConnection(PrimaryConnectionString);
        await primary.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, primary);
        foreach (var v in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }, ct);

    /// <summary>The database server's clock (log rows carry the service's time; both are this machine's).</summary>
    public Task<DateTime> DatabaseNowAsync(CancellationToken ct) => RetryAsync(() => DatabaseNowOnceAsync(ct), ct);

    private async Task<DateTime> DatabaseNowOnceAsync(CancellationToken ct)
    {
        await using var replica = new NpgsqlConnection(ReplicaConnectionString);
        await replica.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT now()", replica);
        return ((DateTime)(await cmd.ExecuteScalarAsync(ct))!).ToUniversalTime();
    }

    /// <summary>
    /// The pid of a service process of this run, by its assembly name and its port. The orchestrator may
    /// start it through a launcher whose command line names the project too: the service is the one
    /// that is not the parent of another match.
    /// </summary>
    public int ServicePid(string assembly)
    {
        var matches = new Dictionary<int, int>(); // pid → parent pid
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var env = File.ReadAllText(Path.Combine(dir, "environ"));
                if (cmd.Contains(assembly, StringComparison.Ordinal)
                    && env.Contains($"Endpoints__HttpPort={Ports[PortKey(assembly) + (PortKey(assembly) is "Gateway" or "Web" ? "" : "Http")]}", StringComparison.Ordinal))
                {
                    matches[pid] = ProcStat.Read(pid).ParentPid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
        var leaves = matches.Keys.Where(pid => !matches.Values.Contains(pid)).ToList();
        return leaves.Count == 1 ? leaves[0] : throw new InvalidOperationException($"{leaves.Count} running {assembly} processes of this run: {string.Join(", ", matches)}");
    }

    private static string PortKey(string assembly) => assembly switch
    {
        "StrategicAgent.Prediction" => "Prediction",
        "StrategicAgent.Validation" => "Validation",
        "StrategicAgent.MlTraining" => "MlTraining",
        "StrategicAgent.Agent" => "Agent",
        "StrategicAgent.Web" => "Web",
        _ => "Gateway",
    };

    /// <summary>The pid a server wrote into its pid file (PostgreSQL's postmaster.pid, RabbitMQ's rabbit.pid) under this run's data; 0 when none.</summary>
    public int ServerPid(string pidFile)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(RunDirectory, "data", pidFile)).FirstOrDefault()?.Trim();
            return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Waits until a server runs again under a new pid (its pid file names a live process other than <paramref name="old"/>).</summary>
    public async Task<int> WaitForNewServerPidAsync(string pidFile, int old, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var pid = ServerPid(pidFile);
            if (pid != 0 && pid != old && Directory.Exists($"/proc/{pid}"))
            {
                return pid;
            }
            await Task.Delay(250, ct);
        }
        return 0;
    }

    /// <summary>The last lines a resource wrote (stdout/stderr, as the dashboard shows them), for a failure's message.</summary>
    public async Task<string> RecentLogsAsync(string resource, int lines = 40)
    {
        var all = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var r = _app!.Services.GetRequiredService<DistributedApplicationModel>().Resources.First(x => x.Name == resource);
            await foreach (var batch in _app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(r).WithCancellation(cts.Token))
            {
                all.AddRange(batch.Select(l => l.Content));
            }
        }
        catch (OperationCanceledException)
        {
        }
        return string.Join("\n", all.TakeLast(lines));
    }

    /// <summary>SIGKILL to a process of this run.</summary>
    public static void Kill(int pid)
    {
        using var p = Process.GetProcessById(pid);
        p.Kill();
    }

    /// <summary>Waits until every resource of the system is healthy again.</summary>
    public async Task WaitAllHealthyAsync(TimeSpan timeout, CancellationToken ct)
    {
        foreach (var name in Resources)
        {
            await WaitForStateAsync(name, e => e.Snapshot.HealthStatus == HealthStatus.Healthy && e.Snapshot.State?.Text == KnownResourceStates.Running, timeout, ct);
        }
    }

    /// <summary>Every long-running resource of the system (the migrator runs to completion before them).</summary>
    private static readonly string[] Resources = ["primary", "replica", "messaging", "validation", "prediction", "ml-training", "agent", "gateway", "web"];

    public async Task<ResourceEvent> WaitForStateAsync(string resource, Func<ResourceEvent, bool> predicate, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        return await Notifications.WaitForResourceAsync(resource, predicate, cts.Token);
    }

    public static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            // Then whatever of the orchestrator the app's own stop left running (docs/reliability.md, "What a test run leaves").
            var (_, stopped) = await Orchestrator.StopAppAsync(async () =>
            {
                await _app.StopAsync(CancellationToken.None);
                await _app.DisposeAsync();
            });
            if (stopped.Length > 0)
            {
                Console.Error.WriteLine("fault suite: " + stopped);
            }
        }
        if (Llm is not null)
        {
            await Llm.DisposeAsync();
        }
        Http.Dispose();
        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
