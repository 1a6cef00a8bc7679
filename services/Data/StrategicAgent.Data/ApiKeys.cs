using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace StrategicAgent.Data;

/// <summary>
/// API keys map to exactly one tenant and carry scopes (<see cref="ApiKeyScopes"/>). Only the SHA-256 of a key is stored (keys are random
/// 256-bit values, so a fast hash is enough: there is nothing to brute-force); the key itself is
/// shown once, when it is created.
/// </summary>
public static class ApiKeys
{
    public const string Prefix = "sa_";

    public static string Hash(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string NewKey() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .Replace('+', '-').Replace('/', '_').TrimEnd('=');

    /// <summary>Creates a key with the <see cref="ApiKeyScopes.Query"/> scope for a tenant and returns it in clear (the only time it exists in clear).</summary>
    public static Task<string> CreateAsync(NpgsqlConnection primary, long clientId, string name, CancellationToken ct) =>
        CreateAsync(primary, clientId, name, [ApiKeyScopes.Query], ct);

    /// <summary>
    /// Creates a key with the given scopes (see <see cref="ApiKeyScopes"/>) for a tenant and returns it
    /// in clear (the only time it exists in clear).
    /// </summary>
    /// <exception cref="ArgumentException">No scope, or a scope that is not one of <see cref="ApiKeyScopes.All"/>.</exception>
    public static async Task<string> CreateAsync(
        NpgsqlConnection primary, long clientId, string name, IReadOnlyCollection<string> scopes, CancellationToken ct)
    {
        var normalized = ApiKeyScopes.Normalize(scopes);
        var key = NewKey();
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO api_keys (client_id, name, key_hash, key_prefix, scopes) VALUES ($1, $2, $3, $4, $5)", primary)
        {
            Parameters =
            {
                new() { Value = clientId },
                new() { Value = name },
                new() { Value = Hash(key) },
                new() { Value = key[..8] },
                new() { Value = normalized },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
        return key;
    }

    /// <summary>The tenant of an active key, or null.</summary>
    public static async Task<long?> ResolveAsync(NpgsqlDataSource db, string key, CancellationToken ct) =>
        (await ResolveIdentityAsync(db, key, ct))?.ClientId;

    /// <summary>The tenant and scopes of an active key of an active tenant, or null.</summary>
    public static async Task<ApiKeyIdentity?> ResolveIdentityAsync(NpgsqlDataSource db, string key, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            """
            SELECT k.client_id, k.scopes FROM api_keys k JOIN clients c ON c.id = k.client_id
            WHERE k.key_hash = $1 AND k.active AND c.active
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hash(key) });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return new ApiKeyIdentity(reader.GetInt64(0), reader.GetFieldValue<string[]>(1));
    }
}

/// <summary>Who a key speaks for: its tenant and what it may do there.</summary>
public sealed record ApiKeyIdentity(long ClientId, IReadOnlyList<string> Scopes)
{
    public bool Has(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);
}

/// <summary>What an API key may do (column <c>api_keys.scopes</c>, migration 0006).</summary>
public static class ApiKeyScopes
{
    /// <summary>Ask questions, run SQL, get predictions, read the model registry: every tenant-facing read.</summary>
    public const string Query = "query";

    /// <summary>Train and deploy models. Models are shared by all tenants, so these are operator actions.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Query, Admin];

    /// <summary>Distinct, known scopes in canonical order.</summary>
    /// <exception cref="ArgumentException">No scope, or an unknown one.</exception>
    public static string[] Normalize(IEnumerable<string> scopes)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in scopes)
        {
            var scope = raw.Trim().ToLowerInvariant();
            if (!All.Contains(scope))
            {
                throw new ArgumentException($"Unknown API key scope '{raw}'; scopes are: {string.Join(", ", All)}.", nameof(scopes));
            }
            set.Add(scope);
        }
        if (set.Count == 0)
        {
            throw new ArgumentException($"An API key needs at least one scope ({string.Join(", ", All)}).", nameof(scopes));
        }
        return All.Where(set.Contains).ToArray();
    }
}
