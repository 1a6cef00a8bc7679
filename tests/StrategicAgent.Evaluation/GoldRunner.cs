using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using StrategicAgent.Data;

namespace StrategicAgent.Evaluation;

/// <summary>Rows with their column names, values reduced to <see cref="Cell"/>s.</summary>
public sealed record ResultTable(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<Cell>> Rows);

/// <summary>
/// What the gold SQL of an intent returned. Columns whose name starts with <c>_</c> are hidden: an answer
/// need not show them; <c>_rank</c> is the ranking value of a listing (rows with equal rank may come in
/// any order, and rows that tie with the last one may stand in for it).
/// </summary>
public sealed record GoldResult(
    ResultTable Table,
    IReadOnlyList<int> Visible,
    int? RankColumn,
    int? Limit,
    IReadOnlyList<IReadOnlyList<Cell>> TiesBeyondLimit)
{
    /// <summary>Order matters only for a listing: gold with ORDER BY and a LIMIT (or FETCH FIRST n ROWS WITH TIES).</summary>
    public bool Ordered => Limit is not null;
}

/// <summary>
/// Runs SQL the way the agent's answers run: on the replica, as the tenant (<see cref="TenantSession"/>:
/// READ ONLY, role sa_query, row-level security), session time zone UTC. <paramref name="now"/> pins
/// "today": <c>current_date</c>, <c>now()</c> and <c>current_timestamp</c> in gold SQL become that
/// instant's literals (for data generated for another day, e.g. the tests' fixed reference date).
/// </summary>
public sealed partial class GoldRunner(string replicaConnectionString, long clientId, DateTimeOffset? now = null) : IAsyncDisposable
{
    private const int TieProbe = 100;

    private readonly NpgsqlDataSource _replica = new NpgsqlDataSourceBuilder(
        new NpgsqlConnectionStringBuilder(replicaConnectionString) { Timezone = "UTC" }.ConnectionString).Build();

    public long ClientId => clientId;

    /// <summary>Runs an intent's gold SQL (and, for a ranked listing, looks for ties beyond its limit).</summary>
    public async Task<GoldResult> RunGoldAsync(CorpusIntent intent, CancellationToken ct)
    {
        var sql = intent.Gold ?? throw new ArgumentException($"intent '{intent.Intent}' has no gold SQL (it must be refused)", nameof(intent));
        var table = await QueryAsync(sql, ct);
        var visible = Enumerable.Range(0, table.Columns.Count).Where(i => !table.Columns[i].StartsWith('_')).ToList();
        var rank = table.Columns.ToList().FindIndex(c => c == "_rank") is var r and >= 0 ? r : (int?)null;
        // A top N that keeps its ties (FETCH FIRST n ROWS WITH TIES) is a listing too, with every tied row already in it.
        var withTies = TrailingWithTies().Match(sql);
        int? limit = (TrailingLimit().Match(sql) is { Success: true } m ? m : withTies) is { Success: true } cut && OrderBy().IsMatch(sql)
            ? int.Parse(cut.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;
        IReadOnlyList<IReadOnlyList<Cell>> ties = [];
        if (limit is { } n && !withTies.Success && rank is { } rk && table.Rows.Count == n && n > 0)
        {
            var wider = await QueryAsync(TrailingLimit().Replace(sql, $"LIMIT {n + TieProbe}"), ct);
            var last = table.Rows[^1][rk];
            ties = wider.Rows.Skip(n).Where(row => row[rk] == last).ToList();
        }
        return new GoldResult(table, visible, rank, limit, ties);
    }

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

    [GeneratedRegex(@"\bLIMIT\s+(\d+)\s*;?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex TrailingLimit();

    [GeneratedRegex(@"\bFETCH\s+FIRST\s+(\d+)\s+ROWS?\s+WITH\s+TIES\s*;?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex TrailingWithTies();

    [GeneratedRegex(@"\bORDER\s+BY\b", RegexOptions.IgnoreCase)]
    private static partial Regex OrderBy();

    [GeneratedRegex(@"\bcurrent_date\b", RegexOptions.IgnoreCase)]
    private static partial Regex CurrentDate();

    [GeneratedRegex(@"\bnow\(\)|\bcurrent_timestamp\b", RegexOptions.IgnoreCase)]
    private static partial Regex Now();
}
