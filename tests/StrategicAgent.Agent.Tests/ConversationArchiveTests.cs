using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using StrategicAgent.Agent.Ai;
using StrategicAgent.Agent.Data;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// Conversations written through to the primary's <c>agent_conversations</c> (migration
/// Primary/0110): a follow-up finds its conversation after the agent restarted, never another
/// tenant's and never an expired one; a database blip loses nothing; a full buffer drops and counts.
/// </summary>
public sealed class ConversationArchiveTests(AgentFixture db, ITestOutputHelper output)
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(30);

    private ConversationArchive Archive(NpgsqlDataSource primary, TimeProvider clock, Action<AgentOptions>? configure = null) =>
        new(primary, clock, db.LoopOptions(configure), NullLogger<ConversationArchive>.Instance);

    private static QueryPlan Plan(int limit) => new(
        SemanticModel.Default.Metric("lead_time_avg_days"),
        Dimension.Team,
        [new EntityFilter(FilterKind.Team, ["Platform", "Payments"]), new EntityFilter(FilterKind.IssueType, ["Bug"])],
        TimeWindow.Between(new DateOnly(2026, 7, 1), new DateOnly(2026, 10, 1), "last_quarter", "last quarter"),
        SortOrder.Descending,
        limit)
    {
        DefaultWindowApplied = true,
    };

    private static string Id(string name) => $"{name}-{Guid.NewGuid():n}";

    private async Task<long> StoredAsync(string prefix)
    {
        await using var cmd = db.Primary.CreateCommand("SELECT count(*) FROM agent_conversations WHERE conversation_id LIKE $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = prefix + "%" });
        return (long)(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    [Fact]
    public async Task A_follow_up_finds_its_conversation_after_a_restart_but_not_another_tenants_or_an_expired_one()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = Id("restart");
        var generator = new OfflineSqlGenerator(db.LoopOptions());

        // First agent process: asks, then stops (its archive drains on stop).
        var clock = AgentFixture.Clock();
        using (var archive = Archive(db.PrimaryAsAgent, clock))
        {
            await archive.StartAsync(ct);
            var loop = await LoopHarness.LoopAsync(db, generator, conversations: new ConversationStore(clock, 100, Idle, archive));
            var first = await loop.AskAsync(new AskInput("average lead time by team last month", AgentFixture.Tenant, id), null, ct);
            Assert.Equal(AnswerStatus.Answered, first.Status);
            await archive.StopAsync(ct);
            Assert.Equal(0, archive.Pending);
            Assert.Equal(0, archive.Dropped);
        }
        Assert.Equal(1, await StoredAsync(id));

        // Second process: empty memory, same database.
        async Task<AgentAnswer> AskAfterRestartAsync(FakeTimeProvider at, string question, long tenant)
        {
            using var archive = Archive(db.PrimaryAsAgent, at);
            var loop = await LoopHarness.LoopAsync(db, generator, conversations: new ConversationStore(at, 100, Idle, archive));
            return await loop.AskAsync(new AskInput(question, tenant, id), null, ct);
        }
        var second = await AskAfterRestartAsync(AgentFixture.Clock(), "and for last quarter?", AgentFixture.Tenant);
        output.WriteLine($"{second.Status}: {second.Trace[0].Detail}");
        Assert.Equal(AnswerStatus.Answered, second.Status);
        Assert.Contains("follow-up", second.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Contains("lead_time_avg_days, by team", second.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Contains("last quarter", second.Trace[0].Detail, StringComparison.Ordinal);

        var otherTenant = await AskAfterRestartAsync(AgentFixture.Clock(), "and for last quarter?", 2);
        Assert.Equal(AnswerStatus.Refused, otherTenant.Status);

        var later = AgentFixture.Clock();
        later.Advance(Idle + TimeSpan.FromMinutes(1));
        var expired = await AskAfterRestartAsync(later, "and for last quarter?", AgentFixture.Tenant);
        Assert.Equal(AnswerStatus.Refused, expired.Status);
    }

    [Fact]
    public async Task A_database_blip_loses_no_conversation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = new TcpProxy(db.PrimaryPort);
        proxy.Start();
        await using var viaProxy = NpgsqlDataSource.Create(proxy.Via(db.PrimaryAgentConnectionString));
        var clock = AgentFixture.Clock();
        using var archive = Archive(viaProxy, clock);
        await archive.StartAsync(ct);
        var store = new ConversationStore(clock, 1000, Idle, archive);
        var prefix = Id("blip");

        store.Set(AgentFixture.Tenant, prefix + "-0", Plan(1));
        await archive.FlushAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(1, await StoredAsync(prefix));

        proxy.Stop(); // the primary is away: connections cut, new ones refused
        for (var i = 1; i <= 50; i++)
        {
            store.Set(AgentFixture.Tenant, $"{prefix}-{i}", Plan(i));
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (archive.WriteFailures < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }
        Assert.True(archive.WriteFailures >= 2, "the writer should have failed and retried while the primary was away");
        Assert.Equal(50, archive.Pending);
        Assert.Equal(1, await StoredAsync(prefix));

        proxy.Start(); // back
        await archive.FlushAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(51, await StoredAsync(prefix));
        Assert.Equal(0, archive.Dropped);
        await archive.StopAsync(ct);
        output.WriteLine($"blip: {archive.WriteFailures} failed writes retried, {archive.Written} written, 0 dropped");

        // What came back is the plan that went in.
        var loaded = await Archive(db.PrimaryAsAgent, clock).LoadAsync(AgentFixture.Tenant, prefix + "-7", AgentFixture.Now - Idle, ct);
        Assert.NotNull(loaded);
        Assert.Equal(Plan(7).Describe(), loaded.Describe());
    }

    [Fact]
    public async Task A_full_buffer_drops_and_counts_and_a_stop_gives_up_within_its_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = new TcpProxy(db.PrimaryPort); // never started: the primary is unreachable
        await using var viaProxy = NpgsqlDataSource.Create(proxy.Via(db.PrimaryAgentConnectionString));
        var clock = AgentFixture.Clock();
        using var archive = Archive(viaProxy, clock, o => { o.ConversationWriteBuffer = 5; o.ConversationShutdownSeconds = 1; });
        await archive.StartAsync(ct);
        var store = new ConversationStore(clock, 1000, Idle, archive);
        for (var i = 0; i < 50; i++)
        {
            store.Set(AgentFixture.Tenant, $"full-{i}", Plan(i));
        }
        Assert.True(archive.Dropped >= 40, $"dropped {archive.Dropped}");
        Assert.Equal(50, archive.Pending + archive.Dropped);
        Assert.Equal(50, store.Count); // memory keeps every conversation of this process

        var sw = System.Diagnostics.Stopwatch.StartNew();
        await archive.StopAsync(ct);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"stop took {sw.Elapsed}");
        Assert.Equal(0, archive.Pending);
        Assert.Equal(50, archive.Dropped);
    }

    [Fact]
    public async Task A_stop_before_the_writer_ran_still_writes_what_was_saved()
    {
        // The host can stop an archive whose ExecuteAsync never ran (stopped right after, or without, a start).
        var ct = TestContext.Current.CancellationToken;
        var clock = AgentFixture.Clock();
        using var archive = Archive(db.PrimaryAsAgent, clock);
        var store = new ConversationStore(clock, 1000, Idle, archive);
        var prefix = Id("early-stop");
        for (var i = 0; i < 3; i++)
        {
            store.Set(AgentFixture.Tenant, $"{prefix}-{i}", Plan(i));
        }
        await archive.StopAsync(ct);
        Assert.Equal(0, archive.Pending);
        Assert.Equal(3, archive.Written);
        Assert.Equal(3, await StoredAsync(prefix));
    }

    [Fact]
    public void Plan_json_keeps_every_part_and_reads_an_unknown_metric_or_garbage_as_no_plan()
    {
        var plan = Plan(3);
        var json = PlanJson.Write(plan);
        output.WriteLine(json);
        var back = PlanJson.Read(json)!;
        Assert.Same(plan.Metric, back.Metric);
        Assert.Equal(plan.Dimension, back.Dimension);
        Assert.Equal(plan.Filters.Select(f => (f.Kind, string.Join("|", f.Values))), back.Filters.Select(f => (f.Kind, string.Join("|", f.Values))));
        Assert.Equal(plan.Window, back.Window);
        Assert.Equal((plan.Order, plan.Limit, plan.DefaultWindowApplied), (back.Order, back.Limit, back.DefaultWindowApplied));

        Assert.Null(PlanJson.Read(json.Replace("lead_time_avg_days", "no_such_metric", StringComparison.Ordinal)));
        Assert.Null(PlanJson.Read("{\"metric\":"));
    }

    [Fact]
    public async Task A_conversation_id_over_the_limit_is_refused_as_bad_input()
    {
        var ct = TestContext.Current.CancellationToken;
        var loop = await LoopHarness.LoopAsync(db, new OfflineSqlGenerator(db.LoopOptions()));
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => loop.AskAsync(new AskInput("issues created last month", AgentFixture.Tenant, new string('c', 201)), null, ct));
        Assert.Contains("conversation_id is 201 characters; the limit is 200", ex.Message, StringComparison.Ordinal);
    }
}
