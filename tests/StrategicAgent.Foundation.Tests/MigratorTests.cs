using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.LocalServers;
using StrategicAgent.Migrator;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Foundation.Tests;

/// <summary>Two bare PostgreSQL servers (no database, no schema), as the migrator finds them on a first run.</summary>
public sealed class BareServersFixture : IAsyncLifetime
{
    private string? _root;

    public PostgresServer Primary => _primary ?? throw new InvalidOperationException("The servers have not started.");
    public PostgresServer Replica => _replica ?? throw new InvalidOperationException("The servers have not started.");
    private PostgresServer? _primary;
    private PostgresServer? _replica;
    public string Root => _root!;

    public async ValueTask InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("sa-migrator-").FullName;
        File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101);
        var ct = TestContext.Current.CancellationToken;
        // Started without the target database: the migrator creates it.
        var servers = await PostgresServer.StartAllAsync([Options("primary", logical: true), Options("replica", logical: false)], ct);
        (_primary, _replica) = (servers[0], servers[1]);
    }

    private PostgresServerOptions Options(string name, bool logical) => new()
    {
        DataDirectory = Path.Combine(_root!, name),
        Port = NativeProcess.FreePort(),
        Durable = false,
        LogicalReplication = logical,
        Database = "postgres",
    };

    public string ConnectionString(PostgresServer server) => PostgresServer.BuildConnectionString(server.Options.Port, server.Options.Password, "strategicagent");

    public async ValueTask DisposeAsync()
    {
        // After a failed InitializeAsync nothing was started (StartAllAsync stopped what had): both are null.
        await ScratchServers.StopAsync(_root, _replica, _primary);
    }
}

public sealed class MigratorTests(BareServersFixture servers) : IClassFixture<BareServersFixture>
{
    [Fact]
    public async Task First_run_sets_everything_up_and_a_second_run_changes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = Options();
        options.ReaderConnectionString = LoginRole.Reader.ConnectionString(options.ReplicaConnectionString!, "first-reader-password");
        options.AgentConnectionString = LoginRole.Agent.ConnectionString(options.PrimaryConnectionString!, "first-agent-password");
        options.GatewayConnectionString = LoginRole.Gateway.ConnectionString(options.PrimaryConnectionString!, "first-gateway-password");
        options.MlConnectionString = LoginRole.Ml.ConnectionString(options.ReplicaConnectionString!, "first-ml-password");

