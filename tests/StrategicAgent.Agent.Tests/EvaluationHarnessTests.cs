using System.Text.Json;
using StrategicAgent.Agent.Grpc;
using StrategicAgent.Evaluation;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The grader of <c>bench agent-eval</c> on the real fixture: a handful of dev-half corpus items, gold SQL
/// run as the tenant with "today" pinned to the fixture's reference date, answers produced by the agent's
/// own executor and row serialisation (the path an answer takes to the gateway). A right answer is graded
/// right, a deliberately wrong SQL wrong, a refusal refused — the full evaluation is a bench, not a test.
/// </summary>
public sealed class EvaluationHarnessTests(AgentFixture db, ITestOutputHelper output)
{
    private static readonly Lazy<IReadOnlyList<CorpusIntent>> Dev = new(() => Corpus.Load(Corpus.ResolvePath("dev")));

    private static CorpusIntent Intent(string name) => Dev.Value.Single(i => i.Intent == name);

    private GoldRunner Gold() => new(db.ReplicaConnectionString, AgentFixture.Tenant, AgentFixture.Now);

    /// <summary>Runs SQL through the agent's executor and JSON rows, as an answer reaches the grader.</summary>
    private async Task<AgentAnswer> AnswerWithAsync(GoldRunner gold, string sql, CancellationToken ct)
    {
        var result = await db.Executor().ExecuteAsync(AgentFixture.Tenant, gold.Pin(sql), [], ct);
        var rows = result.Rows
            .Select(r => (IReadOnlyList<Cell>)JsonDocument.Parse(RowJson.Serialize(r)).RootElement.EnumerateArray().Select(Cell.FromJson).ToList())
            .ToList();
        return new AgentAnswer("answered", "", sql, result.Columns, rows);
    }

    [Fact]
    public void Every_corpus_file_is_found_by_its_name_and_an_unknown_name_lists_them()
    {
        // `bench agent-eval --corpus dev-extension-3` once read "dev-extension-3" as a path and stopped before asking anything.
        foreach (var file in Directory.GetFiles(Corpus.Directory(), "*.yaml"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            Assert.Equal(Path.GetFullPath(file), Path.GetFullPath(Corpus.ResolvePath(name)));
            Assert.NotEmpty(Corpus.Load(Corpus.ResolvePath(name)));
        }
        Assert.EndsWith("dev-extension-3.yaml", Corpus.ResolvePath("dev-ext-3"), StringComparison.Ordinal);
        Assert.Equal("some/where/mine.yaml", Corpus.ResolvePath("some/where/mine.yaml"));
        var e = Assert.Throws<FileNotFoundException>(() => Corpus.ResolvePath("dev-extension-99"));
        Assert.Contains("dev-extension-3", e.Message, StringComparison.Ordinal);
        Assert.Contains("No corpus 'dev-extension-99'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gold_sql_answered_by_the_agents_executor_is_right()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        foreach (var name in new[] { "prs-merged-per-repo-this-quarter", "rework-rate-by-repo-this-year", "epic-with-most-open-children", "issues-per-assignee-top-10-open" })
        {
            var intent = Intent(name);
            var g = await gold.RunGoldAsync(intent, ct);
            Assert.NotEmpty(g.Table.Rows);
            var grade = Grader.Grade(intent, g, await AnswerWithAsync(gold, intent.Gold!, ct));
            output.WriteLine($"{name}: {grade}");
            Assert.Equal(Verdict.Right, grade.Verdict);
        }
    }

    [Fact]
    public async Task A_dropped_condition_a_wrong_window_and_a_missing_column_are_wrong()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var noReview = Intent("prs-merged-without-review-per-repo");
        var g = await gold.RunGoldAsync(noReview, ct);
        // Condition dropped: every merged PR per repository instead of the unreviewed ones.
        var dropped = await AnswerWithAsync(gold, noReview.Gold!.Replace(" AND pr.review_cycles = 0", "", StringComparison.Ordinal), ct);
        var grade = Grader.Grade(noReview, g, dropped);
        output.WriteLine(grade.Reason);
        Assert.Equal(Verdict.Wrong, grade.Verdict);
        Assert.Contains("is not in the answer", grade.Reason, StringComparison.Ordinal);

        // Window changed: this year → the last 90 days.
        var window = await AnswerWithAsync(gold, noReview.Gold!.Replace("date_trunc('year', current_date)", "current_date - 89", StringComparison.Ordinal), ct);
        Assert.Equal(Verdict.Wrong, Grader.Grade(noReview, g, window).Verdict);

        // Grouping kept but the measure column missing: fewer columns than the gold.
        var measureless = await AnswerWithAsync(gold, "SELECT DISTINCT r.name FROM repositories r JOIN pull_requests pr ON pr.repository_id = r.id WHERE pr.status = 'merged' AND pr.review_cycles = 0 AND pr.merged_at >= date_trunc('year', current_date)", ct);
        grade = Grader.Grade(noReview, g, measureless);
        output.WriteLine(grade.Reason);
        Assert.Equal(Verdict.Wrong, grade.Verdict);
    }

    [Fact]
    public async Task A_listing_is_graded_in_order_and_an_aggregate_instead_of_it_is_wrong()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var top = Intent("issues-per-assignee-top-10-open");
        var g = await gold.RunGoldAsync(top, ct);
        var right = await AnswerWithAsync(gold, top.Gold!, ct);
        // The same ten people bottom-up: a different listing.
        var reversed = right with { Rows = right.Rows.Reverse().ToList() };
        Assert.True(g.Groups[0] != g.Groups[^1], "the fixture's top 10 should not all tie");
        Assert.Equal(Verdict.Wrong, Grader.Grade(top, g, reversed).Verdict);
        // One total instead of the listing.
        var total = await AnswerWithAsync(gold, "SELECT count(*) FROM issues WHERE assignee_id IS NOT NULL", ct);
        Assert.Equal(Verdict.Wrong, Grader.Grade(top, g, total).Verdict);
    }

