using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Validation.Domain;

/// <summary>
/// Ties at a top-N boundary. <c>ORDER BY x LIMIT n</c> keeps n rows; when row n and row n+1 have the same value of the first
/// ordering key, which of them is shown is decided by whatever else orders the rows (a name, the scan order) — not by the
/// question. The probe counts the rows the same query keeps with <c>FETCH FIRST n ROWS WITH TIES</c> over its first ordering
/// key alone: more than n means the cut went through a tie. The top-level order and cut are found on the parse tree
/// (<see cref="SqlTopN"/>); null when the query has no such cut, already keeps its ties, has an OFFSET, or has parameters (the
/// probe runs the query, and their values are not sent).
/// </summary>
public static class TieProbeSql
{
    public sealed record Probe(string Sql, long Limit, string FirstKey);

    public static Probe? Create(string sql) => SqlTopN.Find(sql) is { WithTies: false, HasParameters: false } top ? Create(top) : null;

    public static Probe Create(SqlTopN top) =>
        new($"SELECT count(*) FROM ({top.KeepingTies(keys: 1)}) AS tie_probe", top.Count, top.Keys[0]);
}

/// <summary>Counts the rows of a tie probe on the replica as the tenant; null when it cannot tell (no replica, an error, too slow).</summary>
public interface ITieProbe
{
    Task<long?> CountAsync(string probeSql, long clientId, CancellationToken ct);
}
