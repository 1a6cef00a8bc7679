using System.Globalization;
using Grpc.Net.Client;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Evaluation;
using StrategicAgent.Protos.Validation.V1;
using StrategicAgent.Testing;
using StrategicAgent.Validation.Parsing;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The validation service's tie stage on the agent's real compiled SQL, over gRPC as the agent calls it. The agent validates
/// its query with the values inlined (<see cref="CompiledQuery.RenderLiteral"/>: the cost stage's EXPLAIN needs them), so the
/// tie probe runs on it: a top N cut through a real tie of the fixture's data fails with <c>tie_at_limit</c>, the same top N
/// keeping its ties passes. SQL sent with <c>$n</c> parameters (no values: another caller) cannot be probed, so a top N of it
/// must keep its ties structurally, else <c>tie_not_kept</c>.
/// </summary>
public sealed class TieStageTests(AgentFixture db, ITestOutputHelper output)
{
    [Fact]
    public async Task The_agents_top_n_is_probed_for_ties_and_sql_with_parameters_must_keep_them()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new ValidationService.ValidationServiceClient(GrpcChannel.ForAddress(await db.ValidationAddressAsync()).As(AgentFixture.Tenant));
        var vocabulary = await db.Vocabulary().GetAsync(AgentFixture.Tenant, ct);
        var today = DateOnly.FromDateTime(AgentFixture.Now.UtcDateTime);
        await using var gold = new GoldRunner(db.ReplicaConnectionString, AgentFixture.Tenant, AgentFixture.Now);
        CompiledQuery Compile(string question) =>
            SqlCompiler.Compile(Planner.Plan(QuestionParser.Parse(question, vocabulary, today), null, today).Plan
                ?? throw new InvalidOperationException($"'{question}' was not planned"), AgentFixture.Tenant);

        // Where the fixture's ranking ties: every assignee by open issues, as the agent ranks them.
        var ranked = SqlTopN.Find(Compile("Which 5 assignees have the most open issues?").RenderLiteral())!;
        var keyColumn = (await gold.QueryAsync(ranked.Uncut + " LIMIT 1", ct)).Columns.Count - 1;
        var all = (await gold.QueryAsync(ranked.Uncut, ct)).Rows;
        var n = Enumerable.Range(2, Math.Max(0, all.Count - 2)).FirstOrDefault(k => all[k - 1][keyColumn] == all[k][keyColumn]);
        Assert.True(n > 0, "the fixture should have two assignees tied on open issues");
        var question = $"Which {n} assignees have the most open issues?";
        var compiled = Compile(question);
        output.WriteLine($"{question}\n{compiled.Sql}");
        Assert.True(SqlTopN.Find(compiled.Sql)!.HasParameters, "the agent's compiled SQL has parameters");

        // As the agent sends it: values inlined. Its ties kept or cut, whichever form the compiler chose, and the other form.
        var literal = SqlTopN.Find(compiled.RenderLiteral())!;
        Assert.Equal(n, literal.Count);
        var kept = literal.WithTies ? compiled.RenderLiteral() : literal.KeepingTies(keys: 1);
        var cut = literal.WithTies ? literal.CutTo(n) : compiled.RenderLiteral();
        var keptReport = await ValidateAsync(kept);
        Assert.True(keptReport.Valid, Why(keptReport));
        var cutReport = await ValidateAsync(cut);
        Assert.False(cutReport.Valid);
        Assert.Equal("tie_at_limit", Assert.Single(cutReport.Errors).Code);

        // The same SQL with its parameters and no values: the probe cannot run; a cut that does not keep its ties is refused.
        var parameterized = SqlTopN.Find(compiled.Sql)!;
        var keptWithParameters = await ValidateAsync(parameterized.WithTies ? compiled.Sql : parameterized.KeepingTies(keys: 1));
        Assert.DoesNotContain(keptWithParameters.Errors, e => e.Code is "tie_not_kept" or "tie_at_limit");
        var cutWithParameters = await ValidateAsync(parameterized.WithTies ? parameterized.CutTo(n) : compiled.Sql);
        Assert.Contains(cutWithParameters.Errors, e => e.Code == "tie_not_kept");
        Assert.Contains($"FETCH FIRST {n} ROWS WITH TIES", cutWithParameters.Errors.Single(e => e.Code == "tie_not_kept").Message, StringComparison.Ordinal);

        async Task<ValidationReport> ValidateAsync(string sql)
        {
            var report = await client.ValidateSemanticsAsync(new ValidateSqlRequest
            {
                Sql = sql,
                Question = question,
                Today = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            }, cancellationToken: ct);
            output.WriteLine($"{(report.Valid ? "valid" : "refused")}: {sql.ReplaceLineEndings(" ")}\n  {Why(report)}");
            return report;
        }
    }

    private static string Why(ValidationReport r) => string.Join(" | ", r.Errors.Select(e => $"{e.Code}: {e.Message}")) + " " + r.Judge?.Justification;
}
