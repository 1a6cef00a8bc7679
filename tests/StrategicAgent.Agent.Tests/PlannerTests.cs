using System.Globalization;
using Npgsql;
using StrategicAgent.Agent.Domain.Planning;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The offline planner against hand-written SQL on the demo data: the planner's parameterised SQL
/// runs through the agent's executor (replica, sa_query, RLS, READ ONLY) and must return the same
/// rows as the expected SQL (run as the owner with explicit tenant filters).
/// </summary>
public sealed class PlannerTests(AgentFixture db, ITestOutputHelper output)
{
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (q, m, sql) in PlannerCases.All())
        {
            data.Add(q, m, sql);
        }
        return data;
    }

    public static TheoryData<string> OutOfScope() => [.. PlannerCases.OutOfScope()];

    [Fact]
    public void There_are_at_least_60_questions_over_every_family()
    {
        var cases = PlannerCases.All().ToList();
        Assert.True(cases.Count >= 60, $"{cases.Count} questions");
        var families = cases.Select(c => SemanticModel.Default.Metric(c.Metric).Family).ToHashSet();
        Assert.Superset(new HashSet<string> { "issues", "lead_time", "throughput", "story_points", "epics", "pull_requests", "rework", "dora" }, families);
        Assert.Subset(SemanticModel.Default.Metrics.Select(m => m.Name).ToHashSet(), cases.Select(c => c.Metric).ToHashSet());
        Assert.True(PlannerCases.OutOfScope().Count() >= 15);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Planner_answers_like_hand_written_sql(string question, string metric, string expectedSql)
    {
        var ct = TestContext.Current.CancellationToken;
        var vocabulary = await db.Vocabulary().GetAsync(AgentFixture.Tenant, ct);
        var today = DateOnly.FromDateTime(AgentFixture.Now.UtcDateTime);
        var parsed = QuestionParser.Parse(question, vocabulary, today);
        var outcome = Planner.Plan(parsed, null, today);
        Assert.True(outcome.Plan is not null, $"not planned: {outcome.Refusal} {outcome.Reason}");
        var plan = outcome.Plan!;
        output.WriteLine(plan.Describe());
        Assert.Equal(metric, plan.Metric.Name);

        var compiled = SqlCompiler.Compile(plan, AgentFixture.Tenant);
        output.WriteLine(compiled.RenderLiteral());
        Assert.DoesNotContain("'Payments'", compiled.Sql, StringComparison.Ordinal);
        var actual = await db.Executor().ExecuteAsync(AgentFixture.Tenant, compiled.Sql, compiled.Parameters, ct);
        var expected = await RunExpectedAsync(expectedSql, ct);

        Assert.Contains(metric, actual.Columns);
        Assert.True(expected.Count > 0, "the expected query returned no rows: the case tests nothing");
        var actualRows = actual.Rows.ToList();
        if (plan.ShowsTies)
        {
            // A cut WITH TIES orders by the value alone: rows tied on it come in any order, so both sides are compared by label.
            expected = [.. expected.OrderBy(Label, StringComparer.Ordinal)];
            actualRows = [.. actualRows.OrderBy(Label, StringComparer.Ordinal)];
        }
        Assert.True(expected.Count == actualRows.Count, $"expected {expected.Count} rows, got {actualRows.Count}");
        for (var r = 0; r < expected.Count; r++)
        {
            Assert.True(expected[r].Length == actualRows[r].Length, $"row {r}: expected {expected[r].Length} columns, got {actualRows[r].Length} ({string.Join(", ", actual.Columns)})");
            for (var c = 0; c < expected[r].Length; c++)
            {
                Assert.True(Same(expected[r][c], actualRows[r][c]),
                    $"row {r} column {actual.Columns[c]}: expected {Show(expected[r][c])}, got {Show(actualRows[r][c])}");
            }
        }
        // Something to look at besides counts: at least one non-trivial value.
        Assert.Contains(actual.Rows, row => row.Any(v => v is not null));
    }

    [Fact]
    public async Task Every_planner_question_passes_the_real_validation_service_and_result_check()
    {
        var ct = TestContext.Current.CancellationToken;
        var loop = await LoopHarness.LoopAsync(db, new Ai.OfflineSqlGenerator(db.LoopOptions()));
        var problems = new List<string>();
        foreach (var (question, _, _) in PlannerCases.All())
        {
            var answer = await loop.AskAsync(new Domain.Loop.AskInput(question, AgentFixture.Tenant, null), null, ct);
            var bad = answer.Trace.Where(t => t.Verdict is Domain.Loop.Verdict.Fail or Domain.Loop.Verdict.Warn).ToList();
            if (answer.Status != Domain.Loop.AnswerStatus.Answered || bad.Count > 0)
            {
                problems.Add($"{question}: {answer.Status} {string.Join("; ", bad.Select(t => $"{t.Stage} {t.Verdict} {t.Detail}"))}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task A_top_n_keeps_every_row_tied_at_the_cut()
    {
        // On the demo data, a cut N where the N-th and the (N+1)-th row have the same value: the top N is every row with at
        // least the N-th's value (FETCH FIRST N ROWS WITH TIES), never N of them picked by name.
        var ct = TestContext.Current.CancellationToken;
        var vocabulary = await db.Vocabulary().GetAsync(AgentFixture.Tenant, ct);
        var today = DateOnly.FromDateTime(AgentFixture.Now.UtcDateTime);
        var candidates = new (string Question, string Sql)[]
        {
            ("top {0} assignees by issues created last month",
                "SELECT u.name, count(*) FROM issues i JOIN users u ON u.id = i.assignee_id WHERE i.client_id = 1 AND i.active AND i.created >= '2026-10-01+00' AND i.created < '2026-11-01+00' GROUP BY 1 ORDER BY 2 DESC"),
            ("Which {0} authors merged the most pull requests last month?",
                "SELECT u.name, count(*) FROM pull_requests pr JOIN users u ON u.id = pr.author_id WHERE pr.client_id = 1 AND pr.active AND pr.merged_at >= '2026-10-01+00' AND pr.merged_at < '2026-11-01+00' GROUP BY 1 ORDER BY 2 DESC"),
        };
        var checkedTies = 0;
        foreach (var (template, sql) in candidates)
        {
            var all = await RunExpectedAsync(sql, ct);
            for (var n = 2; n < Math.Min(all.Count, 12); n++)
            {
                var cut = Convert.ToInt64(all[n - 1][1], CultureInfo.InvariantCulture);
                if (Convert.ToInt64(all[n][1], CultureInfo.InvariantCulture) != cut)
                {
                    continue;
                }
                var question = string.Format(CultureInfo.InvariantCulture, template, n);
                var outcome = Planner.Plan(QuestionParser.Parse(question, vocabulary, today), null, today);
                Assert.True(outcome.Plan is not null, $"'{question}' not planned: {outcome.Refusal} {outcome.Reason}");
                var plan = outcome.Plan!;
                Assert.Equal((n, true), (plan.Limit, plan.ShowsTies));
                var compiled = SqlCompiler.Compile(plan, AgentFixture.Tenant);
                Assert.EndsWith($"FETCH FIRST {n} ROWS WITH TIES", compiled.Sql, StringComparison.Ordinal);
                Assert.Contains($"top {n} by", Reading.Of(plan, today), StringComparison.Ordinal);
                Assert.Contains("ties kept", Reading.Of(plan, today), StringComparison.Ordinal);
                var rows = await db.Executor().ExecuteAsync(AgentFixture.Tenant, compiled.Sql, compiled.Parameters, ct);
                var kept = all.Where(r => Convert.ToInt64(r[1], CultureInfo.InvariantCulture) >= cut).Select(r => (string)r[0]!).Order(StringComparer.Ordinal).ToList();
                Assert.True(kept.Count > n, $"'{question}': no tie beyond the cut");
                Assert.Equal(kept, rows.Rows.Select(r => (string)r[0]!).Order(StringComparer.Ordinal).ToList());
                output.WriteLine($"'{question}': {rows.Rows.Count} rows for a top {n} (tie at {cut})");
                checkedTies++;
                break;
            }
        }
        Assert.True(checkedTies > 0, "no tie at a top-N cut in the demo data for any candidate: the test checks nothing");
    }

    [Theory]
    [MemberData(nameof(OutOfScope))]
    public async Task Questions_outside_the_catalog_are_refused(string question)
    {
        var vocabulary = await db.Vocabulary().GetAsync(AgentFixture.Tenant, TestContext.Current.CancellationToken);
        var today = DateOnly.FromDateTime(AgentFixture.Now.UtcDateTime);
        var outcome = Planner.Plan(QuestionParser.Parse(question, vocabulary, today), null, today);
        Assert.Null(outcome.Plan);
        Assert.NotEqual(RefusalKind.None, outcome.Refusal);
        output.WriteLine($"{outcome.Refusal}: {outcome.Reason}");
    }

    private Task<List<object?[]>> RunExpectedAsync(string sql, CancellationToken ct) => db.RowsAsOwnerAsync(sql, ct);

    /// <summary>The row's text cells (its label, a listing's key and title), in order.</summary>
    private static string Label(object?[] row) => string.Join("\u0001", row.Where(v => v is not null && Number(v) is null).Select(Show));

    private static bool Same(object? expected, object? actual)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null;
        }
        if (Number(expected) is { } e && Number(actual) is { } a)
        {
            // The planner rounds (2 decimals; 1 for percentages, 3 for frequencies); the expected SQL does not.
            return Math.Abs(e - a) <= 0.051 + Math.Abs(e) * 1e-9;
        }
        return string.Equals(Show(expected), Show(actual), StringComparison.Ordinal);
    }

    private static double? Number(object v) => v switch
    {
        decimal d => (double)d,
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        short s => s,
        _ => null,
    };

    private static string Show(object? v) => v switch
    {
        null => "null",
        DateTime d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
