using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.LocalServers;
using Xunit;

namespace StrategicAgent.Testing;

/// <summary>
/// A real PostgreSQL primary and a logical-replication replica of it, as local processes on
/// free ports under a temporary directory: schema migrated on both, <c>ml</c> on the replica,
/// subscription running. One per test assembly: <c>[assembly: AssemblyFixture(typeof(PostgresReplicaFixture))]</c>.
/// </summary>
public class PostgresReplicaFixture : IAsyncLifetime
{
    private PostgresServer? _primary;
    private PostgresServer? _replica;
    private string? _root;
    private readonly Dictionary<LoginRole, string> _loginPasswords = [];

    public string PrimaryConnectionString => _primary?.ConnectionString ?? throw NotStarted();
    public string ReplicaConnectionString => _replica?.ConnectionString ?? throw NotStarted();
    /// <summary>The replica as <see cref="LoginRole.Reader.Name"/> (not a superuser; may only SET ROLE sa_query): what services use for tenant reads.</summary>
    public string ReplicaReaderConnectionString => Login(LoginRole.Reader);
    /// <summary>The primary as <c>sa_agent</c> (the agent's own tables only): what the agent uses as its primary.</summary>
    public string PrimaryAgentConnectionString => Login(LoginRole.Agent);
    /// <summary>The primary as <c>sa_gateway</c> (API key lookups only): what the gateway uses as its primary.</summary>
    public string PrimaryGatewayConnectionString => Login(LoginRole.Gateway);
    /// <summary>The replica as <c>sa_ml</c> (platform tables read, ml schema): what ml-training and the prediction service's ml writes use.</summary>
    public string ReplicaMlConnectionString => Login(LoginRole.Ml);

    /// <summary>The role's server as the role, with the password this fixture gave it.</summary>
    private string Login(LoginRole role) => _loginPasswords.TryGetValue(role, out var password)
        ? role.ConnectionString(role.Server == DatabaseRole.Primary ? PrimaryConnectionString : ReplicaConnectionString, password)
        : throw NotStarted();

    public int PrimaryPort => _primary?.Options.Port ?? throw NotStarted();
    public int ReplicaPort => _replica?.Options.Port ?? throw NotStarted();

    public virtual async ValueTask InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("sa-pg-").FullName;
        if (NativeProcess.IsRoot)
        {
            // The postgres user must be able to reach its data directories.
            File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        var ct = TestContext.Current.CancellationToken;
        var servers = await PostgresServer.StartAllAsync([Options("primary"), Options("replica")], ct);
        (_primary, _replica) = (servers[0], servers[1]);

        SchemaMigrator.Migrate(_primary.ConnectionString, DatabaseRole.Primary, NullLogger.Instance);
        SchemaMigrator.Migrate(_replica.ConnectionString, DatabaseRole.Replica, NullLogger.Instance);
        // As the migrator does with the login roles' connection strings: a fresh password per run.
        foreach (var role in new[] { LoginRole.Reader, LoginRole.Agent, LoginRole.Gateway, LoginRole.Ml })
        {
            var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            await using var admin = new NpgsqlConnection(role.Server == DatabaseRole.Primary ? _primary.ConnectionString : _replica.ConnectionString);
            await admin.OpenAsync(ct);
            await role.SetPasswordAsync(admin, password, ct);
            _loginPasswords[role] = password;
        }
        await LogicalReplication.EnsureSubscriptionAsync(_replica.ConnectionString,
            LogicalReplication.ConnInfo("127.0.0.1", _primary.Options.Port, "postgres", _primary.Options.Password, _primary.Options.Database), ct);
        await LogicalReplication.WaitForInitialSyncAsync(_replica.ConnectionString, TimeSpan.FromSeconds(60), ct);
        await OnStartedAsync(ct);
    }

    /// <summary>Hook for derived fixtures (e.g. loading demo data).</summary>
    protected virtual Task OnStartedAsync(CancellationToken ct) => Task.CompletedTask;

    private PostgresServerOptions Options(string name) => new()
    {
        DataDirectory = Path.Combine(_root!, name),
        Port = NativeProcess.FreePort(),
        Durable = false,
    };

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task>> _once = new();

    /// <summary>
    /// Runs <paramref name="seed"/> once per fixture under <paramref name="key"/> (e.g. a test class's
    /// rows, from its InitializeAsync); every later caller awaits the same run.
    /// </summary>
    public Task OnceAsync(string key, Func<CancellationToken, Task> seed) =>
        _once.GetOrAdd(key, _ => new Lazy<Task>(() => seed(TestContext.Current.CancellationToken))).Value;

    /// <summary>Waits until the replica has applied everything written to the primary so far.</summary>
    public Task WaitForReplicaAsync(CancellationToken ct = default) =>
        LogicalReplication.WaitForCatchUpAsync(PrimaryConnectionString, TimeSpan.FromSeconds(60), ct);

    public async Task<NpgsqlConnection> OpenPrimaryAsync(CancellationToken ct = default)
    {
        var c = new NpgsqlConnection(PrimaryConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    public async Task<NpgsqlConnection> OpenReplicaAsync(CancellationToken ct = default)
    {
        var c = new NpgsqlConnection(ReplicaConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    public async Task<NpgsqlConnection> OpenReplicaAsReaderAsync(CancellationToken ct = default)
    {
        var c = new NpgsqlConnection(ReplicaReaderConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        // The replica first, so its subscription goes before the primary's slot.
        await ScratchServers.StopAsync(_root, _replica, _primary);
    }

    private static InvalidOperationException NotStarted() => new("The PostgreSQL fixture has not started.");
}
