using Npgsql;
using StrategicAgent.Agent.Data;
using StrategicAgent.Agent.Domain.Loop;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>Learning memory on the real primary. Tenant 3 only, so no other test touches its rows.</summary>
public sealed class MemoryTests(AgentFixture db, ITestOutputHelper output)
{
    private const long Tenant = 3;

    // One error family (the model believes teams have a team_name column), asked four ways.
    private static readonly string[] Questions =
    [
        "What is the average lead time by team?",
        "average lead time per team",
        "Show the average lead time for each team",
        "what's our average lead time by team?",
    ];

    /// <summary>A model that repeats its mistake unless the prompt shows it (feedback or a remembered fix).</summary>
    private static ScriptedChatClient ForgetfulModel() => new((call, _) =>
        Task.FromResult(Sql.Fenced(Sql.LeadTimeByTeam(Tenant, call.User.Contains("team_name", StringComparison.Ordinal) ? "name" : "team_name"))));

    [Fact]
    public async Task A_remembered_fix_makes_the_repeated_error_family_pass_on_the_first_attempt()
    {
        var ct = TestContext.Current.CancellationToken;
        await ClearAsync(ct);

        // Before: memory retrieval off.
        var before = new List<int>();
        var noMemory = await LoopHarness.LoopAsync(db, LoopHarness.Generator(ForgetfulModel(), db), configure: o => o.MemoryHints = 0);
        foreach (var q in Questions)
        {
            var a = await noMemory.AskAsync(new AskInput(q, Tenant, null), null, ct);
            Assert.Equal(AnswerStatus.Answered, a.Status);
            before.Add(a.Attempts);
        }

        // After: a fresh memory, retrieval on.
        await ClearAsync(ct);
        var after = new List<int>();
        var withMemory = await LoopHarness.LoopAsync(db, LoopHarness.Generator(ForgetfulModel(), db));
        AgentAnswer? last = null;
        foreach (var q in Questions)
        {
            last = await withMemory.AskAsync(new AskInput(q, Tenant, null), null, ct);
            Assert.Equal(AnswerStatus.Answered, last.Status);
            after.Add(last.Attempts);
        }

        var meanBefore = before.Average();
        var meanAfter = after.Average();
        output.WriteLine($"attempts without memory: [{string.Join(", ", before)}] mean {meanBefore:0.00}");
        output.WriteLine($"attempts with memory:    [{string.Join(", ", after)}] mean {meanAfter:0.00}");
        output.WriteLine(LoopHarness.Lines(last!));
        TestContext.Current.SendDiagnosticMessage($"learning memory: mean attempts {meanBefore:0.00} before, {meanAfter:0.00} after");

        Assert.All(before, n => Assert.Equal(2, n));
        Assert.Equal(2, after[0]);
        Assert.All(after.Skip(1), n => Assert.Equal(1, n));
        Assert.True(meanAfter < meanBefore);
        Assert.Contains(last!.Trace, t => t.Stage == Stage.Memory && t.Detail.Contains("failure static:unknown_column", StringComparison.Ordinal));

        // What was stored: the failure with its fingerprint and the fix that worked, plus success examples.
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT error_type, failed_query, suggested_fix, confidence, query_fingerprint, learning_context->>'stage'
            FROM ai_learning_memory WHERE client_id = $1 AND kind = 'failure' ORDER BY id
            """, conn) { Parameters = { new() { Value = Tenant } } };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        Assert.True(await r.ReadAsync(ct));
        Assert.Equal("static:unknown_column", r.GetString(0));
        Assert.Contains("team_name", r.GetString(1), StringComparison.Ordinal);
        Assert.Contains("t.name AS team", r.GetString(2), StringComparison.Ordinal);
        Assert.InRange(r.GetDouble(3), 0.01, 1);
        Assert.False(string.IsNullOrEmpty(r.GetString(4)));
        Assert.Equal("static", r.GetString(5));
        Assert.False(await r.ReadAsync(ct)); // one failure: the later questions never failed
    }

    [Fact]
    public async Task Memory_is_pruned_to_the_newest_rows_per_tenant()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new LearningMemoryStore(db.PrimaryAsAgent, db.LoopOptions(o => o.MemoryMaxPerTenant = 10));
        for (var i = 0; i < 15; i++)
        {
            await store.RecordFailureAsync(2, new FailureRecord("static:unknown_column", $"prune test question {i}", "SELECT 1", "issue", "fp", "{}"), ct);
        }
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*), count(*) FILTER (WHERE user_intent IN ('prune test question 4', 'prune test question 0')), count(*) FILTER (WHERE user_intent = 'prune test question 14') FROM ai_learning_memory WHERE client_id = 2", conn);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        Assert.Equal(10, r.GetInt64(0));
        Assert.Equal(0, r.GetInt64(1)); // the oldest five are gone
        Assert.Equal(1, r.GetInt64(2));
    }

    [Fact]
    public async Task A_past_fix_is_recalled_by_meaning_for_a_paraphrase_with_no_shared_words_and_never_from_another_tenant()
    {
        var ct = TestContext.Current.CancellationToken;
        await ClearAsync(ct);
        await ClearAsync(ct, tenant: 2);
        var options = db.LoopOptions();
        var byMeaning = new LearningMemoryStore(db.PrimaryAsAgent, options, Embeddings.Shared);
        var byWords = new LearningMemoryStore(db.PrimaryAsAgent, options);
        const string Past = "How many bugs were reported last month?";
        const string Paraphrase = "count of defects logged during the prior 4 weeks";
        Assert.Empty(Words(Past).Intersect(Words(Paraphrase)));

        // The same past question with its fix in two tenants.
        var mine = await byMeaning.RecordFailureAsync(Tenant, new FailureRecord("static:unknown_column", Past, "SELECT bug_count FROM issues", "no bug_count", "fp-mine", "{}"), ct);
        await byMeaning.RecordFixAsync(Tenant, [mine], "SELECT count(*) FROM issues WHERE tenant 3 fix", 0.9, ct);
        var theirs = await byMeaning.RecordFailureAsync(2, new FailureRecord("static:unknown_column", Past, "SELECT bug_count FROM issues", "no bug_count", "fp-theirs", "{}"), ct);
        await byMeaning.RecordFixAsync(2, [theirs], "SELECT count(*) FROM issues WHERE tenant 2 fix", 0.9, ct);

        var found = await byMeaning.FindAsync(Tenant, Paraphrase, null, 5, ct);
        var hint = Assert.Single(found);
        Assert.Equal((mine, "SELECT count(*) FROM issues WHERE tenant 3 fix"), (hint.Id, hint.Fix));
        Assert.InRange(hint.Similarity, options.Value.MemoryMinSimilarity, 1);
        output.WriteLine($"'{Paraphrase}' → '{hint.Intent}' (cosine {hint.Similarity:0.000})");
        // By words alone the paraphrase finds nothing; another tenant's memory is never returned.
        Assert.Empty(await byWords.FindAsync(Tenant, Paraphrase, null, 5, ct));
        var other = (await byMeaning.FindAsync(2, Paraphrase, null, 5, ct)).Select(h => h.Id).ToList();
        Assert.Contains(theirs, other);
        Assert.DoesNotContain(mine, other);
        Assert.DoesNotContain(await byMeaning.FindAsync(Tenant, Past, "fp-theirs", 5, ct), h => h.Id == theirs);
        // An unrelated question recalls nothing.
        Assert.Empty(await byMeaning.FindAsync(Tenant, "what will the weather be like in Paris tomorrow?", null, 5, ct));

        static HashSet<string> Words(string s) => s.ToLowerInvariant().Split([' ', '?', ','], StringSplitOptions.RemoveEmptyEntries).ToHashSet();
    }

    private async Task ClearAsync(CancellationToken ct, long tenant = Tenant)
    {
        await using var conn = await db.OpenPrimaryAsync(ct);
        await using var cmd = new NpgsqlCommand("DELETE FROM ai_learning_memory WHERE client_id = $1", conn) { Parameters = { new() { Value = tenant } } };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
