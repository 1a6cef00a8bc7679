using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Data;

/// <summary>Section <c>Validation:Catalog</c>.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Validation:Catalog";

    /// <summary><c>Replica</c> (live catalog, the default) or <c>Schema</c> (the migration DDL; no database).</summary>
    public CatalogSource Source { get; set; } = CatalogSource.Replica;

    /// <summary>How long a loaded catalog is used before it is reloaded in the background.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 86_400)]
    public int RefreshSeconds { get; set; } = 300;

    /// <summary>The role generated SQL runs as: only what it can SELECT is "known".</summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string QueryRole { get; set; } = TenantSession.QueryRole;
}

public enum CatalogSource
{
    Replica,
    Schema,
}

/// <summary>
/// The replica's catalog: tables and views of schema public with the columns the query role may
/// SELECT. Cached; after <see cref="CatalogOptions.RefreshSeconds"/> the next call reloads it in the
/// background and keeps serving the previous one meanwhile (a failed reload keeps the old catalog).
/// </summary>
public sealed partial class ReplicaCatalogProvider(
    NpgsqlDataSource dataSource,
    IOptions<CatalogOptions> options,
    TimeProvider time,
    ILogger<ReplicaCatalogProvider> logger) : ICatalogProvider
{
    internal const string CatalogSql = """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), c.relkind IN ('v', 'm')
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = 'public'
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND has_table_privilege($1, c.oid, 'SELECT')
          AND has_column_privilege($1, c.oid, a.attnum, 'SELECT')
        ORDER BY c.relname, a.attnum
        """;

    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile SchemaCatalog? _current;
    private int _refreshing;

    public async ValueTask<SchemaCatalog> GetAsync(CancellationToken ct)
    {
        var current = _current;
        if (current is null)
        {
            await _loadLock.WaitAsync(ct);
            try
            {
                current = _current ??= await LoadAsync(ct);
            }
            finally
            {
                _loadLock.Release();
            }
            return current;
        }
        if (time.GetUtcNow() - current.LoadedAt > TimeSpan.FromSeconds(options.Value.RefreshSeconds)
            && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            _ = RefreshAsync();
        }
        return current;
    }

    /// <summary>Drops the cached catalog: the next call loads it again (after a migration, in tests).</summary>
    public void Invalidate() => _current = null;

    private async Task RefreshAsync()
    {
        try
        {
            _current = await LoadAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is DependencyUnavailableException)
        {
            LogRefreshFailed(logger, e);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private async Task<SchemaCatalog> LoadAsync(CancellationToken ct)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand(CatalogSql);
            cmd.Parameters.Add(new NpgsqlParameter { Value = options.Value.QueryRole });
            var columns = new Dictionary<string, (bool IsView, List<CatalogColumn> Columns)>(StringComparer.Ordinal);
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var table = reader.GetString(0);
                    if (!columns.TryGetValue(table, out var entry))
                    {
                        entry = (reader.GetBoolean(3), []);
                        columns[table] = entry;
                    }
                    entry.Columns.Add(new CatalogColumn(reader.GetString(1), reader.GetString(2)));
                }
            }
            var catalog = new SchemaCatalog(columns.Select(kv => new CatalogTable(kv.Key, kv.Value.Columns, kv.Value.IsView)), time.GetUtcNow());
            LogLoaded(logger, catalog.Tables.Count, options.Value.QueryRole);
            return catalog;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new DependencyUnavailableException("The replica's catalog could not be loaded: " + e.Message, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the replica catalog: {Tables} tables readable by {Role}")]
    private static partial void LogLoaded(ILogger logger, int tables, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the replica catalog failed; keeping the previous one")]
    private static partial void LogRefreshFailed(ILogger logger, Exception e);
}
