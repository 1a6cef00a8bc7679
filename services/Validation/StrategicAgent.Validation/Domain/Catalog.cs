using System.Collections.Frozen;
using System.Text.Json;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Validation.Domain;

public sealed record CatalogColumn(string Name, string DataType)
{
    /// <summary>Timestamps and dates: what a time window applies to.</summary>
    public bool IsTemporal { get; } = DataType.Contains("timestamp", StringComparison.OrdinalIgnoreCase)
                                      || DataType.Contains("date", StringComparison.OrdinalIgnoreCase);
}

public sealed class CatalogTable
{
    public CatalogTable(string name, IEnumerable<CatalogColumn> columns, bool isView = false)
    {
        Name = name;
        IsView = isView;
        Columns = columns.ToArray();
        ColumnsByName = Columns.GroupBy(c => c.Name).ToFrozenDictionary(g => g.Key, g => g.First());
        QualifiedNames = ColumnsByName.Keys.ToFrozenDictionary(c => c, c => name + "." + c);
        // The tenant key: client_id on every tenant-owned table; clients is keyed by its own id.
        TenantColumn = ColumnsByName.ContainsKey("client_id") ? "client_id"
            : name == "clients" && ColumnsByName.ContainsKey("id") ? "id"
            : null;
    }

    public string Name { get; }

    public bool IsView { get; }

    public IReadOnlyList<CatalogColumn> Columns { get; }

    public FrozenDictionary<string, CatalogColumn> ColumnsByName { get; }

    /// <summary>The column a tenant filter compares (null: not a tenant table).</summary>
    public string? TenantColumn { get; }

    /// <summary>"table.column" for each column, built once (reports list them for every query).</summary>
    public FrozenDictionary<string, string> QualifiedNames { get; }

    public bool HasColumn(string name) => ColumnsByName.ContainsKey(name);

    public string Qualified(string column) => QualifiedNames.TryGetValue(column, out var q) ? q : Name + "." + column;
}

/// <summary>The tables and columns generated SQL may read (schema <c>public</c>, readable by the query role).</summary>
public sealed class SchemaCatalog
{
    public SchemaCatalog(IEnumerable<CatalogTable> tables, DateTimeOffset? loadedAt = null)
    {
        Tables = tables.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        ByName = Tables.ToFrozenDictionary(t => t.Name);
        LoadedAt = loadedAt ?? DateTimeOffset.UtcNow;
    }

    public IReadOnlyList<CatalogTable> Tables { get; }

    public FrozenDictionary<string, CatalogTable> ByName { get; }

    public DateTimeOffset LoadedAt { get; }

    public CatalogTable? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>
    /// Builds a catalog from DDL (CREATE TABLE statements in schema public, applied in order: a DROP TABLE removes a table,
    /// a later CREATE replaces it), parsed with PostgreSQL's own parser: what unit tests and the database-free
    /// <c>Schema</c> catalog source use.
    /// </summary>
    public static SchemaCatalog FromDdl(params string[] ddlTexts)
    {
        var tables = new List<CatalogTable>();
        foreach (var ddl in ddlTexts)
        {
            using var parsed = PgParser.Parse(ddl);
            if (parsed.Error is { } error)
            {
                throw new InvalidOperationException($"DDL does not parse: {error.Message} at {error.Position}");
            }
            foreach (var stmt in parsed.Tree!.RootElement.GetProperty("stmts").EnumerateArray())
            {
                if (stmt.GetProperty("stmt").TryGetProperty("DropStmt", out var drop) && drop.Str("removeType") == "OBJECT_TABLE")
                {
                    foreach (var obj in drop.GetProperty("objects").EnumerateArray())
                    {
                        var names = obj.GetProperty("List").GetProperty("items").EnumerateArray().Select(n => n.StringNode()).ToList();
                        if (names.Count == 1 || names.Count == 2 && names[0] == "public")
                        {
                            tables.RemoveAll(t => t.Name == names[^1]);
                        }
                    }
                    continue;
                }
                if (!stmt.GetProperty("stmt").TryGetProperty("CreateStmt", out var create))
                {
                    continue;
                }
                var rel = create.GetProperty("relation");
                if (rel.TryGetProperty("schemaname", out var schema) && schema.GetString() != "public")
                {
                    continue;
                }
                var columns = new List<CatalogColumn>();
                if (create.TryGetProperty("tableElts", out var elts))
                {
                    foreach (var elt in elts.EnumerateArray())
                    {
                        if (elt.TryGetProperty("ColumnDef", out var def))
                        {
                            var typeNames = def.GetProperty("typeName").GetProperty("names").EnumerateArray()
                                .Select(n => n.GetProperty("String").GetProperty("sval").GetString()!)
                                .Where(n => n != "pg_catalog");
                            columns.Add(new CatalogColumn(def.GetProperty("colname").GetString()!, string.Join('.', typeNames)));
                        }
                    }
                }
                var name = rel.GetProperty("relname").GetString()!;
                tables.RemoveAll(t => t.Name == name);
                tables.Add(new CatalogTable(name, columns));
            }
        }
        return new SchemaCatalog(tables);
    }

