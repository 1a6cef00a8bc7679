using System.Globalization;

namespace StrategicAgent.Evaluation;

/// <summary>What the agent said, as the grader needs it.</summary>
/// <param name="Status">answered | refused | failed (as the agent says), or error (the call itself failed).</param>
public sealed record AgentAnswer(string Status, string Text, string Sql, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<Cell>> Rows)
{
    public bool Answered => Status == "answered";

    public static AgentAnswer Refusal(string text, string status = "refused") => new(status, text, "", [], []);

    public static AgentAnswer FromTable(ResultTable table, string sql = "") => new("answered", "", sql, table.Columns, table.Rows);
}

public enum Verdict
{
    /// <summary>Answerable and the result equals the gold; or a trap and it was refused.</summary>
    Right,

    /// <summary>An answerable question refused (or failed without a number): not wrong, never right.</summary>
    Refused,

    /// <summary>A result that differs from the gold, or an answer to a trap.</summary>
    Wrong,

    /// <summary>The call failed (transport, HTTP error): neither an answer nor the agent's refusal.</summary>
    Error,
}

public sealed record Grade(Verdict Verdict, string Reason);

/// <summary>
/// Execution accuracy as Spider/BIRD grade it: the answer's rows against the gold's rows, column names
/// ignored. Rules (tests/corpus/agent/README.md): the gold's visible columns must appear among the
/// answer's columns in the same order (extra columns allowed); rows compare as a multiset, or in order
/// for a listing (gold with ORDER BY and a cut): the answer holds the gold's rows plus only rows that tie
/// with the gold's last row on the gold's ordering, and rows tied on the ordering compare as a set (their
/// order free; <see cref="GoldResult.Closed"/>); values as <see cref="CellEquality"/> says, each numeric
/// column optionally in one of the intent's <see cref="CorpusIntent.Scale"/> units.
/// </summary>
public static class Grader
{
    private const int MaxColumnMappings = 5000;

    public static Grade Grade(CorpusIntent intent, GoldResult? gold, AgentAnswer answer)
    {
        if (answer.Status == "error")
        {
            return new Grade(Verdict.Error, "the call failed: " + answer.Text);
        }
        if (intent.IsTrap)
        {
            return answer.Answered
                ? new Grade(Verdict.Wrong, $"answered a question that must be refused ({intent.Refuse})")
                : new Grade(Verdict.Right, $"{answer.Status} as it must be");
        }
        if (!answer.Answered)
        {
            return new Grade(Verdict.Refused, $"{answer.Status}: {FirstLine(answer.Text)}");
        }
        ArgumentNullException.ThrowIfNull(gold);
        return Compare(intent, gold, answer);
    }

    private static Grade Compare(CorpusIntent intent, GoldResult gold, AgentAnswer answer)
    {
        var g = gold.Table;
        var k = gold.Visible.Count;
        var m = answer.Columns.Count;
        var goldRows = g.Rows.Count;
        // A listing may also show the rows that tie with the gold's last one (up to all of them), never fewer rows than the gold.
        var most = gold.Ordered ? gold.Closed.Count : goldRows;
        if (answer.Rows.Count < goldRows || answer.Rows.Count > most)
        {
            var tied = most > goldRows ? $" (and {most - goldRows} more tied with its last)" : "";
            return Wrong($"{Counted(answer.Rows.Count, "row")} where the gold has {goldRows}{tied}{Sample(g, gold.Visible)}");
        }
        if (goldRows == 0)
        {
            return new Grade(Verdict.Right, "no rows, as the gold");
        }
        if (m < k)
        {
            return Wrong($"{Counted(m, "column")} where the gold has {k} ({string.Join(", ", gold.Visible.Select(i => g.Columns[i]))})");
        }
        // Per gold column the scales to try: the intent's units for numeric columns, 1 for the rest.
        var scales = gold.Visible.Select(c => g.Rows.Any(r => r[c] is NumberCell) ? intent.Scale : (IReadOnlyList<double>)[1.0]).ToList();
        string? firstMismatch = null;
        var tried = 0;
        foreach (var mapping in Mappings(k, m))
        {
            if (++tried > MaxColumnMappings)
            {
                break;
            }
            foreach (var scale in Combinations(scales))
            {
                var mismatch = gold.Ordered ? MatchOrdered(gold, answer, mapping, scale) : MatchUnordered(gold, answer, mapping, scale);
                if (mismatch is null)
                {
                    var units = scale.Any(s => s != 1.0) ? $" (in units ×{string.Join("/", scale.Select(s => s.ToString("0.####", CultureInfo.InvariantCulture)))})" : "";
                    return new Grade(Verdict.Right, $"{Counted(goldRows, "row")} equal to the gold{units}");
                }
                firstMismatch ??= mismatch;
            }
        }
        return Wrong(firstMismatch ?? "no column of the answer matches the gold's");
    }

