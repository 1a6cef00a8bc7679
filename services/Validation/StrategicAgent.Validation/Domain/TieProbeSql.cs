using System.Globalization;
using System.Text.RegularExpressions;

namespace StrategicAgent.Validation.Domain;

/// <summary>
/// Ties at a top-N boundary. <c>ORDER BY x LIMIT n</c> keeps n rows; when row n and row n+1 have the same value of the first
/// ordering key, which of them is shown is decided by whatever else orders the rows (a name, the scan order) — not by the
/// question. The probe counts the rows the same query keeps with <c>FETCH FIRST n ROWS WITH TIES</c> over its first ordering
/// key alone: more than n means the cut went through a tie. Built from the SQL's text at the top level (outside parentheses,
/// quotes and comments); null when the query has no such cut or a form the probe does not rewrite (OFFSET, FETCH, parameters).
/// </summary>
public static partial class TieProbeSql
{
    public sealed record Probe(string Sql, long Limit, string FirstKey);

    public static Probe? Create(string sql)
    {
        var text = sql.TrimEnd().TrimEnd(';').TrimEnd();
        var top = TopLevel(text);
        var order = Last(text, top, OrderBy());
        var limit = Last(text, top, LimitWord());
        if (order is not { } o || limit is not { } l || l.Index < o.Index + o.Length
            || Last(text, top, OffsetOrFetch()) is not null || text.Contains('$', StringComparison.Ordinal))
        {
            return null;
        }
        if (LimitCount().Match(text, l.Index + l.Length) is not { Success: true } count || count.Index != l.Index + l.Length
            || text[(count.Index + count.Length)..].Trim().Length > 0
            || !long.TryParse(count.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            return null;
        }
        var keysStart = o.Index + o.Length;
        var comma = top.Where(i => i >= keysStart && i < l.Index && text[i] == ',').Cast<int?>().FirstOrDefault();
        var firstKey = text[keysStart..(comma ?? l.Index)].Trim();
        if (firstKey.Length == 0)
        {
            return null;
        }
        var probe = text[..keysStart] + firstKey + " FETCH FIRST " + n.ToString(CultureInfo.InvariantCulture) + " ROWS WITH TIES";
        return new Probe($"SELECT count(*) FROM ({probe}) AS tie_probe", n, firstKey);
    }

    /// <summary>The last match at the top level (not inside parentheses, quotes or comments) that starts a word.</summary>
    private static Match? Last(string text, HashSet<int> top, Regex regex) =>
        regex.Matches(text).LastOrDefault(m => top.Contains(m.Index) && (m.Index == 0 || !char.IsLetterOrDigit(text[m.Index - 1]) && text[m.Index - 1] != '_'));

    /// <summary>Positions outside parentheses, quotes and comments.</summary>
    private static HashSet<int> TopLevel(string text)
    {
        var top = new HashSet<int>();
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch is '\'' or '"')
            {
                var end = text.IndexOf(ch, i + 1);
                i = end < 0 ? text.Length : end;
                continue;
            }
            if (ch == '-' && i + 1 < text.Length && text[i + 1] == '-')
            {
                var end = text.IndexOf('\n', i);
                i = end < 0 ? text.Length : end;
                continue;
            }
            if (ch == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 1;
                continue;
            }
            if (ch == '(')
            {
                depth++;
                continue;
            }
            if (ch == ')')
            {
                depth--;
                continue;
            }
            if (depth == 0)
            {
                top.Add(i);
            }
        }
        return top;
    }

    [GeneratedRegex(@"order\s+by\s", RegexOptions.IgnoreCase)]
    private static partial Regex OrderBy();

    [GeneratedRegex(@"limit\s+", RegexOptions.IgnoreCase)]
    private static partial Regex LimitWord();

    [GeneratedRegex(@"(?:offset|fetch)\s", RegexOptions.IgnoreCase)]
    private static partial Regex OffsetOrFetch();

    [GeneratedRegex(@"(\d+)")]
    private static partial Regex LimitCount();
}

/// <summary>Counts the rows of a tie probe on the replica as the tenant; null when it cannot tell (no replica, an error, too slow).</summary>
public interface ITieProbe
{
    Task<long?> CountAsync(string probeSql, long clientId, CancellationToken ct);
}
