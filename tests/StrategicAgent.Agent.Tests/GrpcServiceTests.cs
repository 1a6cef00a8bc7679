using System.Text.Json;
using Grpc.Core;
using StrategicAgent.LocalServers;
using StrategicAgent.Protos.Agent.V1;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>AgentService over a real gRPC socket: the whole host, offline provider, real validation.</summary>
public sealed class GrpcServiceTests(AgentFixture db, ITestOutputHelper output)
{
    [Fact]
    public async Task Ask_answers_with_table_sql_and_trace_and_follow_ups_refine_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await AgentHost.StartAsync(db, await db.ValidationAddressAsync());

        var first = await host.Client.AskAsync(new AskRequest { Question = "Which team had the longest lead time last quarter?" }, cancellationToken: ct);
        output.WriteLine(first.Answer);
        Assert.Equal(AnswerStatus.Answered, first.Status);
        Assert.Equal(1, first.Attempts);
        Assert.Equal(["team", "lead_time_avg_days", "issues"], first.Columns);
        var row = JsonSerializer.Deserialize<JsonElement[]>(Assert.Single(first.RowsJson))!;
        Assert.Equal("Mobile", row[0].GetString());
        Assert.Contains("$1", first.Sql, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(first.ConversationId));
        Assert.Contains(first.Trace, t => t is { Stage: Stage.Execute, Verdict: Verdict.Pass });

        // The same question again: validated again, rows from the short result cache (the trace says so).
        var again = await host.Client.AskAsync(new AskRequest { Question = "Which team had the longest lead time last quarter?" }, cancellationToken: ct);
        Assert.Equal(first.RowsJson, again.RowsJson);
        Assert.Contains(again.Trace, t => t.Stage == Stage.Execute && t.Detail.Contains("from the result cache", StringComparison.Ordinal));
        Assert.Contains(again.Trace, t => t is { Stage: Stage.Static, Verdict: Verdict.Pass });
        // Its SQL is validated again (the validation service, shared by these tests, remembers the cost estimate), and the rows keep the verdict they got when first checked.
        Assert.Contains(again.Trace, t => t is { Stage: Stage.Cost, Verdict: Verdict.Pass } && t.Detail.Contains("remembered", StringComparison.Ordinal));
        Assert.Contains(again.Trace, t => t is { Stage: Stage.Results, Verdict: Verdict.Pass } && t.Detail.Contains("verdict on these cached rows", StringComparison.Ordinal));
        Assert.DoesNotContain(first.Trace, t => t.Detail.Contains("cached rows", StringComparison.Ordinal));
        var otherTenant = await host.ClientFor(2).AskAsync(new AskRequest { Question = "Which team had the longest lead time last quarter?" }, cancellationToken: ct);
        Assert.DoesNotContain(otherTenant.Trace, t => t.Detail.Contains("from the result cache", StringComparison.Ordinal));
        Assert.NotEqual(first.RowsJson, otherTenant.RowsJson);

