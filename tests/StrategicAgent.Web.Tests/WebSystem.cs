using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using StrategicAgent.AppHost.Tests;
using StrategicAgent.Data;
using StrategicAgent.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(StrategicAgent.Web.Tests.WebSystem))]
// One system and one browser for the whole assembly; tests take turns (2 cores).
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

namespace StrategicAgent.Web.Tests;

/// <summary>
/// The whole system as <c>./run.sh</c> starts it — AppHost in executables mode on free ports: local
/// PostgreSQL primary + replica and RabbitMQ, the migrator with Small demo data, every service, the
/// gateway and the web UI — started once, plus real Chromium (Debian's <c>/usr/bin/chromium</c>).
/// Set up for the tests: an operator key and a key to revoke (tenant 1), the models the pages need
/// deployed, and two alerts on tenant 1. The gateway caches keys for 1 s and the web UI re-checks
/// a session every 3 s, so a revoked key is seen within seconds.
/// </summary>
public sealed class WebSystem : IAsyncLifetime
{
    public const long Tenant = 1;
    public static readonly string[] Models = ["trajectory", "complexity", "rework"];

    private readonly AppHostArgs _args = new();
    private DistributedApplication? _app;
    private IPlaywright? _playwright;

    public string WebUrl { get; private set; } = "";
    public string GatewayUrl { get; private set; } = "";
    /// <summary>Tenant 1's demo key (scope query).</summary>
    public string TenantKey { get; private set; } = "";
    /// <summary>Tenant 1's operator key (query + admin).</summary>
    public string AdminKey { get; private set; } = "";
    public string PrimaryConnectionString { get; private set; } = "";
    public string ReplicaConnectionString { get; private set; } = "";
    public IBrowser Browser { get; private set; } = default!;
    public TimeSpan StartTime { get; private set; }

    public ValueTask InitializeAsync() => FixtureStart.OrDisposeAsync(StartAsync, this);

    private async Task StartAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StrategicAgent_AppHost>(
            _args.ToArgs(), (options, _) => options.DisableDashboard = true, ct);
        Environment(builder, "gateway", "ApiKeys__CacheSeconds", "1");
        Environment(builder, "gateway", "ApiKeys__NegativeCacheSeconds", "0");
        Environment(builder, "web", "Web__RevalidateSeconds", "3");
        _app = await builder.BuildAsync(ct);
        await _app.StartAsync(ct);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(TimeSpan.FromMinutes(8));
            await _app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync("web", timeout.Token);
        }
        WebUrl = $"http://127.0.0.1:{_args.Ports["Web"]}";
        GatewayUrl = $"http://127.0.0.1:{_args.Ports["Gateway"]}";

        using var runInfo = JsonDocument.Parse(await File.ReadAllTextAsync(_args.RunInfoPath, ct));
        var root = runInfo.RootElement;
        TenantKey = root.GetProperty("apiKeys").EnumerateArray().First(k => k.GetProperty("clientId").GetInt64() == Tenant).GetProperty("key").GetString()!;
        PrimaryConnectionString = root.GetProperty("connectionStrings").GetProperty("primary").GetString()!;
        ReplicaConnectionString = root.GetProperty("connectionStrings").GetProperty("replica").GetString()!;
        await using (var primary = new NpgsqlConnection(PrimaryConnectionString))
        {
            await primary.OpenAsync(ct);
            AdminKey = await ApiKeys.CreateAsync(primary, Tenant, "web tests operator", [ApiKeyScopes.Query, ApiKeyScopes.Admin], ct);
        }
        await EnsureModelsDeployedAsync(ct);
        await AddAlertsAsync(ct);

        // Assertions wait as long as actions do (the system shares 2 cores).
        Assertions.SetDefaultExpectTimeout(60_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        StartTime = started.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"system, models and browser ready in {StartTime.TotalSeconds:0.0} s");
    }

    /// <summary>A key of tenant 1 with the query scope, created for one test (to revoke it, say).</summary>
    public async Task<string> CreateKeyAsync(string name, CancellationToken ct)
    {
        await using var primary = new NpgsqlConnection(PrimaryConnectionString);
        await primary.OpenAsync(ct);
        return await ApiKeys.CreateAsync(primary, Tenant, name, ct);
    }

    public async Task RevokeAsync(string key, CancellationToken ct)
    {
        await using var primary = new NpgsqlConnection(PrimaryConnectionString);
        await primary.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("UPDATE api_keys SET active = false WHERE key_hash = $1", primary)
        {
            Parameters = { new() { Value = ApiKeys.Hash(key) } },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The web UI's own process (for its memory and CPU in <c>./bench.sh ui</c>): the pid the orchestrator reports for
    /// the <c>web</c> resource, or, when that is a launcher, the process under it that runs StrategicAgent.Web.
    /// Null when the orchestrator reports none.
    /// </summary>
    public WebProcess? WebProcess()
    {
        var notifications = _app!.Services.GetRequiredService<ResourceNotificationService>();
        return notifications.TryGetCurrentState("web", out var state)
            && state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value?.ToString() is { } text
            && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var pid)
            ? Tests.WebProcess.Find(pid, "StrategicAgent.Web")
            : null;
    }

    public HttpClient Gateway(string key)
    {
        var http = new HttpClient { BaseAddress = new Uri(GatewayUrl + "/"), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    /// <summary>The retraining scheduler trains every model soon after start; whatever it has not deployed yet is trained here.</summary>
    private async Task EnsureModelsDeployedAsync(CancellationToken ct)
    {
        using var http = Gateway(AdminKey);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var list = await http.GetFromJsonAsync<JsonElement>("api/v1/models", ct);
            var missing = list.GetProperty("models").EnumerateArray()
                .Where(m => Models.Contains(m.GetProperty("name").GetString()) && m.GetProperty("deployed").ValueKind == JsonValueKind.Null)
                .Select(m => m.GetProperty("name").GetString()!)
                .ToList();
            if (missing.Count == 0)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                foreach (var model in missing)
                {
                    using var r = await http.PostAsync($"api/v1/models/{model}/train?wait=true", JsonContent.Create(new { deploy_strategy = "best_score" }), ct);
                    Assert.True(r.IsSuccessStatusCode, $"training {model}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(ct)}");
                }
                deadline = DateTime.MaxValue;
                continue;
            }
            await Task.Delay(2000, ct);
        }
    }

    private async Task AddAlertsAsync(CancellationToken ct)
    {
        await using var replica = new NpgsqlConnection(ReplicaConnectionString);
        await replica.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO ml.ml_anomaly_alerts (model_name, severity, alert_data, recommended_action, client_id) VALUES
              ('rework', 'critical', '{"reason": "web test"}', 'Rework predictions jumped for mobile-app: check the latest pull requests.', $1),
              ('complexity', 'low', '{"reason": "web test"}', 'Story point estimates drifted slightly.', $1)
            """, replica)
        {
            Parameters = { new() { Value = Tenant } },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void Environment(IDistributedApplicationTestingBuilder builder, string resource, string name, string value)
    {
        var project = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == resource);
        builder.CreateResourceBuilder(project).WithEnvironment(name, value);
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
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
                Console.Error.WriteLine("Web.Tests: " + stopped);
            }
        }
        _args.Dispose();
    }
}