        var first = await new MigrationRunner(options, NullLogger<MigrationRunner>.Instance).RunAsync(ct);
        Assert.NotEmpty(first.PrimaryScripts);
        // The replica's reader role logs in with the configured password and is not a superuser.
        Assert.Equal(0L, await ScalarAsync(options.ReaderConnectionString, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolsuper", ct));
        // So does the primary's agent role, which reads its own tables.
        Assert.Equal(0L, await ScalarAsync(options.AgentConnectionString, "SELECT count(*) FROM agent_conversations", ct));
        // And the gateway's, which looks keys up.
        Assert.Equal(0L, await ScalarAsync(options.GatewayConnectionString, "SELECT count(*) FROM api_keys WHERE NOT active", ct));
        // And the ml writers', which read the ml schema on the replica.
        Assert.Equal(0L, await ScalarAsync(options.MlConnectionString, "SELECT count(*) FROM ml.model_versions", ct));
        Assert.NotEmpty(first.ReplicaScripts);
        Assert.NotNull(first.DemoData);
        Assert.True(first.Issues > 1000, $"expected Small demo data, found {first.Issues} issues");
        var activeTenants = await ScalarAsync(options.PrimaryConnectionString!, "SELECT count(*) FROM clients WHERE active", ct);
        Assert.Equal(activeTenants, first.ApiKeys.Count);

        // Replicated, with the ml schema on the replica only.
        Assert.Equal(first.Issues, await ScalarAsync(options.ReplicaConnectionString!, "SELECT count(*) FROM issues", ct));
        Assert.Equal(1L, await ScalarAsync(options.ReplicaConnectionString!, "SELECT count(*) FROM pg_namespace WHERE nspname = 'ml'", ct));

        // Every key in run-info resolves to its tenant through the gateway's lookup.
        await using (var db = NpgsqlDataSource.Create(options.PrimaryConnectionString!))
        {
            foreach (var key in first.ApiKeys)
            {
                Assert.Equal(key.ClientId, await ApiKeys.ResolveAsync(db, key.Key, ct));
            }
        }
        using (var runInfo = JsonDocument.Parse(await File.ReadAllTextAsync(options.RunInfo.Path!, ct)))
        {
            Assert.Equal("ready", runInfo.RootElement.GetProperty("status").GetString());
            Assert.Equal(first.ApiKeys.Select(k => k.Key), runInfo.RootElement.GetProperty("apiKeys").EnumerateArray().Select(k => k.GetProperty("key").GetString()));
        }

        var rowsBefore = await ChecksumsAsync(options.PrimaryConnectionString!, ct);
        var firstReader = options.ReaderConnectionString;
        var firstAgent = options.AgentConnectionString;
        options.ReaderConnectionString = LoginRole.Reader.ConnectionString(options.ReplicaConnectionString!, "second-reader-password");
        options.AgentConnectionString = LoginRole.Agent.ConnectionString(options.PrimaryConnectionString!, "second-agent-password");
        var second = await new MigrationRunner(options, NullLogger<MigrationRunner>.Instance).RunAsync(ct);

        // A changed password takes effect on the next start; the old one stops working (for new logins: pools cleared).
        NpgsqlConnection.ClearAllPools();
        Assert.Equal(0L, await ScalarAsync(options.ReaderConnectionString, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolsuper", ct));
        Assert.Equal(PostgresErrorCodes.InvalidPassword,
            (await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(firstReader, "SELECT 1", ct))).SqlState);
        Assert.Equal(0L, await ScalarAsync(options.AgentConnectionString, "SELECT count(*) FROM agent_conversations", ct));
        Assert.Equal(PostgresErrorCodes.InvalidPassword,
            (await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(firstAgent, "SELECT 1", ct))).SqlState);

        Assert.Empty(second.PrimaryScripts);
        Assert.Empty(second.ReplicaScripts);
        Assert.Null(second.DemoData);
        Assert.Equal(first.ApiKeys, second.ApiKeys);
        Assert.Equal(rowsBefore, await ChecksumsAsync(options.PrimaryConnectionString!, ct));
        Assert.Equal(1L, await ScalarAsync(options.ReplicaConnectionString!, "SELECT count(*) FROM pg_subscription", ct));
    }

    [Fact]
    public async Task Unreachable_primary_fails_fast_naming_server_address_and_setting()
    {
        var ct = TestContext.Current.CancellationToken;
        var deadPort = NativeProcess.FreePort();
        var options = Options();
        options.PrimaryConnectionString = PostgresServer.BuildConnectionString(deadPort, "postgres", "strategicagent");

        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<MigrationException>(() => new MigrationRunner(options, NullLogger<MigrationRunner>.Instance).RunAsync(ct));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
        Assert.Contains("primary", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{deadPort}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:primary", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_names_the_authentication_failure()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = Options();
        options.ReplicaConnectionString = PostgresServer.BuildConnectionString(servers.Replica.Options.Port, "not-the-password", "strategicagent");

        var ex = await Assert.ThrowsAsync<MigrationException>(() => new MigrationRunner(options, NullLogger<MigrationRunner>.Instance).RunAsync(ct));
        Assert.Contains("replica", ex.Message, StringComparison.Ordinal);
        Assert.Contains("password authentication failed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrator_process_exits_non_zero_with_the_reason_and_records_it_in_run_info()
    {
        var ct = TestContext.Current.CancellationToken;
        var runInfo = Path.Combine(servers.Root, "failed-run-info.json");
        var (exit, output) = await RunMigratorAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__primary"] = "Host=127.0.0.1;Port=" + NativeProcess.FreePort() + ";Username=postgres;Password=x;Database=strategicagent",
            ["ConnectionStrings__replica"] = fixtureReplica(),
            ["RunInfo__Path"] = runInfo,
        }, ct);

        Assert.Equal(1, exit);
        Assert.Contains("Cannot reach the primary database", output, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(runInfo, ct));
        Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
        Assert.Contains("ConnectionStrings:primary", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

        string fixtureReplica() => servers.ConnectionString(servers.Replica);
    }

    [Theory]
    [InlineData("ConnectionStrings__primary", "Host=127.0.0.1;Port=notaport", "ConnectionStrings:primary is not a valid PostgreSQL connection string")]
    [InlineData("ConnectionStrings__replica", "", "ConnectionStrings:replica is missing")]
    [InlineData("DemoData__Size", "Huge", "DemoData:Size must be None, Small, Medium or Large")]
    [InlineData("ConnectionStrings__replica-reader", "Host=127.0.0.1;Database=strategicagent;Username=postgres;Password=x", "must log in as sa_reader")]
    [InlineData("ConnectionStrings__replica-reader", "Host=127.0.0.1;Database=strategicagent;Username=sa_reader", "needs a Password")]
    [InlineData("ConnectionStrings__primary-agent", "Host=127.0.0.1;Database=strategicagent;Username=postgres;Password=x", "must log in as sa_agent")]
    [InlineData("ConnectionStrings__primary-gateway", "Host=127.0.0.1;Database=strategicagent;Username=sa_gateway", "needs a Password")]
    public async Task Migrator_process_rejects_bad_configuration_before_touching_a_database(string key, string value, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__primary"] = servers.ConnectionString(servers.Primary),
            ["ConnectionStrings__replica"] = servers.ConnectionString(servers.Replica),
            [key] = value,
        };
        var (exit, output) = await RunMigratorAsync(env, ct);
        Assert.Equal(2, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    private MigratorOptions Options() => new()
    {
        PrimaryConnectionString = servers.ConnectionString(servers.Primary),
        ReplicaConnectionString = servers.ConnectionString(servers.Replica),
        Replication = new ReplicationSettings { PrimaryHost = "127.0.0.1", PrimaryPort = servers.Primary.Options.Port },
        DemoData = new DemoDataSettings { Size = "Small", Seed = 7 },
        RunInfo = new RunInfoSettings
        {
            Path = Path.Combine(servers.Root, "run-info.json"),
            ApiKeysPath = Path.Combine(servers.Root, "data", "demo-api-keys.json"),
            Mode = "Executables",
        },
        InitialSyncTimeout = TimeSpan.FromSeconds(60),
        CatchUpTimeout = TimeSpan.FromSeconds(120),
    };

    private static async Task<long> ScalarAsync(string cs, string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<string> ChecksumsAsync(string cs, CancellationToken ct)
    {
        var sums = await StrategicAgent.Data.DemoData.DemoDataGenerator.ChecksumsAsync(cs, ct);
        var keys = await ScalarAsync(cs, "SELECT count(*) FROM api_keys", ct);
        return string.Join(";", sums.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value)) + ";api_keys=" + keys;
    }

    /// <summary>Runs the real migrator executable (built next to this test assembly).</summary>
    private static async Task<(int Exit, string Output)> RunMigratorAsync(IDictionary<string, string> env, CancellationToken ct)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "StrategicAgent.Migrator.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty;
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}

/// <summary>
/// Replication:Subscription=External (Kubernetes: the CloudNativePG Subscription resource creates
/// the subscription): the migrator creates none, waits for one, and fails with what to check when
/// none appears. Its own bare servers: the subscription must not exist before the run.
/// </summary>
public sealed class ExternalSubscriptionTests(BareServersFixture servers) : IClassFixture<BareServersFixture>
{
    [Fact]
    public async Task The_migrator_waits_for_a_subscription_it_does_not_create_and_names_the_resource_when_none_comes()
    {
        var ct = TestContext.Current.CancellationToken;
        var replica = servers.ConnectionString(servers.Replica);
        var primary = servers.ConnectionString(servers.Primary);
        MigratorOptions Options(TimeSpan syncTimeout) => new()
        {
            PrimaryConnectionString = primary,
            ReplicaConnectionString = replica,
            Replication = new ReplicationSettings { Subscription = SubscriptionOwner.External },
            DemoData = new DemoDataSettings { Size = "None" },
            RunInfo = new RunInfoSettings(),
            InitialSyncTimeout = syncTimeout,
        };

        // Nobody creates it: a clear failure naming the resource and the setting.
        var failed = await Assert.ThrowsAsync<MigrationException>(() => new MigrationRunner(Options(TimeSpan.FromSeconds(2)), NullLogger<MigrationRunner>.Instance).RunAsync(ct));
        Assert.Contains("Subscription resource", failed.Message, StringComparison.Ordinal);
        Assert.Contains("Replication:Subscription", failed.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await CountSubscriptionsAsync(replica, ct));

        // The operator's part, played by the test while the migrator waits: CREATE SUBSCRIPTION once the tables exist.
        var run = new MigrationRunner(Options(TimeSpan.FromSeconds(60)), NullLogger<MigrationRunner>.Instance).RunAsync(ct);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.False(run.IsCompleted);
        Assert.Equal(0L, await CountSubscriptionsAsync(replica, ct));
        await using (var conn = new NpgsqlConnection(replica))
        {
            await conn.OpenAsync(ct);
            var info = LogicalReplication.ConnInfo("127.0.0.1", servers.Primary.Options.Port, "postgres", servers.Primary.Options.Password, "strategicagent");
            await using var create = new NpgsqlCommand(
                $"CREATE SUBSCRIPTION {LogicalReplication.SubscriptionName} CONNECTION '{info}' PUBLICATION {LogicalReplication.PublicationName}", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
        var result = await run;
        Assert.Null(result.DemoData);
        Assert.Equal(1L, await CountSubscriptionsAsync(replica, ct));
    }

    private static async Task<long> CountSubscriptionsAsync(string cs, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_subscription", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
