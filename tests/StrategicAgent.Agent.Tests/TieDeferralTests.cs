using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The tie probe left to the result (docs/validation.md, "Ties at a top-N boundary"): the agent validates with the probe deferred,
/// runs the SQL, and only a result of all n rows — the only one that can cut through a tie — is validated again with the probe.
/// Real validation service, replica and scripted model; tenant 1 (the small demo data).
/// </summary>
public sealed class TieDeferralTests(AgentFixture db, ITestOutputHelper output)
{
    private const string Question = "Which 3 repositories have the most merged PRs?";

    // least(count(*), 1) gives every repository with a merged PR the same first ordering key: LIMIT 3 of them cuts through a tie.
    private const string Ranked = """
        SELECT r.name AS repository, count(*) AS merged
        FROM pull_requests pr JOIN repositories r ON r.id = pr.repository_id
        WHERE pr.client_id = 1 AND pr.active AND pr.status = 'merged'
        GROUP BY r.name
        ORDER BY least(count(*), 1) DESC
        """;

    [Fact]
    public async Task A_full_top_n_that_cuts_through_a_tie_fails_after_execution_and_the_retry_keeps_the_ties()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = ScriptedChatClient.Replies(Sql.Fenced(Ranked + ", r.name LIMIT 3"), Sql.Fenced(Ranked + " FETCH FIRST 3 ROWS WITH TIES"));
        var validator = new ProbeCounter(await LoopHarness.ValidatorAsync(db));
        var loop = Loop(model, validator);

        var answer = await loop.AskAsync(new AskInput(Question, 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(2, answer.Attempts);
        // Attempt 1: validated with the probe deferred, ran (3 rows: all of them), validated again with the probe — the tie fails it.
        var first = answer.Trace.Where(t => t.Attempt == 1).ToList();
        var executed = first.FindIndex(t => t is { Stage: Stage.Execute, Verdict: Verdict.Pass });
        Assert.True(executed >= 0, "attempt 1 ran its SQL before the tie was probed");
        Assert.StartsWith("3 row(s)", first[executed].Detail, StringComparison.Ordinal);
        Assert.Contains(first.Skip(executed + 1), t => t is { Stage: Stage.Semantic, Verdict: Verdict.Fail } && t.Detail.Contains("tie_at_limit", StringComparison.Ordinal));
        Assert.DoesNotContain(first, t => t.Stage == Stage.Results);
        Assert.Equal(1, validator.Probed);
        // The retry's prompt carries the tie finding, and its WITH TIES answer shows every tied repository (more than 3).
        Assert.Contains("FETCH FIRST 3 ROWS WITH TIES", model.Calls[1].User, StringComparison.Ordinal);
        Assert.True(answer.Rows.Count > 3, $"every repository with a merged PR ties: {answer.Rows.Count} rows");
    }

    [Fact]
    public async Task A_result_with_fewer_rows_than_its_cut_is_not_probed()
    {
        var ct = TestContext.Current.CancellationToken;
        // The same tie, under a cut larger than the rows: fewer than n rows cannot cut through a tie, so no probe runs.
        var repositories = await CountAsync("SELECT count(DISTINCT repository_id) FROM pull_requests WHERE client_id = 1 AND active AND status = 'merged'", ct);
        Assert.InRange(repositories, 4, 29);
        var model = ScriptedChatClient.Replies(Sql.Fenced(Ranked + ", r.name LIMIT 30"));
        var validator = new ProbeCounter(await LoopHarness.ValidatorAsync(db));

        var answer = await Loop(model, validator).AskAsync(new AskInput("Which 30 repositories have the most merged PRs?", 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(1, answer.Attempts);
        Assert.Equal(repositories, answer.Rows.Count);
        Assert.Equal(1, validator.Deferred);
        Assert.Equal(0, validator.Probed);
    }

    private AskLoop Loop(ScriptedChatClient model, ISqlValidator validator)
    {
        var options = db.LoopOptions(o => o.ResultCacheSeconds = 0);
        var clock = AgentFixture.Clock();
        return new AskLoop(LoopHarness.Generator(model, db), validator, db.Executor(options),
            new Data.LearningMemoryStore(db.PrimaryAsAgent, options), db.Vocabulary(), new UnavailablePredictionTool(),
            new ConversationStore(clock, 10, TimeSpan.FromMinutes(5)), options, clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<AskLoop>.Instance);
    }

    private async Task<long> CountAsync(string sql, CancellationToken ct)
    {
        await using var source = Npgsql.NpgsqlDataSource.Create(db.ReplicaConnectionString);
        await using var command = source.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The real validator, counting the calls that deferred the tie probe and those that ran it.</summary>
    private sealed class ProbeCounter(ISqlValidator inner) : ISqlValidator
    {
        private int _probed, _deferred;

        public int Probed => _probed;

        public int Deferred => _deferred;

        public Task<ValidationOutcome> ValidateAsync(string sql, string question, QueryPlan? plan, long clientId, bool skipSemantic, bool deferTieProbe, CancellationToken ct)
        {
            Interlocked.Increment(ref deferTieProbe ? ref _deferred : ref _probed);
            return inner.ValidateAsync(sql, question, plan, clientId, skipSemantic, deferTieProbe, ct);
        }

        public Task<ResultCheck> ValidateResultsAsync(string shape, IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows, CancellationToken ct) =>
            inner.ValidateResultsAsync(shape, columns, rows, ct);
    }
}
