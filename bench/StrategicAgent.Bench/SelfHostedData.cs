using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Data.DemoData;
using StrategicAgent.LocalServers;

namespace StrategicAgent.Bench;

/// <summary>
/// The self-hosted database of a benchmark: a PostgreSQL primary and a logical replica of it in a
/// temporary directory on free ports (fsync off: the disk is not what the benches measure), both
/// migrated, the replica subscribed and initially synced. Optionally loads the demo data. Whatever a
/// bench starts on top of it (in-process hosts, child processes) can be handed to
/// <see cref="Own"/> and is disposed first, in reverse order, before the servers stop and the
/// directory is removed.
/// </summary>
/// <example>
/// <code>
/// await using var data = await SelfHostedData.StartAsync("agent", ct);
/// var summary = await data.LoadDemoDataAsync(new DemoDataOptions { Size = DemoDataSize.Medium, Seed = 42 }, ct: ct);
/// data.Own(await StartGatewayAsync(data.Primary, ...));
/// var apiKey = await data.CreateApiKeyAsync(clientId, "bench", ct);
/// </code>
/// </example>
public sealed class SelfHostedData : IAsyncDisposable
{
    private readonly string _root;
    private readonly List<IAsyncDisposable> _owned = [];
    private PostgresServer? _primary;
    private PostgresServer? _replica;

    private SelfHostedData(string root) => _root = root;

    public PostgresServer PrimaryServer => _primary ?? throw new ObjectDisposedException(nameof(SelfHostedData));
    public PostgresServer ReplicaServer => _replica ?? throw new ObjectDisposedException(nameof(SelfHostedData));

    /// <summary>Connection string of the primary (database strategicagent, user postgres).</summary>
    public string Primary => PrimaryServer.ConnectionString;

    /// <summary>Connection string of the replica (holds the ml schema too).</summary>
    public string Replica => ReplicaServer.ConnectionString;

    /// <summary>The temporary directory (primary/ and replica/ data directories live under it).</summary>
    public string Root => _root;

    /// <summary>How long starting, migrating and subscribing took.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>
    /// Starts primary + replica under a new temporary directory <c>sa-bench-{name}-*</c>, migrates
    /// both, creates the subscription and waits for its initial sync. On failure everything
    /// started so far is stopped again.
    /// </summary>
    public static async Task<SelfHostedData> StartAsync(string name, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory($"sa-bench-{name}-").FullName;
        if (NativeProcess.IsRoot)
        {
            // initdb runs as the postgres user, which must be able to enter the directory.
            File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        }
        var data = new SelfHostedData(root);
        try
        {
            var sw = Stopwatch.StartNew();
            data._primary = await PostgresServer.StartAsync(new PostgresServerOptions
            {
                DataDirectory = Path.Combine(root, "primary"), Port = NativeProcess.FreePort(), Durable = false,
            }, ct);
            data._replica = await PostgresServer.StartAsync(new PostgresServerOptions
            {
                DataDirectory = Path.Combine(root, "replica"), Port = NativeProcess.FreePort(), Durable = false,
            }, ct);
            SchemaMigrator.Migrate(data.Primary, DatabaseRole.Primary, NullLogger.Instance);
            SchemaMigrator.Migrate(data.Replica, DatabaseRole.Replica, NullLogger.Instance);
            var p = data._primary.Options;
            await LogicalReplication.EnsureSubscriptionAsync(data.Replica,
                LogicalReplication.ConnInfo("127.0.0.1", p.Port, "postgres", p.Password, p.Database), ct);
            await LogicalReplication.WaitForInitialSyncAsync(data.Replica, TimeSpan.FromSeconds(60), ct);
            data.StartTime = sw.Elapsed;
            return data;
        }
        catch
        {
            await data.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Loads the demo data into the primary, waits until the replica has caught up (at most
    /// <paramref name="catchUpTimeout"/>, default 30 min) and ANALYZEs the replica so its plans are
    /// those of a running system. Reference date: <paramref name="options"/>' (today unless set).
    /// </summary>
    public async Task<DemoDataSummary> LoadDemoDataAsync(DemoDataOptions options, IProgress<string>? progress = null,
        TimeSpan? catchUpTimeout = null, CancellationToken ct = default)
    {
        var summary = await DemoDataGenerator.LoadAsync(Primary, options, progress, ct);
        await LogicalReplication.WaitForCatchUpAsync(Primary, catchUpTimeout ?? TimeSpan.FromMinutes(30), ct);
        await DemoDataGenerator.AnalyzeAsync(Replica, ct);
        return summary;
    }

    /// <summary>An API key of <paramref name="clientId"/> (default scopes), stored on the primary.</summary>
    public async Task<string> CreateApiKeyAsync(long clientId, string name, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(Primary);
        await conn.OpenAsync(ct);
        return await ApiKeys.CreateAsync(conn, clientId, name, ct);
    }

    /// <summary>Disposes <paramref name="resource"/> with this object: before the servers, in reverse order of <see cref="Own"/>.</summary>
    public T Own<T>(T resource) where T : IAsyncDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    /// <summary>
    /// Kills <paramref name="process"/> (with its children) and waits for it when this object is
    /// disposed — before the servers, in the same reverse order as <see cref="Own"/>.
    /// </summary>
    public Process OwnProcess(Process process)
    {
        _owned.Add(new ProcessHandle(process));
        return process;
    }

    private sealed class ProcessHandle(Process process) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
            finally
            {
                process.Dispose();
            }
        }
    }

    /// <summary>Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/> (default timeout 60 s).</summary>
    public static async Task WaitForPortAsync(int port, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port, ct);
                return;
            }
            catch (SocketException) when (sw.Elapsed < limit)
            {
                await Task.Delay(100, ct);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"Nothing listens on 127.0.0.1:{port} after {limit.TotalSeconds:0} s.", ex);
            }
        }
    }

    /// <summary>Owned resources (reverse order), then replica, primary, and the temporary directory. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"cleanup: {e.GetType().Name}: {e.Message}");
            }
        }
        _owned.Clear();
        foreach (var server in new[] { _replica, _primary })
        {
            if (server is null)
            {
                continue;
            }
            try
            {
                await server.DisposeAsync();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"cleanup: stopping PostgreSQL on port {server.Options.Port}: {e.Message}");
            }
        }
        (_replica, _primary) = (null, null);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"cleanup: could not remove {_root}: {e.Message}");
        }
    }
}
