using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace StrategicAgent.Data;

/// <summary>
/// API keys map to exactly one tenant. Only the SHA-256 of a key is stored (keys are random
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

    /// <summary>Creates a key for a tenant and returns it in clear (the only time it exists in clear).</summary>
    public static async Task<string> CreateAsync(NpgsqlConnection primary, long clientId, string name, CancellationToken ct)
    {
        var key = NewKey();
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO api_keys (client_id, name, key_hash, key_prefix) VALUES ($1, $2, $3, $4)", primary)
        {
            Parameters =
            {
                new() { Value = clientId },
                new() { Value = name },
                new() { Value = Hash(key) },
                new() { Value = key[..8] },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
        return key;
    }

    /// <summary>The tenant of an active key, or null.</summary>
    public static async Task<long?> ResolveAsync(NpgsqlDataSource db, string key, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            """
            SELECT k.client_id FROM api_keys k JOIN clients c ON c.id = k.client_id
            WHERE k.key_hash = $1 AND k.active AND c.active
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hash(key) });
        return await cmd.ExecuteScalarAsync(ct) as long?;
    }
}