        var second = await host.Client.AskAsync(new AskRequest { Question = "and in 2025?", ConversationId = first.ConversationId }, cancellationToken: ct);
        output.WriteLine(second.Answer);
        Assert.Equal(AnswerStatus.Answered, second.Status);
        Assert.Contains("2025", second.Trace[0].Detail, StringComparison.Ordinal);
        Assert.Contains("top 1", second.Trace[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCatalog_serves_the_semantic_layer_and_its_recommended_questions_are_answered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await AgentHost.StartAsync(db, await db.ValidationAddressAsync());

        var catalog = await host.Client.GetCatalogAsync(new GetCatalogRequest(), cancellationToken: ct);
        Assert.Equal(SemanticModel.Default.Metrics.Count, catalog.Metrics.Count);
        var cfr = Assert.Single(catalog.Metrics, m => m.Name == "change_failure_rate_pct");
        Assert.Equal((Entity.Deployment, StrategicAgent.Protos.Agent.V1.Aggregation.Share, "%", 90), (cfr.Entity, cfr.Aggregation, cfr.Unit, cfr.DefaultWindowDays));
        Assert.Contains("elite", cfr.DoraBands, StringComparison.Ordinal);
        Assert.Contains("team", cfr.Dimensions);
        Assert.Contains(catalog.Dimensions, d => d.Name == "severity" && d.Values.Contains("sev1") && !d.TenantNames);
        Assert.Contains(catalog.Conditions, c => c is { Name: "unreviewed", Entity: Entity.PullRequest });
        Assert.Contains(catalog.Attributes, a => a is { Name: "changed_files", Entity: Entity.PullRequest, Unit: "files" });
        Assert.Contains(catalog.Listings, l => l.Name == "oldest" && l.Ascending);

        // A recommended question, asked over the same socket, is answered as that metric.
        var example = Assert.Single(catalog.Metrics, m => m.Name == "prs_merged").Examples[0];
        var answer = await host.Client.AskAsync(new AskRequest { Question = example }, cancellationToken: ct);
        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Contains("prs_merged", answer.Columns);
    }

    [Fact]
    public async Task AskStream_sends_each_stage_as_it_happens_then_the_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await AgentHost.StartAsync(db, await db.ValidationAddressAsync());

        using var call = host.Client.AskStream(new AskRequest { Question = "rework rate by repository this year" }, cancellationToken: ct);
        var stages = new List<Stage>();
        AskResponse? answer = null;
        await foreach (var e in call.ResponseStream.ReadAllAsync(ct))
        {
            if (e.EventCase == AskEvent.EventOneofCase.Step)
            {
                Assert.Null(answer);
                stages.Add(e.Step.Stage);
            }
            else
            {
                answer = e.Answer;
            }
        }
        output.WriteLine(string.Join(" → ", stages));
        output.WriteLine(answer?.Answer ?? "(no answer)");
        Assert.Equal([Stage.Understand, Stage.Memory, Stage.Generate, Stage.Syntax, Stage.Static, Stage.Cost, Stage.Semantic, Stage.Execute, Stage.Results, Stage.Answer], stages);
        Assert.NotNull(answer);
        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(stages.Count, answer.Trace.Count);
        Assert.Contains("rework_rate_pct", answer.Columns);
    }

    [Fact]
    public async Task Bad_input_is_invalid_argument_and_a_dead_validation_service_is_unavailable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await AgentHost.StartAsync(db, $"http://127.0.0.1:{NativeProcess.FreePort()}");

        var empty = await Assert.ThrowsAsync<RpcException>(() => host.Client.AskAsync(new AskRequest { Question = " " }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Contains("question is empty", empty.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", empty.Status.Detail, StringComparison.Ordinal);

        var longId = await Assert.ThrowsAsync<RpcException>(() => host.Client.AskAsync(new AskRequest { Question = "lead time", ConversationId = new string('c', 201) }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, longId.StatusCode);
        Assert.Equal("conversation_id is 201 characters; the limit is 200 (Agent:MaxConversationIdLength).", longId.Status.Detail);

        // No caller token, no tenant: refused before the loop runs.
        var noTenant = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(host.Channel)
            .AskAsync(new AskRequest { Question = "lead time" }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, noTenant.StatusCode);

        // A refusal needs no validation: it still works with the validation service down.
        var refused = await host.Client.AskAsync(new AskRequest { Question = "what is the weather?" }, cancellationToken: ct);
        Assert.Equal(AnswerStatus.Refused, refused.Status);

        var down = await Assert.ThrowsAsync<RpcException>(() => host.Client.AskAsync(new AskRequest { Question = "lead time by team" }, cancellationToken: ct).ResponseAsync);
        output.WriteLine(down.Status.Detail);
        Assert.Equal(StatusCode.Unavailable, down.StatusCode);
        Assert.Contains("unvalidated SQL is never run", down.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_are_validated_at_start_with_the_setting_name()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await AgentHost.StartAsync(db, "http://127.0.0.1:1", new Dictionary<string, string?>
            {
                ["Llm:Generator:Provider"] = "OpenAI",
            });
        });
        output.WriteLine(ex.Message);
        Assert.Contains("Llm:Generator:Endpoint", ex.Message, StringComparison.Ordinal);
    }
}
