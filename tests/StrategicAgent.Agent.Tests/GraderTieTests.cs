using StrategicAgent.Evaluation;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The grader's rule for ties at a top N's cut, on a real tie of the fixture's data (open issues per assignee): an answer is
/// right when it holds the gold's rows plus only rows that tie with the gold's last one on the gold's ordering, and rows tied
/// on the ordering compare as a set. The tie-closed rows come from the gold itself, run with <c>FETCH FIRST n ROWS WITH TIES</c>.
/// </summary>
public sealed class GraderTieTests(AgentFixture db, ITestOutputHelper output)
{
    private const string Ranked = """
        SELECT u.name AS assignee, count(*) AS issues
        FROM issues i JOIN users u ON u.id = i.assignee_id
        WHERE i.active
        GROUP BY u.name
        ORDER BY count(*) DESC
        """;

    private static CorpusIntent Intent(string gold) => new()
    {
        Intent = "test-assignees-top-n",
        Family = "issues",
        Gold = gold,
        Questions = [new CorpusQuestion("test-assignees-top-n/1", "Which assignees have the most issues?")],
    };

    private static AgentAnswer Answer(IEnumerable<IReadOnlyList<Cell>> rows) => new("answered", "", "", ["assignee", "issues"], rows.ToList());

    /// <summary>Every assignee by issue count, and the first cut n (≥ 2) whose n-th and (n+1)-th rows tie while the first row does not.</summary>
    private static async Task<(IReadOnlyList<IReadOnlyList<Cell>> All, int N)> TieAsync(GoldRunner gold, CancellationToken ct)
    {
        var all = (await gold.QueryAsync(Ranked, ct)).Rows;
        var n = Enumerable.Range(2, Math.Max(0, all.Count - 2)).FirstOrDefault(k => all[k - 1][1] == all[k][1] && all[0][1] != all[k][1]);
        Assert.True(n > 0, "the fixture should have two assignees with the same issue count below the first place");
        return (all, n);
    }

    private GoldRunner Gold() => new(db.ReplicaConnectionString, AgentFixture.Tenant, AgentFixture.Now);

    [Fact]
    public async Task A_cut_through_a_tie_accepts_the_tied_rows_in_any_order_and_nothing_else()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var (all, n) = await TieAsync(gold, ct);
        var intent = Intent(Ranked + $"\nLIMIT {n}");
        var g = await gold.RunGoldAsync(intent, ct);
        var last = all[n - 1][1];
        var tiedFrom = Enumerable.Range(0, all.Count).First(i => all[i][1] == last);
        var tiedTo = Enumerable.Range(0, all.Count).Last(i => all[i][1] == last) + 1;
        output.WriteLine($"top {n}: rows {tiedFrom + 1}–{tiedTo} tie at {last}; the gold keeps {g.Table.Rows.Count}, {g.TiesBeyondLimit} more tie beyond it");
        Assert.Equal(tiedTo, g.Closed.Count);
        Assert.Equal(tiedTo - n, g.TiesBeyondLimit);

        var head = all.Take(tiedFrom).ToList();
        var tied = all.Skip(tiedFrom).Take(tiedTo - tiedFrom).ToList();
        // Every tied row, in the reverse of the gold's order (WITH TIES, as the agent answers a top N).
        Assert.Equal(Verdict.Right, Grader.Grade(intent, g, Answer(head.Concat(Enumerable.Reverse(tied)))).Verdict);
        // Exactly n rows with the other tied rows at the cut (the reverse order picks the ones the gold left out).
        var cutOther = head.Concat(Enumerable.Reverse(tied).Take(n - tiedFrom)).ToList();
        Assert.Equal(Verdict.Right, Grader.Grade(intent, g, Answer(cutOther)).Verdict);

        // A row that does not tie with the gold's last one added after the tied rows: wrong.
        if (tiedTo < all.Count)
        {
            var extra = Grader.Grade(intent, g, Answer(head.Concat(tied).Append(all[tiedTo])));
            output.WriteLine(extra.Reason);
            Assert.Equal(Verdict.Wrong, extra.Verdict);
        }
        // One row fewer than the gold: wrong.
        var missing = Grader.Grade(intent, g, Answer(all.Take(n - 1)));
        output.WriteLine(missing.Reason);
        Assert.Equal(Verdict.Wrong, missing.Verdict);
        // A non-tied row standing in for a tied one (the first row after the ties instead of the last tied one): wrong.
        if (tiedTo < all.Count)
        {
            var swapped = Grader.Grade(intent, g, Answer(all.Take(n - 1).Append(all[tiedTo])));
            output.WriteLine(swapped.Reason);
            Assert.Equal(Verdict.Wrong, swapped.Verdict);
        }
        // Rows that do not tie in another order: the first two places swapped (they differ: the first row ties with none below).
        var reordered = all.Take(n).ToList();
        (reordered[0], reordered[1]) = (reordered[1], reordered[0]);
        Assert.Equal(Verdict.Wrong, Grader.Grade(intent, g, Answer(reordered)).Verdict);
    }

    [Fact]
    public async Task A_gold_that_keeps_its_ties_needs_every_tied_row_in_any_order()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var (all, n) = await TieAsync(gold, ct);
        var intent = Intent(Ranked + $"\nFETCH FIRST {n} ROWS WITH TIES");
        var g = await gold.RunGoldAsync(intent, ct);
        Assert.Equal(0, g.TiesBeyondLimit);
        var last = all[n - 1][1];
        var tiedFrom = Enumerable.Range(0, all.Count).First(i => all[i][1] == last);
        var rows = g.Table.Rows.ToList();
        Assert.True(rows.Count > n, "the gold keeps the rows tied with its n-th");
        // The tied rows in the reverse of the gold's order: right.
        var reversed = rows.Take(tiedFrom).Concat(Enumerable.Reverse(rows.Skip(tiedFrom))).ToList();
        Assert.Equal(Verdict.Right, Grader.Grade(intent, g, Answer(reversed)).Verdict);
        // Cut to exactly n (a LIMIT settling the tie by whatever else orders the rows): wrong.
        var cut = Grader.Grade(intent, g, Answer(rows.Take(n)));
        output.WriteLine(cut.Reason);
        Assert.Equal(Verdict.Wrong, cut.Verdict);
    }

    [Fact]
    public async Task A_gold_with_a_stated_tie_break_is_graded_in_its_full_order()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var (all, n) = await TieAsync(gold, ct);
        // "…, ties broken by name": the name is part of the gold's ordering, so tied counts are no longer free in order.
        var intent = Intent(Ranked + $", u.name\nLIMIT {n + 1}");
        var g = await gold.RunGoldAsync(intent, ct);
        Assert.Equal(0, g.TiesBeyondLimit);
        var rows = g.Table.Rows.ToList();
        Assert.Equal(Verdict.Right, Grader.Grade(intent, g, Answer(rows)).Verdict);
        // Rows n and n + 1 tie on the count: in the other order they break the stated tie-break.
        (rows[n - 1], rows[n]) = (rows[n], rows[n - 1]);
        Assert.Equal(rows[n - 1][1], rows[n][1]);
        Assert.Equal(Verdict.Wrong, Grader.Grade(intent, g, Answer(rows)).Verdict);
    }
}
