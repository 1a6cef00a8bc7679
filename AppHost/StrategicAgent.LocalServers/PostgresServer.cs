using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace StrategicAgent.LocalServers;

/// <summary>Settings of one local PostgreSQL server.</summary>
public sealed record PostgresServerOptions
{
    public required string DataDirectory { get; init; }
    public required int Port { get; init; }
    public string BinDirectory { get; init; } = PostgresServer.DefaultBinDirectory;
    public string Password { get; init; } = "postgres";
    public string Database { get; init; } = "strategicagent";
    /// <summary>fsync off: fine for tests and throw-away runs, not for data you keep.</summary>
    public bool Durable { get; init; } = true;
    /// <summary>wal_level=logical and room for replication slots (the primary).</summary>
    public bool LogicalReplication { get; init; } = true;
    public IReadOnlyDictionary<string, string> ExtraSettings { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// One PostgreSQL server from the machine's own binaries: initdb (as the postgres user when we
/// are root), configuration, start, fast stop. Used directly by tests; the AppHost uses
/// <see cref="Prepare"/> and <see cref="ServerArguments"/> for its executable resources.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    private readonly PostgresServerOptions _options;
    private Process? _process;
    private readonly StringBuilder _log = new();

    private PostgresServer(PostgresServerOptions options) => _options = options;

    public PostgresServerOptions Options => _options;

    public string ConnectionString => BuildConnectionString(_options.Port, _options.Password, _options.Database);

    public string AdminConnectionString => BuildConnectionString(_options.Port, _options.Password, "postgres");

    public static string BuildConnectionString(int port, string password, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Password = password,
            Database = database,
        }.ConnectionString;

    /// <summary>Checks the binaries exist and names the problem if not.</summary>
    public static void CheckBinaries(string binDirectory)
    {
        foreach (var exe in new[] { "initdb", "postgres" })
        {
            var path = Path.Combine(binDirectory, exe);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"PostgreSQL binary '{path}' was not found. Install PostgreSQL 15 (apt-get install postgresql-15) " +
                    $"or set the PostgreSQL bin directory (StrategicAgent:Postgres:BinDirectory / SA_PG_BIN).", path);
            }
        }
    }

    /// <summary>
    /// Creates and configures the data directory if it is not a cluster yet. Idempotent: an
    /// existing cluster is reused (its postgresql.auto.conf is rewritten with our settings).
    /// </summary>
    public static async Task Prepare(PostgresServerOptions o, CancellationToken ct)
    {
        CheckBinaries(o.BinDirectory);
        Directory.CreateDirectory(o.DataDirectory);
        if (!File.Exists(Path.Combine(o.DataDirectory, "PG_VERSION")))
        {
            var pwFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(o.DataDirectory))!, $".pw-{o.Port}");
            await File.WriteAllTextAsync(pwFile, o.Password + "\n", ct);
            try
            {
                await ChownToPostgres(o.DataDirectory, ct);
                await ChownToPostgres(pwFile, ct);
                var (file, args) = NativeProcess.AsPostgresUser(Path.Combine(o.BinDirectory, "initdb"),
                [
                    "-D", o.DataDirectory, "-U", "postgres", "--pwfile=" + pwFile,
                    "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
                ]);
                await NativeProcess.RunAsync(file, args, ct);
            }
            finally
            {
                File.Delete(pwFile);
            }
        }
        // Our settings win over postgresql.conf; rewritten every start so a changed port applies.
        var settings = new Dictionary<string, string>
        {
            ["listen_addresses"] = "'127.0.0.1'",
            ["port"] = o.Port.ToString(CultureInfo.InvariantCulture),
            // No Unix socket: /var/run/postgresql may not exist or belong to another server.
            ["unix_socket_directories"] = "''",
            ["max_connections"] = "200",
            ["shared_buffers"] = "'256MB'",
            ["fsync"] = o.Durable ? "on" : "off",
            ["synchronous_commit"] = o.Durable ? "on" : "off",
            ["full_page_writes"] = o.Durable ? "on" : "off",
            ["wal_level"] = o.LogicalReplication ? "logical" : "replica",
            ["max_replication_slots"] = "20",
            ["max_wal_senders"] = "20",
            ["max_logical_replication_workers"] = "8",
            ["shared_preload_libraries"] = "'pg_stat_statements'",
            ["pg_stat_statements.track"] = "all",
            ["logging_collector"] = "off",
        };
        foreach (var (k, v) in o.ExtraSettings)
        {
            settings[k] = v;
        }
        var conf = new StringBuilder("# Written by StrategicAgent.LocalServers on every start.\n");
        foreach (var (k, v) in settings)
        {
            conf.Append(k).Append(" = ").Append(v).Append('\n');
        }
        var autoConf = Path.Combine(o.DataDirectory, "postgresql.auto.conf");
        await File.WriteAllTextAsync(autoConf, conf.ToString(), ct);
        await ChownToPostgres(autoConf, ct);
        RemoveStaleLock(o.DataDirectory);
    }

    /// <summary>The postgres command line (as the postgres user when root).</summary>
    public static (string FileName, IReadOnlyList<string> Arguments) ServerArguments(PostgresServerOptions o) =>
        NativeProcess.AsPostgresUser(Path.Combine(o.BinDirectory, "postgres"), ["-D", o.DataDirectory]);

    /// <summary>
    /// Starts the servers side by side; when any of them fails, stops those that did start before
    /// rethrowing, so no postgres process outlives a failed start.
    /// </summary>
    public static async Task<PostgresServer[]> StartAllAsync(IReadOnlyList<PostgresServerOptions> options, CancellationToken ct = default)
    {
        var starts = options.Select(o => StartAsync(o, ct)).ToArray();
        try
        {
            return await Task.WhenAll(starts);
        }
        catch
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>Prepares, starts and waits until the server accepts connections and the database exists.</summary>
    public static async Task<PostgresServer> StartAsync(PostgresServerOptions options, CancellationToken ct = default)
    {
        if (!NativeProcess.IsPortFree(options.Port))
        {
            throw new InvalidOperationException($"Port {options.Port} for PostgreSQL is already in use; choose another port.");
        }
        await Prepare(options, ct);
        var server = new PostgresServer(options);
        await server.StartProcessAsync(ct);
        await EnsureDatabaseAsync(server.AdminConnectionString, options.Database, ct);
        return server;
    }

    private async Task StartProcessAsync(CancellationToken ct)
    {
        var (file, args) = ServerArguments(_options);
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start postgres.");
        _process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        await WaitUntilReadyAsync(AdminConnectionString, TimeSpan.FromSeconds(60), () => _process.HasExited ? "postgres exited: " + Log : null, ct);
    }

    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    public static async Task WaitUntilReadyAsync(string connectionString, TimeSpan timeout, Func<string?> failure, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (failure() is { } reason)
            {
                throw new InvalidOperationException(reason);
            }
            try
            {
                await using var conn = new NpgsqlConnection(connectionString);
                await conn.OpenAsync(ct);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
            {
                last = ex;
                await Task.Delay(100, ct);
            }
        }
        throw new TimeoutException($"PostgreSQL did not accept connections within {timeout.TotalSeconds:0} s: {last?.Message}");
    }

    public static async Task EnsureDatabaseAsync(string adminConnectionString, string database, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(adminConnectionString);
        await conn.OpenAsync(ct);
        await using var check = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn) { Parameters = { new() { Value = database } } };
        if (await check.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Fast shutdown (SIGINT): rolls back open transactions, no waiting for clients.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_process is { HasExited: false } p)
        {
            NativeProcess.Signal(p.Id, NativeProcess.SIGINT);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        _process?.Dispose();
    }

    /// <summary>A postmaster.pid whose process is gone is removed, so a crashed run does not block the next.</summary>
    public static void RemoveStaleLock(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }
        var first = File.ReadLines(pidFile).FirstOrDefault();
        if (int.TryParse(first, out var pid) && Directory.Exists($"/proc/{pid}") &&
            File.ReadAllText($"/proc/{pid}/comm").Trim() is "postgres" or "postmaster")
        {
            throw new InvalidOperationException($"A PostgreSQL server (pid {pid}) is already running on data directory '{dataDirectory}'. Stop it first.");
        }
        File.Delete(pidFile);
    }

    private static async Task ChownToPostgres(string path, CancellationToken ct)
    {
        if (NativeProcess.IsRoot)
        {
            await NativeProcess.RunAsync("/bin/chown", ["-R", "postgres:postgres", path], ct);
        }
    }
}
