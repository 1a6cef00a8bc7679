using System.Diagnostics;
using StrategicAgent.Agent.Domain.Loop;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The loop with a scripted model: validation (gRPC, real service process), the replica, learning
/// memory on the primary are real. Tenant 1.
/// </summary>
public sealed class LoopTests(AgentFixture db, ITestOutputHelper output)
{
    private const string Question = "What is the average lead time by team?";

    [Fact]
    public async Task Bad_sql_then_fixed_succeeds_on_attempt_two_with_feedback_in_the_second_prompt()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = ScriptedChatClient.Replies(Sql.Fenced(Sql.LeadTimeByTeam(1, "team_name")), Sql.Fenced(Sql.LeadTimeByTeam(1)));
        var loop = await LoopHarness.LoopAsync(db, LoopHarness.Generator(model, db));

        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(2, answer.Attempts);
        Assert.Equal(2, model.Calls.Count);
        Assert.Contains(answer.Trace, t => t is { Attempt: 1, Stage: Stage.Static, Verdict: Verdict.Fail } && t.Detail.Contains("unknown_column", StringComparison.Ordinal));
        Assert.Contains(answer.Trace, t => t is { Attempt: 2, Stage: Stage.Execute, Verdict: Verdict.Pass });
        // The second prompt carries the structured feedback: code, message, the failed SQL.
        var second = model.Calls[1].User;
        Assert.Contains("unknown_column", second, StringComparison.Ordinal);
        Assert.Contains("failed SQL:", second, StringComparison.Ordinal);
        Assert.Contains("t.team_name", second, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown_column", model.Calls[0].User, StringComparison.Ordinal);
        // A real answer: the four active teams of Acme with their lead times.
        Assert.Equal(["team", "lead_time_avg_days", "issues"], answer.Columns);
        Assert.Contains(answer.Rows, r => (string)r[0]! == "Platform");
        Assert.Contains("attempt 2", answer.Text, StringComparison.Ordinal);
        Assert.All(answer.Trace.Where(t => t.Stage == Stage.Generate), t => Assert.True(t.PromptTokens > 0));
    }

