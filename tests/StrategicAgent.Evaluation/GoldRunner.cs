using System.Text.RegularExpressions;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Evaluation;

/// <summary>Rows with their column names, values reduced to <see cref="Cell"/>s.</summary>
public sealed record ResultTable(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<Cell>> Rows);

/// <summary>
/// What the gold SQL of an intent returned. Columns whose name starts with <c>_</c> are hidden: an answer need not show them.
/// A gold that cuts its rows (<c>ORDER BY … LIMIT n</c> or <c>FETCH FIRST n ROWS …</c>) is a listing: <see cref="Closed"/> holds
/// its rows plus every row that ties with its last one on its ordering (the gold run with <c>FETCH FIRST n ROWS WITH TIES</c>),
/// in order, and <see cref="Groups"/> numbers the runs of rows tied on the ordering (equal number: equal ordering keys).
/// </summary>
public sealed record GoldResult(
    ResultTable Table,
    IReadOnlyList<int> Visible,
    long? Limit,
    IReadOnlyList<IReadOnlyList<Cell>> Closed,
    IReadOnlyList<int> Groups)
{
    /// <summary>Order matters only for a listing: gold with ORDER BY and a cut.</summary>
    public bool Ordered => Limit is not null;

    /// <summary>Rows that tie with the gold's last one beyond its cut (0 when the gold keeps its ties).</summary>
    public int TiesBeyondLimit => Closed.Count - Table.Rows.Count;
}

/// <summary>
/// Runs SQL the way the agent's answers run: on the replica, as the tenant (<see cref="TenantSession"/>:
/// READ ONLY, role sa_query, row-level security), session time zone UTC. <paramref name="now"/> pins
/// "today": <c>current_date</c>, <c>now()</c> and <c>current_timestamp</c> in gold SQL become that
/// instant's literals (for data generated for another day, e.g. the tests' fixed reference date).
/// </summary>
public sealed partial class GoldRunner(string replicaConnectionString, long clientId, DateTimeOffset? now = null) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _replica = new NpgsqlDataSourceBuilder(
        new NpgsqlConnectionStringBuilder(replicaConnectionString) { Timezone = "UTC" }.ConnectionString).Build();

    public long ClientId => clientId;

    /// <summary>Runs an intent's gold SQL and, for a listing, the same query keeping every row tied with its last one.</summary>
    public async Task<GoldResult> RunGoldAsync(CorpusIntent intent, CancellationToken ct)
    {
        var sql = intent.Gold ?? throw new ArgumentException($"intent '{intent.Intent}' has no gold SQL (it must be refused)", nameof(intent));
        var table = await QueryAsync(sql, ct);
        var visible = Enumerable.Range(0, table.Columns.Count).Where(i => !table.Columns[i].StartsWith('_')).ToList();
        if (SqlTopN.Find(sql) is not { } top)
        {
            return new GoldResult(table, visible, null, table.Rows, Enumerable.Range(0, table.Rows.Count).ToList());
        }
        // The ordering keys read off the rows (hidden columns appended where a key is not an output column).
        if (top.KeepingTiesWithKeys(table.Columns.Count) is not { } closed)
        {
            // A key the rows do not show: every row its own run (order strict, no ties beyond the cut).
            return new GoldResult(table, visible, top.Count, table.Rows, Enumerable.Range(0, table.Rows.Count).ToList());
        }
        var tied = await QueryAsync(closed.Sql, ct);
        var groups = new List<int>(tied.Rows.Count);
        for (var i = 0; i < tied.Rows.Count; i++)
        {
            var same = i > 0 && closed.KeyColumns.All(c => SameKey(tied.Rows[i][c], tied.Rows[i - 1][c]));
            groups.Add(i == 0 ? 0 : same ? groups[^1] : groups[^1] + 1);
        }
        return new GoldResult(table, visible, top.Count, tied.Rows, groups);
    }

    private static bool SameKey(Cell a, Cell b) => a is NumberCell x && b is NumberCell y ? x.Value.Equals(y.Value) : a == b;

    /// <summary>Runs any read-only SQL as the tenant; values reduced to cells.</summary>
    public async Task<ResultTable> QueryAsync(string sql, CancellationToken ct)
    {
        await using var conn = await _replica.OpenConnectionAsync(ct);
        await using var tx = await TenantSession.BeginReadOnlyAsync(conn, clientId, TimeSpan.FromSeconds(60), ct);
        await using var cmd = new NpgsqlCommand(Pin(sql), conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var rows = new List<IReadOnlyList<Cell>>();
        while (await reader.ReadAsync(ct))
        {
            var row = new Cell[columns.Count];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = Cell.FromValue(reader.IsDBNull(i) ? null : reader.GetValue(i));
            }
            rows.Add(row);
        }
        return new ResultTable(columns, rows);
    }

    /// <summary>The SQL with "today" pinned to <c>now</c> when one was given.</summary>
    public string Pin(string sql)
    {
        if (now is not { } t)
        {
            return sql;
        }
        var utc = t.ToUniversalTime();
        var date = $"DATE '{utc:yyyy-MM-dd}'";
        var instant = $"TIMESTAMPTZ '{utc:yyyy-MM-dd HH:mm:ss.ffffff}+00'";
        return Now().Replace(CurrentDate().Replace(sql, date), instant);
    }

    public ValueTask DisposeAsync() => _replica.DisposeAsync();

    [GeneratedRegex(@"\bcurrent_date\b", RegexOptions.IgnoreCase)]
    private static partial Regex CurrentDate();

    [GeneratedRegex(@"\bnow\(\)|\bcurrent_timestamp\b", RegexOptions.IgnoreCase)]
    private static partial Regex Now();
}
