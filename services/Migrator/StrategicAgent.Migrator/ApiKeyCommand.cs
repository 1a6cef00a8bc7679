using System.Globalization;
using System.Text.Json;
using Npgsql;
using StrategicAgent.Data;

namespace StrategicAgent.Migrator;

/// <summary>
/// <c>create-api-key --client ID [--name TEXT] [--admin | --scopes query,admin] [--run-info PATH]</c>:
/// creates an API key on the primary and prints it on standard output, alone on its line (the only
/// time it exists in clear); everything else goes to standard error. The primary comes from
/// <c>ConnectionStrings__primary</c> or from a run's <c>run-info.json</c>. Exit 0 on success, 2 for
/// bad arguments, 1 when the database refuses or cannot be reached.
/// </summary>
public static class ApiKeyCommand
{
    public const string Name = "create-api-key";

    public const string Usage =
        "Usage: create-api-key --client <tenant id> [--name <text>] [--admin | --scopes query,admin] [--run-info <run-info.json>]\n" +
        "  --client    the tenant (clients.id) the key speaks for\n" +
        "  --name      a label for the key (default: operator with --admin, else api)\n" +
        "  --admin     scopes query and admin: may also train and deploy models (operator key)\n" +
        "  --scopes    explicit comma-separated scopes (query, admin)\n" +
        "  --run-info  read the primary's connection string from a run's run-info.json\n" +
        "              (default: the environment variable ConnectionStrings__primary)";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        long? clientId = null;
        string? name = null;
        string? runInfo = null;
        var scopes = new List<string>();
        var admin = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"{arg} needs a value.");
                }
                return args[++i];
            }
            try
            {
                switch (arg)
                {
                    case "--client":
                        var text = Value();
                        clientId = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
                            ? id
                            : throw new ArgumentException($"--client must be a positive tenant id (clients.id), not '{text}'.");
                        break;
                    case "--name": name = Value(); break;
                    case "--run-info": runInfo = Value(); break;
                    case "--admin": admin = true; break;
                    case "--scopes": scopes.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                    case "--help" or "-h":
                        await stdout.WriteLineAsync(Usage);
                        return 0;
                    default:
                        throw new ArgumentException($"Unknown argument '{arg}'.");
                }
            }
            catch (ArgumentException ex)
            {
                return await BadArguments(stderr, ex.Message);
            }
        }
        if (clientId is null)
        {
            return await BadArguments(stderr, "--client is required.");
        }
        if (admin && scopes.Count > 0)
        {
            return await BadArguments(stderr, "Use either --admin or --scopes, not both.");
        }
        string[] normalized;
        try
        {
            normalized = ApiKeyScopes.Normalize(admin ? [ApiKeyScopes.Query, ApiKeyScopes.Admin] : scopes.Count > 0 ? scopes : [ApiKeyScopes.Query]);
        }
        catch (ArgumentException ex)
        {
            return await BadArguments(stderr, ex.Message);
        }
        name ??= normalized.Contains(ApiKeyScopes.Admin) ? "operator" : "api";

        string primary;
        try
        {
            primary = await PrimaryConnectionStringAsync(runInfo, ct);
        }
        catch (ArgumentException ex)
        {
            return await BadArguments(stderr, ex.Message);
        }

        try
        {
            await using var conn = new NpgsqlConnection(primary);
            await conn.OpenAsync(ct);
            await using (var check = new NpgsqlCommand("SELECT active FROM clients WHERE id = $1", conn) { Parameters = { new() { Value = clientId.Value } } })
            {
                switch (await check.ExecuteScalarAsync(ct))
                {
                    case null:
                        await stderr.WriteLineAsync($"There is no tenant {clientId} (clients.id) on the primary; no key was created.");
                        return 1;
                    case false:
                        await stderr.WriteLineAsync($"Tenant {clientId} is inactive: a key for it would be refused. No key was created.");
                        return 1;
                }
            }
            var key = await ApiKeys.CreateAsync(conn, clientId.Value, name, normalized, ct);
            await stderr.WriteLineAsync($"Created API key '{name}' for tenant {clientId} with scope(s) {string.Join(", ", normalized)}. " +
                                        "It is shown once, below; only its hash is stored. Send it as the X-Api-Key header.");
            await stdout.WriteLineAsync(key);
            return 0;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            var csb = new NpgsqlConnectionStringBuilder(primary);
            var reason = ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.Message;
            await stderr.WriteLineAsync($"Cannot create the key on the primary at {csb.Host}:{csb.Port} (database '{csb.Database}'): {reason}. Is the system running (./run.sh)?");
            return 1;
        }
    }

    private static async Task<string> PrimaryConnectionStringAsync(string? runInfo, CancellationToken ct)
    {
        if (runInfo is not null)
        {
            if (!File.Exists(runInfo))
            {
                throw new ArgumentException($"{runInfo} does not exist: start the system first (./run.sh), or set ConnectionStrings__primary.");
            }
            try
            {
                await using var stream = File.OpenRead(runInfo);
                using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
                if (doc.RootElement.TryGetProperty("connectionStrings", out var cs) && cs.TryGetProperty("primary", out var p) && p.GetString() is { Length: > 0 } value)
                {
                    return value;
                }
                throw new ArgumentException($"{runInfo} has no connectionStrings.primary (did the last start fail? see its 'error').");
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"{runInfo} is not valid JSON: {ex.Message}");
            }
        }
        var env = Environment.GetEnvironmentVariable("ConnectionStrings__primary");
        if (string.IsNullOrWhiteSpace(env))
        {
            throw new ArgumentException("No primary: pass --run-info <run-info.json> or set ConnectionStrings__primary.");
        }
        try
        {
            _ = new NpgsqlConnectionStringBuilder(env);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"ConnectionStrings__primary is not a valid PostgreSQL connection string: {ex.Message}");
        }
        return env;
    }

    private static async Task<int> BadArguments(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync(message);
        await stderr.WriteLineAsync(Usage);
        return 2;
    }
}