    /// <summary>
    /// The platform tables of the schema contract, from the DDL embedded in StrategicAgent.Data
    /// (<c>Migrations/Shared/0001_platform_schema.sql</c>) and the replica's rollups of them
    /// (<c>Migrations/Replica/*_rollups*.sql</c>, in migration order): exactly the tables granted to the query role.
    /// </summary>
    public static SchemaCatalog FromPlatformMigrations()
    {
        var assembly = typeof(StrategicAgent.Data.TenantSession).Assembly;
        string Read(string name)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        var names = assembly.GetManifestResourceNames();
        // The platform tables, and the replica's rollups of them, which the query role reads too (a later rollup migration may redefine one).
        var platform = names.Single(n => n.EndsWith(".Shared.0001_platform_schema.sql", StringComparison.Ordinal));
        var rollups = names.Where(n => n.Contains(".Migrations.Replica.", StringComparison.Ordinal) && n.Contains("_rollups", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        return FromDdl([Read(platform), .. rollups.Select(Read)]);
    }
}

/// <summary>Where the current catalog comes from (the live replica, or a fixed schema in tests and benchmarks).</summary>
public interface ICatalogProvider
{
    ValueTask<SchemaCatalog> GetAsync(CancellationToken ct);
}

public sealed class StaticCatalogProvider(SchemaCatalog catalog) : ICatalogProvider
{
    public ValueTask<SchemaCatalog> GetAsync(CancellationToken ct) => ValueTask.FromResult(catalog);
}

/// <summary>A dependency (replica, catalog) could not be reached: the gRPC layer maps it to Unavailable.</summary>
public sealed class DependencyUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

internal static class JsonNodeExtensions
{
    // UTF-8 name overloads: the analyzer looks up node fields by literal names (no transcoding per call).
    public static string? Str(this JsonElement e, ReadOnlySpan<byte> name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int Int(this JsonElement e, ReadOnlySpan<byte> name, int fallback = -1) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    public static bool Bool(this JsonElement e, ReadOnlySpan<byte> name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    public static bool Has(this JsonElement e, ReadOnlySpan<byte> name, out JsonElement value)
    {
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int Int(this JsonElement e, string name, int fallback = -1) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    public static bool Bool(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    public static bool Has(this JsonElement e, string name, out JsonElement value)
    {
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>The sval of a <c>{"String":{"sval":…}}</c> node.</summary>
    public static string? StringNode(this JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("String"u8, out var s)
            ? s.TryGetProperty("sval"u8, out var v) && v.ValueKind == JsonValueKind.String ? Identifiers.Get(v) : ""
            : null;
}

/// <summary>
/// Interned identifier strings: the same table, column and function names come back in every query,
/// so they are looked up by their UTF-8 bytes instead of allocating a new string each time.
/// </summary>
internal static class Identifiers
{
    private const int MaxEntries = 50_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        Pool.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Get(JsonElement value)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }
        if (raw.Length > 128 || raw.IndexOf((byte)'\\') >= 0)
        {
            return value.GetString()!;
        }
        Span<char> chars = stackalloc char[128];
        var n = System.Text.Encoding.UTF8.GetChars(raw, chars);
        var span = chars[..n];
        if (Lookup.TryGetValue(span, out var interned))
        {
            return interned;
        }
        var s = new string(span);
        if (Pool.Count < MaxEntries)
        {
            Pool.TryAdd(s, s);
        }
        return s;
    }
}
