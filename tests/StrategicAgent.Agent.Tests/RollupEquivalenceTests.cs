using System.Globalization;
using System.Text;
using Grpc.Net.Client;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Agent.Grpc;
using StrategicAgent.Evaluation;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The proof of the rollups (docs/agent.md, "The rollup lever"): every question of the dev side of the corpus whose plan
/// fits a rollup is compiled both ways — over the rollup (<see cref="RollupCompiler"/>) and over the base rows
/// (<see cref="SqlCompiler"/>) — with its own window and six others, and both run on the fixture's replica (the demo data
/// reached the rollups through the apply worker's triggers): the rows must be equal, cell by cell, in order (execution
/// equality, stricter than the grader's). The real validation service must accept the rollup SQL for the question whenever
/// it accepts the base SQL, and reject the rollup SQL's mutants that change the rows: the evaluation's mutants (a dropped
/// filter, a swapped measure, a dropped grouping, a changed period) and two of its own (the other day column — created for
/// completed — and another grouping key). Then every shape the rollups fit is swept the same way: each fitted measure
/// under every grouping of its rollup, each state it reads and a status-category filter (the rollups key by the status
/// category: Replica/0710). Prints what share of the answerable questions fits a rollup.
/// </summary>
public sealed class RollupEquivalenceTests(AgentFixture db, ITestOutputHelper output)
{
    /// <summary>Every dev file of the corpus (dev, dev-extension, -2, -3 …), never the test half.</summary>
    private static IEnumerable<string> DevSide() =>
        Directory.GetFiles(Corpus.Directory(), "dev*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal);

    [Fact]
    public async Task Every_fitting_dev_question_gives_the_same_rows_over_the_rollup_and_the_judge_reads_it_as_the_base()
    {
        var ct = TestContext.Current.CancellationToken;
        var channel = GrpcChannel.ForAddress(await db.ValidationAddressAsync());
        var client = new ValidationService.ValidationServiceClient(channel.As(AgentFixture.Tenant));
        await using var gold = new GoldRunner(db.ReplicaConnectionString, AgentFixture.Tenant, AgentFixture.Now);
        var vocabulary = await db.Vocabulary().GetAsync(AgentFixture.Tenant, ct);
        var today = DateOnly.FromDateTime(AgentFixture.Now.UtcDateTime);
        TimeWindow[] windows =
        [
            TimeWindow.LastDays(7, today), TimeWindow.LastDays(30, today), TimeWindow.LastDays(365, today),
            TimeWindow.Between(new DateOnly(2025, 1, 1), new DateOnly(2025, 4, 1), "q1_2025", "Q1 2025"),
            TimeWindow.Between(new DateOnly(2024, 11, 2), today.AddDays(1), "two_years", "two years"),
        ];
        var report = new StringBuilder();
        var failures = new List<string>();
        int planned = 0, fitted = 0, compared = 0, nonEmpty = 0, accepted = 0, baseAccepted = 0, mutants = 0, rejected = 0, equivalent = 0;
        var intents = new HashSet<string>(StringComparer.Ordinal);
        var fittedIntents = new HashSet<string>(StringComparer.Ordinal);
        var fittedPlans = new List<QueryPlan>();
        foreach (var half in DevSide())
        {
            foreach (var intent in Corpus.Load(Path.Combine(Corpus.Directory(), half + ".yaml")).Where(i => !i.IsTrap))
            {
                foreach (var q in intent.Questions)
                {
                    var outcome = Planner.Plan(QuestionParser.Parse(q.Text, vocabulary, today), null, today);
                    if (outcome.Plan is not { } plan)
                    {
                        continue;
                    }
                    planned++;
                    intents.Add(half + "/" + intent.Intent);
                    if (RollupCompiler.Fit(plan, SemanticModel.Default) is null)
                    {
                        Assert.Null(RollupCompiler.TryCompile(plan, AgentFixture.Tenant, SemanticModel.Default));
                        continue;
                    }
                    fitted++;
                    fittedIntents.Add(half + "/" + intent.Intent);
                    fittedPlans.Add(plan);

                    // Execution equality with the question's own window, six others and none.
                    foreach (var w in windows.Prepend(plan.Window).Append(null).Distinct())
                    {
                        compared++;
                        nonEmpty += await CompareAsync(plan with { Window = w }, $"[{intent.Intent}] {q.Text}", failures, ct) ? 1 : 0;
                    }

                    // The judge: the rollup SQL passes when the base SQL passes; its mutants that change the rows fail.
                    var rollupSql = RollupCompiler.TryCompile(plan, AgentFixture.Tenant, SemanticModel.Default)!.RenderLiteral();
                    var baseVerdict = await JudgeMutationTests.JudgeAsync(client, q.Text, SqlCompiler.Compile(plan, AgentFixture.Tenant).RenderLiteral(), today, ct);
                    var verdict = await JudgeMutationTests.JudgeAsync(client, q.Text, rollupSql, today, ct);
                    if (baseVerdict.Accepted)
                    {
                        baseAccepted++;
                        accepted += verdict.Accepted ? 1 : 0;
                        if (!verdict.Accepted)
                        {
                            failures.Add($"REJECTED rollup SQL the base passes [{intent.Intent}] {q.Text}\n  {JudgeMutationTests.Collapse(rollupSql)}\n  {verdict.Why}");
                        }
                    }
                    var correct = (await gold.QueryAsync(rollupSql, ct)).Rows;
                    foreach (var (kind, sql) in SqlMutator.Mutants(rollupSql).Select(m => (m.Kind.ToString(), m.Sql)).Concat(OwnMutants(rollupSql)))
                    {
                        ResultTable rows;
                        try
                        {
                            rows = await gold.QueryAsync(sql, ct);
                        }
                        catch (Npgsql.PostgresException)
                        {
                            continue; // a mutant that does not run is no answer
                        }
                        if (Same(rows.Rows, correct))
                        {
                            equivalent++;
                            continue;
                        }
                        mutants++;
                        var mv = await JudgeMutationTests.JudgeAsync(client, q.Text, sql, today, ct);
                        rejected += mv.Accepted ? 0 : 1;
                        if (mv.Accepted)
                        {
                            report.AppendLine(CultureInfo.InvariantCulture, $"ACCEPTED {kind} mutant [{intent.Intent}] {q.Text}\n  {JudgeMutationTests.Collapse(sql)}");
                        }
                    }
                }
            }
        }

        // Every shape the rollups fit, not only the ones the corpus's wordings reach: each fitted measure (metric and its
        // order, limit and window as a question asked them) under every grouping its rollup keeps and none, with no
        // condition, each state the rollup reads (done, not done, in progress, to do) and a status-category filter.
        int shapes = 0, shapeRows = 0;
        foreach (var seed in fittedPlans.GroupBy(p => (p.Metric.Name, p.Order, p.Limit.HasValue)).Select(g => g.First()))
        {
            var r = RollupCompiler.Fit(seed, SemanticModel.Default)!;
            var statuses = SemanticModel.Default.Binding(Dimension.Status, r.Entity)!.Values.Select(v => v.Value).ToList();
            (IReadOnlyList<Condition> Conditions, IReadOnlyList<EntityFilter> Filters)[] variants =
            [
                ([], []),
                .. r.Predicates.Select(p => ((IReadOnlyList<Condition>)[Condition.Of(p)], (IReadOnlyList<EntityFilter>)[])),
                ([], [new EntityFilter(FilterKind.Status, [statuses[^1]])]),
                ([], [new EntityFilter(FilterKind.Status, statuses[..2])]),
            ];
            foreach (var dimension in r.Dimensions.Prepend(Dimension.None))
            {
                foreach (var (conditions, filters) in variants)
                {
                    var shape = seed with { Dimension = dimension, Conditions = conditions, Filters = filters };
                    if (RollupCompiler.Fit(shape, SemanticModel.Default) is null)
                    {
                        continue;
                    }
                    foreach (var w in new[] { shape.Window, windows[2], null }.Distinct())
                    {
                        shapes++;
                        var what = $"[shape {seed.Metric.Name} by {dimension}, {string.Join(", ", conditions.Select(c => c.Predicate))} {string.Join(", ", filters.Select(f => string.Join("|", f.Values)))}]";
                        shapeRows += await CompareAsync(shape with { Window = w }, what, failures, ct) ? 1 : 0;
                    }
                }
            }
        }

        var summary = $"dev side: {fitted} of {planned} planned questions fit a rollup ({(double)fitted / Math.Max(1, planned):P1}; {fittedIntents.Count} of {intents.Count} intents); " +
                      $"{compared} compilations compared both ways ({nonEmpty} with more than one row); judge accepted {accepted}/{baseAccepted} rollup queries whose base query it accepts; " +
                      $"mutants rejected {rejected}/{mutants} = {(double)rejected / Math.Max(1, mutants):P1} ({equivalent} equivalent not counted); " +
                      $"shape sweep: {shapes} compilations compared both ways ({shapeRows} with more than one row)";
        output.WriteLine(summary);
        output.WriteLine(report.ToString());
        foreach (var f in failures)
        {
            output.WriteLine(f);
        }
        Assert.True(fitted >= 30, summary);
        Assert.True(shapes >= 100, summary);
        Assert.Empty(failures);
        Assert.True(rejected >= 0.95 * mutants, summary + "\n" + report);
    }

    /// <summary>A wrong key: the other day column (created ↔ completed, opened ↔ merged), and the team grouping read by project.</summary>
    private static IEnumerable<(string Kind, string Sql)> OwnMutants(string sql)
    {
        if (sql.Contains("FROM issues_completed_daily i", StringComparison.Ordinal))
        {
            yield return ("WrongDay", sql.Replace("issues_completed_daily", "issues_created_daily", StringComparison.Ordinal)
                .Replace("i.work_last_completed_at", "i.created", StringComparison.Ordinal).Replace("AND i.lead_time_n > 0", "", StringComparison.Ordinal)
                .Replace("i.lead_time_seconds_sum", "i.story_points_sum", StringComparison.Ordinal).Replace("i.lead_time_n", "i.story_points_n", StringComparison.Ordinal));
        }
        else if (sql.Contains("FROM issues_created_daily i", StringComparison.Ordinal))
        {
            yield return ("WrongDay", sql.Replace("issues_created_daily", "issues_completed_daily", StringComparison.Ordinal)
                .Replace("i.created", "i.work_last_completed_at", StringComparison.Ordinal));
        }
        if (sql.Contains("FROM pull_requests_merged_daily pr", StringComparison.Ordinal))
        {
            yield return ("WrongDay", sql.Replace("pull_requests_merged_daily", "pull_requests_created_daily", StringComparison.Ordinal)
                .Replace("pr.merged_at", "pr.created_at", StringComparison.Ordinal));
        }
        else if (sql.Contains("FROM pull_requests_created_daily pr", StringComparison.Ordinal))
        {
            yield return ("WrongDay", sql.Replace("pull_requests_created_daily", "pull_requests_merged_daily", StringComparison.Ordinal)
                .Replace("pr.created_at", "pr.merged_at", StringComparison.Ordinal));
        }
        if (sql.Contains("GROUP BY t.name", StringComparison.Ordinal))
        {
            yield return ("WrongKey", sql.Replace("t.name", sql.Contains("FROM pull_requests", StringComparison.Ordinal) ? "r.name" : "p.key", StringComparison.Ordinal));
        }
    }

    /// <summary>Runs the plan over the rollup and over the base rows; a difference is a failure. True when the rows are more than one.</summary>
    private async Task<bool> CompareAsync(QueryPlan p, string what, List<string> failures, CancellationToken ct)
    {
        var rollup = RollupCompiler.TryCompile(p, AgentFixture.Tenant, SemanticModel.Default)!;
        var rollupRows = await RowsAsync(rollup, p.ShowsTies, ct);
        var baseRows = await RowsAsync(SqlCompiler.Compile(p, AgentFixture.Tenant), p.ShowsTies, ct);
        if (rollupRows != baseRows)
        {
            failures.Add($"DIFFERENT rows {what} ({p.Window?.Label ?? "no window"})\n  rollup: {JudgeMutationTests.Collapse(rollup.RenderLiteral())}\n  rollup rows: {rollupRows}\n  base rows:   {baseRows}");
        }
        return baseRows.Contains(" ; ", StringComparison.Ordinal);
    }

    /// <summary>
    /// The rows, in order — but a ranking that shows its ties (<c>ORDER BY value FETCH FIRST n ROWS WITH TIES</c>) orders
    /// only by the value, so rows tied on it come in no defined order, over the base rows as over the rollup: compared as a set.
    /// </summary>
    private async Task<string> RowsAsync(CompiledQuery q, bool showsTies, CancellationToken ct)
    {
        var result = await db.Executor().ExecuteAsync(AgentFixture.Tenant, q.Sql, q.Parameters, ct);
        var rows = result.Rows.Select(RowJson.Serialize);
        return string.Join(", ", result.Columns) + " | " + string.Join(" ; ", showsTies ? rows.Order(StringComparer.Ordinal) : rows);
    }

    private static bool Same(IReadOnlyList<IReadOnlyList<Cell>> a, IReadOnlyList<IReadOnlyList<Cell>> b) =>
        a.Count == b.Count && a.Zip(b).All(x => x.First.Count == x.Second.Count && x.First.Zip(x.Second).All(c => Equals(c.First, c.Second)));
}
