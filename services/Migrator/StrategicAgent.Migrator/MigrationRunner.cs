using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Data.DemoData;

namespace StrategicAgent.Migrator;

/// <summary>
/// The set-up every start runs before the services: schema on primary and replica, the
/// replica's subscription and its initial sync, demo data into an empty primary, demo API keys,
/// run-info. Every step is idempotent, so running it again changes nothing.
/// </summary>
public sealed class MigrationRunner(MigratorOptions options, ILogger<MigrationRunner> logger)
{
    public static readonly ActivitySource ActivitySource = new("StrategicAgent.Migrator");

    /// <summary>Runs every step; a failure throws <see cref="MigrationException"/> with what to fix.</summary>
    public async Task<MigrationResult> RunAsync(CancellationToken ct)
    {
        using var activity = ActivitySource.StartActivity("migrate");
        var total = Stopwatch.StartNew();
        var primary = options.PrimaryConnectionString!;
        var replica = options.ReplicaConnectionString!;

        await Step("database", () => EnsureDatabasesAsync(primary, replica, ct));

        IReadOnlyList<string> primaryScripts = [];
        IReadOnlyList<string> replicaScripts = [];
        await Step("schema", async () =>
        {
            primaryScripts = await Task.Run(() => Migrate(primary, DatabaseRole.Primary), ct);
            replicaScripts = await Task.Run(() => Migrate(replica, DatabaseRole.Replica), ct);
            logger.LogInformation("Schema: {PrimaryCount} new script(s) on the primary, {ReplicaCount} on the replica", primaryScripts.Count, replicaScripts.Count);
        });

        foreach (var (role, roleConnectionString) in options.LoginRoles())
        {
            if (!string.IsNullOrWhiteSpace(roleConnectionString))
            {
                await Step(role.Name + " role", () => SetPasswordAsync(role, role.Server == DatabaseRole.Primary ? primary : replica, roleConnectionString, ct));
            }
        }

        await Step("subscription", async () =>
        {
            if (options.Replication.Subscription == SubscriptionOwner.External)
            {
                await WaitAsync("subscription", () => WaitForExternalSubscriptionAsync(replica, options.InitialSyncTimeout, ct));
            }
            else
            {
                await EnsureSubscriptionAsync(replica, PrimaryConnInfo(), ct);
            }
            await WaitAsync("initial sync", () => LogicalReplication.WaitForInitialSyncAsync(replica, options.InitialSyncTimeout, ct));
        });

        DemoDataSummary? loaded = null;
        await Step("demo data", async () =>
        {
            loaded = await LoadDemoDataAsync(primary, ct);
            if (loaded is not null)
            {
                await WaitAsync("replica catch-up", () => LogicalReplication.WaitForCatchUpAsync(primary, options.CatchUpTimeout, ct));
                // Fresh statistics: the planner (and the validation service's EXPLAIN cost check) rely on them.
                await DemoDataGenerator.AnalyzeAsync(replica, ct);
            }
        });

        IReadOnlyList<DemoApiKey> keys = [];
        await Step("api keys", async () => keys = await DemoApiKeys.EnsureAsync(primary, options.RunInfo.ApiKeysPath, logger, ct));

        var tenants = await CountAsync(primary, "SELECT count(*) FROM clients", ct);
        var issues = await CountAsync(primary, "SELECT count(*) FROM issues", ct);
        var result = new MigrationResult(primaryScripts, replicaScripts, loaded, keys, tenants, issues);
        if (!string.IsNullOrWhiteSpace(options.RunInfo.Path))
        {
            await RunInfoFile.WriteAsync(options, result, ct);
            logger.LogInformation("Run info written to {Path}", options.RunInfo.Path);
        }
        logger.LogInformation("Migrator finished in {Seconds:0.0} s: {Tenants} tenant(s), {Issues} issue(s) on the primary", total.Elapsed.TotalSeconds, tenants, issues);
        return result;
    }