    private static Grade Wrong(string reason) => new(Verdict.Wrong, reason);

    /// <summary>Null when every gold row is matched by a distinct answer row; else the first gold row without a match.</summary>
    private static string? MatchUnordered(GoldResult gold, AgentAnswer answer, int[] mapping, double[] scale)
    {
        var rows = gold.Table.Rows;
        var matchOf = new int[answer.Rows.Count];
        Array.Fill(matchOf, -1);
        for (var gi = 0; gi < rows.Count; gi++)
        {
            if (!Augment(gi, new bool[answer.Rows.Count]))
            {
                return $"gold row {Show(rows[gi], gold.Visible)} is not in the answer (first answer row {Show(answer.Rows[0])})";
            }
        }
        return null;

        // Kuhn's augmenting path: a gold row takes a free equal answer row, or one whose holder can move.
        bool Augment(int gi, bool[] visited)
        {
            for (var ai = 0; ai < answer.Rows.Count; ai++)
            {
                if (visited[ai] || !RowEqual(rows[gi], answer.Rows[ai], gold.Visible, mapping, scale))
                {
                    continue;
                }
                visited[ai] = true;
                if (matchOf[ai] < 0 || Augment(matchOf[ai], visited))
                {
                    matchOf[ai] = gi;
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>
    /// Rows in the order of the gold's runs of tied rows (<see cref="GoldResult.Groups"/>): each run's rows in any order, the last
    /// run the answer reaches taken in part (the cut went through it: any of its rows may stand in for the gold's).
    /// </summary>
    private static string? MatchOrdered(GoldResult gold, AgentAnswer answer, int[] mapping, double[] scale)
    {
        var rows = gold.Closed;
        var ai = 0;
        for (var start = 0; start < rows.Count && ai < answer.Rows.Count;)
        {
            var end = start + 1;
            while (end < rows.Count && gold.Groups[end] == gold.Groups[start])
            {
                end++;
            }
            var used = new bool[end - start];
            for (var k = start; k < end && ai < answer.Rows.Count; k++, ai++)
            {
                var hit = Enumerable.Range(0, used.Length).FirstOrDefault(p => !used[p] && RowEqual(rows[start + p], answer.Rows[ai], gold.Visible, mapping, scale), -1);
                if (hit < 0)
                {
                    var tied = end - start > 1 ? $" (or another of the {end - start} rows tied with it)" : "";
                    return $"row {ai + 1} of the listing is {Show(answer.Rows[ai])}, the gold has {Show(rows[k], gold.Visible)} there{tied}";
                }
                used[hit] = true;
            }
            start = end;
        }
        return null;
    }

    private static bool RowEqual(IReadOnlyList<Cell> gold, IReadOnlyList<Cell> answer, IReadOnlyList<int> visible, int[] mapping, double[] scale)
    {
        for (var j = 0; j < visible.Count; j++)
        {
            if (!CellEquality.Equal(gold[visible[j]], answer[mapping[j]], scale[j]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Increasing index sequences: the gold's k columns placed among the answer's m, order kept.</summary>
    private static IEnumerable<int[]> Mappings(int k, int m)
    {
        var idx = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return (int[])idx.Clone();
            var i = k - 1;
            while (i >= 0 && idx[i] == m - k + i)
            {
                i--;
            }
            if (i < 0)
            {
                yield break;
            }
            idx[i]++;
            for (var j = i + 1; j < k; j++)
            {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }

    private static IEnumerable<double[]> Combinations(IReadOnlyList<IReadOnlyList<double>> choices)
    {
        IEnumerable<double[]> acc = [[]];
        foreach (var c in choices)
        {
            var current = c;
            acc = acc.SelectMany(prefix => current.Select(v => (double[])[.. prefix, v]));
        }
        // The plain units first, so a reason reports them.
        return acc.OrderBy(a => a.Count(s => s != 1.0));
    }

    private static string Sample(ResultTable t, IReadOnlyList<int> visible) =>
        t.Rows.Count == 0 ? "" : $" (gold first row {Show(t.Rows[0], visible)})";

    private static string Show(IReadOnlyList<Cell> row, IReadOnlyList<int>? visible = null) =>
        "[" + string.Join(", ", (visible ?? Enumerable.Range(0, row.Count).ToList()).Select(i => row[i].ToString())) + "]";

    private static string Counted(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 160 ? line : line[..160] + "…";
    }
}