    [Fact]
    public async Task Always_bad_sql_falls_back_after_exactly_the_configured_retries()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = ScriptedChatClient.Replies(Sql.Fenced(Sql.LeadTimeByTeam(1, "team_name")));
        var loop = await LoopHarness.LoopAsync(db, LoopHarness.Generator(model, db), configure: o => o.MaxSyntaxRetries = 2);

        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Failed, answer.Status);
        Assert.Equal(3, model.Calls.Count); // first try + 2 retries
        Assert.Equal(3, answer.Trace.Count(t => t is { Stage: Stage.Static, Verdict: Verdict.Fail }));
        Assert.DoesNotContain(answer.Trace, t => t.Stage == Stage.Execute);
        Assert.Empty(answer.Rows);
        Assert.Contains("won't give a number", answer.Text, StringComparison.Ordinal);
        Assert.Contains("unknown_column", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Low_judge_confidence_is_retried_then_reported_in_the_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = ScriptedChatClient.Replies(Sql.Fenced(Sql.LeadTimeByTeam(1)));
        var judge = ScriptedChatClient.Replies("""{"valid": true, "justification": "might include cancelled work", "confidence": 0.4}""");
        var loop = await LoopHarness.LoopAsync(db, LoopHarness.Generator(model, db), LoopHarness.Judge(judge), o => o.MaxSemanticRetries = 2);

        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(3, model.Calls.Count);
        Assert.Equal(3, judge.Calls.Count);
        Assert.Equal(3, answer.Trace.Count(t => t is { Stage: Stage.Semantic, Verdict: Verdict.Fail }));
        Assert.Contains("low_confidence", model.Calls[1].User, StringComparison.Ordinal);
        Assert.Equal(0.4, answer.Confidence, 3);
        Assert.Contains("Low confidence", answer.Text, StringComparison.Ordinal);
        Assert.NotEmpty(answer.Rows);
        Assert.Contains(answer.Trace, t => t.Stage == Stage.Semantic && t.PromptTokens > 0);
    }

    [Fact]
    public async Task Garbage_from_the_judge_takes_the_judge_unavailable_path()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = ScriptedChatClient.Replies(Sql.Fenced(Sql.LeadTimeByTeam(1)));
        var judge = ScriptedChatClient.Replies("Looks great to me!!! {valid: yes}");
        var loop = await LoopHarness.LoopAsync(db, LoopHarness.Generator(model, db), LoopHarness.Judge(judge));

        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Single(model.Calls);
        Assert.Contains(answer.Trace, t => t is { Stage: Stage.Semantic, Verdict: Verdict.Warn } && t.Detail.StartsWith("judge_unavailable", StringComparison.Ordinal));
        Assert.Contains("judge_unavailable", answer.Text, StringComparison.Ordinal);
        Assert.True(answer.Confidence <= 0.5);
    }

    [Fact]
    public async Task Llm_timeout_falls_back_within_the_time_budget()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = new ScriptedChatClient(async (_, token) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), token);
            return "too late";
        });
        var loop = await LoopHarness.LoopAsync(db, LoopHarness.Generator(model, db, LoopHarness.Model(timeoutSeconds: 1, retries: 1)));

        var sw = Stopwatch.StartNew();
        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        sw.Stop();
        output.WriteLine($"{sw.ElapsedMilliseconds} ms: {answer.Text}");
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Failed, answer.Status);
        Assert.Equal(2, model.Calls.Count); // the call and its one retry
        Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(8));
        Assert.Contains("did not answer within 1 s", answer.Text, StringComparison.Ordinal);
        Assert.Contains(answer.Trace, t => t is { Stage: Stage.Generate, Verdict: Verdict.Fail } && t.Detail.StartsWith("llm_timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sql_the_validation_service_cannot_take_is_a_failed_check_not_an_outage()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = ScriptedChatClient.Replies(Sql.Fenced("SELECT count(*)\0 FROM issues WHERE client_id = 1"), Sql.Fenced(Sql.LeadTimeByTeam(1)));
        var loop = await LoopHarness.LoopAsync(db, LoopHarness.Generator(model, db));

        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(2, answer.Attempts);
        Assert.Contains(answer.Trace, t => t is { Attempt: 1, Verdict: Verdict.Fail } && t.Detail.StartsWith("invalid_input", StringComparison.Ordinal));
        Assert.Contains("invalid_input", model.Calls[1].User, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_learning_memory_does_not_stop_the_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = ScriptedChatClient.Replies(Sql.Fenced(Sql.LeadTimeByTeam(1, "team_name")), Sql.Fenced(Sql.LeadTimeByTeam(1)));
        var options = db.LoopOptions();
        var clock = AgentFixture.Clock();
        await using var deadPrimary = Npgsql.NpgsqlDataSource.Create($"Host=127.0.0.1;Port={StrategicAgent.LocalServers.NativeProcess.FreePort()};Username=postgres;Timeout=2");
        var loop = new AskLoop(LoopHarness.Generator(model, db), await LoopHarness.ValidatorAsync(db), db.Executor(options),
            new Data.LearningMemoryStore(deadPrimary, options), db.Vocabulary(), new UnavailablePredictionTool(),
            new ConversationStore(clock, 10, TimeSpan.FromMinutes(5)), options, clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<AskLoop>.Instance);

        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(2, answer.Attempts);
        Assert.Contains(answer.Trace, t => t is { Stage: Stage.Memory, Verdict: Verdict.Warn });
    }

    [Fact]
    public async Task Offline_answer_carries_table_sql_narrative_and_full_trace()
    {
        var ct = TestContext.Current.CancellationToken;
        var loop = await LoopHarness.LoopAsync(db, new Ai.OfflineSqlGenerator(db.LoopOptions()));
        var answer = await loop.AskAsync(new AskInput("Which team had the longest lead time last quarter?", 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(answer.Sql);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(1, answer.Attempts);
        Assert.Contains("$2", answer.Sql, StringComparison.Ordinal); // parameterised: names never spliced in
        Assert.Equal([Stage.Understand, Stage.Memory, Stage.Generate, Stage.Syntax, Stage.Static, Stage.Cost, Stage.Semantic, Stage.Execute, Stage.Results, Stage.Answer],
            answer.Trace.Select(t => t.Stage).ToArray());
        Assert.All(answer.Trace.Where(t => t.Stage is Stage.Syntax or Stage.Static or Stage.Cost or Stage.Semantic or Stage.Execute or Stage.Results), t => Assert.Equal(Verdict.Pass, t.Verdict));
        Assert.Single(answer.Rows);
        Assert.Contains("has the highest average lead time", answer.Text, StringComparison.Ordinal);
        Assert.Contains("last quarter (2026-07-01 to 2026-09-30)", answer.Text, StringComparison.Ordinal);
        Assert.Equal(0.9, answer.Confidence, 3);
    }

    [Fact]
    public async Task Follow_ups_refine_the_previous_question_of_the_same_conversation()
    {
        var ct = TestContext.Current.CancellationToken;
        var loop = await LoopHarness.LoopAsync(db, new Ai.OfflineSqlGenerator(db.LoopOptions()));
        var first = await loop.AskAsync(new AskInput("average lead time by team last month", 1, "conv-1"), null, ct);
        var second = await loop.AskAsync(new AskInput("and for last quarter?", 1, "conv-1"), null, ct);
        var third = await loop.AskAsync(new AskInput("only team Platform", 1, "conv-1"), null, ct);
        var other = await loop.AskAsync(new AskInput("and for last quarter?", 2, "conv-1"), null, ct);
        foreach (var a in new[] { first, second, third, other })
        {
            output.WriteLine($"{a.Status}: {a.Text}");
        }

        Assert.Equal(AnswerStatus.Answered, second.Status);
        Assert.Contains("follow-up", second.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Contains("lead_time_avg_days, by team", second.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Contains("last quarter", second.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Equal(4, second.Rows.Count);
        Assert.NotEqual(first.Rows.Select(r => r[1]), second.Rows.Select(r => r[1]));
        Assert.Equal(AnswerStatus.Answered, third.Status);
        Assert.Contains("team in [Platform]", third.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Contains("last quarter", third.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Equal("Platform", Assert.Single(third.Rows)[0]);
        // Same conversation id, another tenant: no previous question to refine.
        Assert.Equal(AnswerStatus.Refused, other.Status);
    }
}
