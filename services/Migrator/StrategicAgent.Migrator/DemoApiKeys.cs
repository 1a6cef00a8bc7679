using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Npgsql;
using StrategicAgent.Data;

namespace StrategicAgent.Migrator;

/// <summary>A demo API key in clear, for one tenant.</summary>
public sealed record DemoApiKey(
    [property: JsonPropertyName("clientId")] long ClientId,
    [property: JsonPropertyName("client")] string Client,
    [property: JsonPropertyName("key")] string Key);

/// <summary>
/// One demo API key per active tenant. Keys are stored hashed, so the clear text exists only at
/// creation: it is kept in a file next to the data (mode 600). A key from that file that is
/// still active in the database is reused, so re-running creates nothing new; a tenant without a
/// usable key in the file gets a new one.
/// </summary>
public static class DemoApiKeys
{
    public const string KeyName = "demo";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static async Task<IReadOnlyList<DemoApiKey>> EnsureAsync(string primary, string? path, ILogger logger, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            logger.LogInformation("No RunInfo:ApiKeysPath: demo API keys are not created");
            return [];
        }
        var known = await ReadAsync(path, ct);
        await using var conn = new NpgsqlConnection(primary);
        await conn.OpenAsync(ct);

        var tenants = new List<(long Id, string Name)>();
        await using (var cmd = new NpgsqlCommand("SELECT id, name FROM clients WHERE active ORDER BY id", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                tenants.Add((r.GetInt64(0), r.GetString(1)));
            }
        }

        var keys = new List<DemoApiKey>();
        var created = 0;
        foreach (var (id, name) in tenants)
        {
            var existing = known.FirstOrDefault(k => k.ClientId == id);
            if (existing is not null && await IsActiveAsync(conn, existing, ct))
            {
                keys.Add(existing with { Client = name });
                continue;
            }
            var key = await ApiKeys.CreateAsync(conn, id, KeyName, ct);
            keys.Add(new DemoApiKey(id, name, key));
            created++;
        }
        await WriteAsync(path, keys, ct);
        logger.LogInformation("Demo API keys: {Created} created, {Reused} reused, kept in {Path}", created, keys.Count - created, path);
        return keys;
    }

    private static async Task<bool> IsActiveAsync(NpgsqlConnection conn, DemoApiKey key, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM api_keys WHERE key_hash = $1 AND client_id = $2 AND active", conn)
        {
            Parameters = { new() { Value = ApiKeys.Hash(key.Key) }, new() { Value = key.ClientId } },
        };
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    public static async Task<IReadOnlyList<DemoApiKey>> ReadAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<List<DemoApiKey>>(stream, Json, ct) ?? [];
        }
        catch (JsonException)
        {
            // A damaged file only costs new keys.
            return [];
        }
    }

    private static async Task WriteAsync(string path, IReadOnlyList<DemoApiKey> keys, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(keys, Json), ct);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