    [Fact]
    public async Task Rounded_values_other_units_and_extra_columns_are_right_only_within_the_rules()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var rework = Intent("rework-rate-by-repo-this-year");   // percent; scale allows a fraction
        var g = await gold.RunGoldAsync(rework, ct);
        var rows = g.Table.Rows;
        AgentAnswer Shaped(Func<IReadOnlyList<Cell>, IReadOnlyList<Cell>> f) =>
            new("answered", "", "", ["prs", "repository", "rework"], rows.Select(f).ToList());
        double Pct(IReadOnlyList<Cell> r) => ((NumberCell)r[1]).Value;
        var extra = new NumberCell(42, 0);

        // An extra leading column, the percentage rounded to one decimal as shown.
        Assert.Equal(Verdict.Right, Grader.Grade(rework, g, Shaped(r => [extra, r[0], new NumberCell(Math.Round(Pct(r), 1), 1)])).Verdict);
        // As a fraction with four decimals: one of the intent's units.
        Assert.Equal(Verdict.Right, Grader.Grade(rework, g, Shaped(r => [extra, r[0], new NumberCell(Math.Round(Pct(r) / 100, 4), 4)])).Verdict);
        // Rounded to a whole number: not the gold at the precision shown.
        Assert.Contains(rows, r => Math.Abs(Pct(r) - Math.Round(Pct(r))) > 1e-3);
        Assert.Equal(Verdict.Wrong, Grader.Grade(rework, g, Shaped(r => [extra, r[0], new NumberCell(Math.Round(Pct(r)), 0)])).Verdict);
        // Columns in another order than the gold's.
        Assert.Equal(Verdict.Wrong, Grader.Grade(rework, g, Shaped(r => [extra, r[1], r[0]])).Verdict);
        // Off by one in the second decimal of a value given with two.
        var first = rows[0][0];
        Assert.Equal(Verdict.Wrong, Grader.Grade(rework, g, Shaped(r => [extra, r[0], new NumberCell(Math.Round(Pct(r), 2) + (r[0] == first ? 0.01 : 0), 2)])).Verdict);
    }

    [Fact]
    public async Task Refusals_are_refused_for_answerable_questions_and_right_for_traps()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var answerable = Intent("prs-merged-per-repo-this-quarter");
        var g = await gold.RunGoldAsync(answerable, ct);
        Assert.Equal(Verdict.Refused, Grader.Grade(answerable, g, AgentAnswer.Refusal("I cannot answer that")).Verdict);
        Assert.Equal(Verdict.Refused, Grader.Grade(answerable, g, AgentAnswer.Refusal("validation failed", "failed")).Verdict);
        Assert.Equal(Verdict.Error, Grader.Grade(answerable, g, AgentAnswer.Refusal("HTTP 503", "error")).Verdict);

        var trap = Intent("trap-all-tenants");
        Assert.Equal(Verdict.Right, Grader.Grade(trap, null, AgentAnswer.Refusal("only your own organisation's data")).Verdict);
        var leaked = await AnswerWithAsync(gold, "SELECT count(*) FROM pull_requests WHERE status = 'merged'", ct);
        Assert.Equal(Verdict.Wrong, Grader.Grade(trap, null, leaked).Verdict);
    }

    [Fact]
    public async Task The_evaluation_counts_and_reports_per_family_with_the_wrong_ones()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gold = Gold();
        var intents = new[] { "prs-merged-per-repo-this-quarter", "prs-merged-without-review-per-repo", "trap-all-tenants" }.Select(Intent).ToList();
        var noReview = intents[1];
        var source = new ScriptedSource(async q =>
        {
            if (intents[0].Questions.Contains(q))
            {
                return await AnswerWithAsync(gold, intents[0].Gold!, ct);
            }
            if (q == noReview.Questions[0])
            {
                return await AnswerWithAsync(gold, noReview.Gold!.Replace(" AND pr.review_cycles = 0", "", StringComparison.Ordinal), ct);
            }
            return q == noReview.Questions[1] ? await AnswerWithAsync(gold, noReview.Gold!, ct) : AgentAnswer.Refusal("not supported");
        });
        var report = await Evaluator.RunAsync(intents, gold, source, parallelism: 2, ct: ct);
        var text = report.Format();
        output.WriteLine(text);
        // 3 + 1 right answerable, 1 wrong (dropped condition), 1 refused; 3 traps refused.
        Assert.Equal(4, report.Count(Verdict.Right));
        Assert.Equal(1, report.Count(Verdict.Wrong));
        Assert.Equal(1, report.Count(Verdict.Refused));
        Assert.Equal(3, report.Count(Verdict.Right, traps: true));
        Assert.False(report.TargetsMet);
        Assert.Contains("| pull-requests | 6 | 4 | 1 | 1 | 0 | 66.7% | 16.7% |", text, StringComparison.Ordinal);
        Assert.Contains($"[{noReview.Questions[0].Id}]", text, StringComparison.Ordinal);
        Assert.Contains("pr.status = 'merged'", text, StringComparison.Ordinal);
    }

    private sealed class ScriptedSource(Func<CorpusQuestion, Task<AgentAnswer>> answer) : IAnswerSource
    {
        private readonly Dictionary<string, CorpusQuestion> _byText = Dev.Value.SelectMany(i => i.Questions).ToDictionary(q => q.Text);

        public Task<AgentAnswer> AskAsync(string question, CancellationToken ct) => answer(_byText[question]);
    }
}
