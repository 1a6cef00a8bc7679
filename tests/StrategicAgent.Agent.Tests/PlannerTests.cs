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
        Assert.True(expected.Count == actual.Rows.Count, $"expected {expected.Count} rows, got {actual.Rows.Count}");
        for (var r = 0; r < expected.Count; r++)
        {
            Assert.True(expected[r].Length == actual.Rows[r].Length, $"row {r}: expected {expected[r].Length} columns, got {actual.Rows[r].Length} ({string.Join(", ", actual.Columns)})");
            for (var c = 0; c < expected[r].Length; c++)
            {
                Assert.True(Same(expected[r][c], actual.Rows[r][c]),
                    $"row {r} column {actual.Columns[c]}: expected {Show(expected[r][c])}, got {Show(actual.Rows[r][c])}");
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

    private async Task<List<object?[]>> RunExpectedAsync(string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(db.ReplicaConnectionString + ";Timezone=UTC");
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(ct))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

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
