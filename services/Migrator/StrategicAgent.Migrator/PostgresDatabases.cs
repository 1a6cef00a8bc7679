using Npgsql;

namespace StrategicAgent.Migrator;

internal static class PostgresDatabases
{
    /// <summary>Creates <paramref name="database"/> through the maintenance database when it does not exist.</summary>
    public static async Task EnsureAsync(string adminConnectionString, string database, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(adminConnectionString);
        await conn.OpenAsync(ct);
        await using var check = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn) { Parameters = { new() { Value = database } } };
        if (await check.ExecuteScalarAsync(ct) is not null)
        {
            return;
        }
        // CREATE DATABASE takes no parameters: quote the identifier.
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", conn);
        try
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Created concurrently: fine.
        }
    }
}