    private async Task Step(string name, Func<Task> step)
    {
        using var activity = ActivitySource.StartActivity(name);
        var sw = Stopwatch.StartNew();
        logger.LogInformation("Step {Step}: started", name);
        try
        {
            await step();
        }
        catch (NpgsqlException ex)
        {
            throw new MigrationException($"Step '{name}' failed: {Describe(ex)}", ex);
        }
        catch (TimeoutException ex)
        {
            throw new MigrationException($"Step '{name}' timed out: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex) when (ex is not MigrationException)
        {
            throw new MigrationException($"Step '{name}' failed: {ex.Message}", ex);
        }
        logger.LogInformation("Step {Step}: done in {Ms} ms", name, sw.ElapsedMilliseconds);
    }

    private async Task WaitAsync(string what, Func<Task> wait)
    {
        var sw = Stopwatch.StartNew();
        await wait();
        logger.LogInformation("Replica {What} complete in {Ms} ms", what, sw.ElapsedMilliseconds);
    }

    private IReadOnlyList<string> Migrate(string connectionString, DatabaseRole role)
    {
        try
        {
            // The numbered migrations this run applied: the repeatable view scripts run on every start and
            // CREATE OR REPLACE an unchanged view into itself, so they are not reported as changes.
            return SchemaMigrator.Migrate(connectionString, role, logger).Where(s => !SchemaMigrator.IsViewScript(s)).ToList();
        }
        catch (InvalidOperationException ex) when (ex.InnerException is NpgsqlException pg)
        {
            throw new MigrationException($"{ex.Message} ({Describe(pg)})", ex);
        }
    }

    /// <summary>
    /// Creates the database on each server when it is missing (a fresh local server has only
    /// <c>postgres</c>). Connection failures name the server, host and port, and the setting to check.
    /// </summary>
    private static async Task EnsureDatabasesAsync(string primary, string replica, CancellationToken ct)
    {
        foreach (var (name, cs) in new[] { ("primary", primary), ("replica", replica) })
        {
            var target = new NpgsqlConnectionStringBuilder(cs);
            var admin = new NpgsqlConnectionStringBuilder(cs) { Database = "postgres", Timeout = Math.Min(target.Timeout, 15) };
            try
            {
                await PostgresDatabases.EnsureAsync(admin.ConnectionString, target.Database!, ct);
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
            {
                throw new MigrationException(
                    $"Cannot reach the {name} database at {target.Host}:{target.Port} (database '{target.Database}', user '{target.Username}'): " +
                    $"{Describe(ex)}. Check ConnectionStrings:{name} and that the server runs.", ex);
            }
        }
    }

    /// <summary>
    /// Gives a login role (sa_reader: migration Replica/0300; sa_agent: Primary/0120; sa_gateway: 0130; sa_ml: Replica/0400) the password of its
    /// connection string, so services can log in as it; every start, so a changed (or per-run
    /// generated) password takes effect.
    /// </summary>
    private async Task SetPasswordAsync(LoginRole role, string server, string roleConnectionString, CancellationToken ct)
    {
        var password = new NpgsqlConnectionStringBuilder(roleConnectionString).Password!;
        await using var conn = new NpgsqlConnection(server);
        await conn.OpenAsync(ct);
        await role.SetPasswordAsync(conn, password, ct);
        logger.LogInformation("Login role {Role} on the {Server} has the password of ConnectionStrings:{Connection}",
            role.Name, role.Server.ToString().ToLowerInvariant(), role.ConnectionName);
    }

    /// <summary>The primary as the replica's server sees it (libpq conninfo).</summary>
    private string PrimaryConnInfo()
    {
        var csb = new NpgsqlConnectionStringBuilder(options.PrimaryConnectionString);
        return LogicalReplication.ConnInfo(
            options.Replication.PrimaryHost ?? csb.Host!,
            options.Replication.PrimaryPort ?? csb.Port,
            csb.Username ?? "postgres",
            csb.Password ?? string.Empty,
            csb.Database!);
    }

    /// <summary>
    /// Creates the subscription, or points an existing one at the primary's current address (a
    /// kept data directory started on other ports) and makes sure it is enabled.
    /// </summary>
    private async Task EnsureSubscriptionAsync(string replica, string connInfo, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(replica);
        await conn.OpenAsync(ct);
        await using var check = new NpgsqlCommand("SELECT subconninfo, subenabled FROM pg_subscription WHERE subname = $1", conn)
        {
            Parameters = { new() { Value = LogicalReplication.SubscriptionName } },
        };
        string? existing = null;
        var enabled = false;
        await using (var r = await check.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct))
            {
                existing = r.GetString(0);
                enabled = r.GetBoolean(1);
            }
        }
        if (existing is null)
        {
            await LogicalReplication.EnsureSubscriptionAsync(replica, connInfo, ct);
            logger.LogInformation("Created subscription {Subscription} on the replica", LogicalReplication.SubscriptionName);
            return;
        }
        if (existing != connInfo)
        {
            var literal = "'" + connInfo.Replace("'", "''", StringComparison.Ordinal) + "'";
            await using var alter = new NpgsqlCommand($"ALTER SUBSCRIPTION {LogicalReplication.SubscriptionName} CONNECTION {literal}", conn);
            await alter.ExecuteNonQueryAsync(ct);
            logger.LogInformation("Pointed subscription {Subscription} at the primary's current address", LogicalReplication.SubscriptionName);
        }
        if (!enabled)
        {
            await using var enable = new NpgsqlCommand($"ALTER SUBSCRIPTION {LogicalReplication.SubscriptionName} ENABLE", conn);
            await enable.ExecuteNonQueryAsync(ct);
        }
        logger.LogInformation("Subscription {Subscription} exists", LogicalReplication.SubscriptionName);
    }

    /// <summary>
    /// Waits for a subscription created by someone else (Replication:Subscription=External: the
    /// CloudNativePG operator, once this run has created the tables it subscribes into).
    /// </summary>
    private static async Task WaitForExternalSubscriptionAsync(string replica, TimeSpan timeout, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(replica);
        await conn.OpenAsync(ct);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var check = new NpgsqlCommand("SELECT 1 FROM pg_subscription WHERE subname = $1", conn)
            {
                Parameters = { new() { Value = LogicalReplication.SubscriptionName } },
            };
            if (await check.ExecuteScalarAsync(ct) is not null)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"Replication:Subscription is External, but no subscription '{LogicalReplication.SubscriptionName}' appeared on the replica within " +
                    $"{timeout.TotalSeconds:0} s: check the Subscription resource (kubectl describe subscription sa-platform-sub) " +
                    "or set Replication:Subscription=Migrator to let the migrator create it.");
            }
            await Task.Delay(500, ct);
        }
    }

    private async Task<DemoDataSummary?> LoadDemoDataAsync(string primary, CancellationToken ct)
    {
        if (options.DemoData.Size.Equals("None", StringComparison.OrdinalIgnoreCase))
        {
            logger.LogInformation("Demo data disabled (DemoData:Size=None)");
            return null;
        }
        if (!await DemoDataGenerator.IsEmptyAsync(primary, ct))
        {
            logger.LogInformation("The primary already holds data: demo data not loaded");
            return null;
        }
        var demo = new DemoDataOptions { Size = DemoDataOptions.ParseSize(options.DemoData.Size) };
        if (options.DemoData.Seed is { } seed)
        {
            demo = demo with { Seed = seed };
        }
        logger.LogInformation("Loading demo data: size {Size}, seed {Seed}", demo.Size, demo.Seed);
        var progress = new Progress<string>(message => logger.LogInformation("Demo data: {Progress}", message));
        var summary = await DemoDataGenerator.LoadAsync(primary, demo, progress, ct);
        logger.LogInformation("Demo data loaded: {Rows} rows in {Seconds:0.0} s ({RowsPerSecond:0} rows/s)",
            summary.TotalRows, summary.Elapsed.TotalSeconds, summary.RowsPerSecond);
        return summary;
    }

    private static async Task<long> CountAsync(string cs, string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static string Describe(Exception ex) => ex switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: { } inner } => inner.Message,
        _ => ex.Message,
    };
}

public sealed record MigrationResult(
    IReadOnlyList<string> PrimaryScripts,
    IReadOnlyList<string> ReplicaScripts,
    DemoDataSummary? DemoData,
    IReadOnlyList<DemoApiKey> ApiKeys,
    long Tenants,
    long Issues);

/// <summary>A failure with a message that says what to fix.</summary>
public sealed class MigrationException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
