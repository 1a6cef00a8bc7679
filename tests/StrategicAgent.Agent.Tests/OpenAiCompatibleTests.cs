using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using StrategicAgent.Agent.Ai;
using StrategicAgent.ServiceDefaults.Llm;
using StrategicAgent.Agent.Domain.Loop;
using Xunit;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// The OpenAI-compatible provider end to end: Semantic Kernel's real OpenAI connector against a
/// local chat-completions server (prompts, function calling, token usage, malformed JSON, timeouts),
/// then the real validation service and replica.
/// </summary>
public sealed class OpenAiCompatibleTests(AgentFixture db, ITestOutputHelper output)
{
    private static LlmOptions Options(string baseUrl, string model, int timeoutSeconds = 10, int retries = 0, bool tools = true) => new()
    {
        Provider = LlmProvider.OpenAI,
        Endpoint = baseUrl,
        Model = model,
        ApiKey = "test-key",
        TimeoutSeconds = timeoutSeconds,
        MaxRetries = retries,
        EnableTools = tools,
    };

    private SemanticKernelSqlGenerator Generator(LlmOptions o) =>
        new(o.CreateKernel(), o, db.Vocabulary(), NullLogger<SemanticKernelSqlGenerator>.Instance);

    private static LlmSqlJudge Judge(LlmOptions o) => new(o.CreateKernel(), o, NullLogger<LlmSqlJudge>.Instance);

    [Fact]
    public async Task Tool_call_then_sql_through_the_real_connector_with_judge_and_token_usage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeOpenAiServer.StartAsync((request, _) =>
            FakeOpenAiServer.Model(request) switch
            {
                "judge-model" => FakeOpenAiServer.Content(Sql.JudgeOk, promptTokens: 50, completionTokens: 15),
                _ when FakeOpenAiServer.HasToolResult(request) => FakeOpenAiServer.Content(Sql.Fenced(Sql.LeadTimeByTeam(1)), promptTokens: 200, completionTokens: 80),
                _ => FakeOpenAiServer.ToolCall("schema-list_names", """{"kind":"teams"}""", promptTokens: 150, completionTokens: 12),
            });
        var loop = await LoopHarness.LoopAsync(db, Generator(Options(server.BaseUrl, "sql-model")), Judge(Options(server.BaseUrl, "judge-model")));

        var answer = await loop.AskAsync(new AskInput("What is the average lead time by team?", 1, null), null, ct);
        output.WriteLine(answer.Text);
        output.WriteLine(LoopHarness.Lines(answer));

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(3, server.Requests.Count); // tool call round, final SQL, judge
        var first = server.Requests[0];
        Assert.Equal("sql-model", FakeOpenAiServer.Model(first));
        Assert.Contains(first["tools"]!.AsArray(), t => t!["function"]!["name"]!.GetValue<string>() == "schema-list_names");
        var system = FakeOpenAiServer.Messages(first).First(m => m["role"]!.GetValue<string>() == "system")["content"]!.ToString();
        Assert.Contains("Metric catalog", system, StringComparison.Ordinal);
        Assert.Contains("client_id = 1", system, StringComparison.Ordinal);
        // The kernel ran the tool and sent its result back: the tenant's real team names.
        var toolResult = FakeOpenAiServer.Messages(server.Requests[1]).Single(m => m["role"]!.GetValue<string>() == "tool")["content"]!.ToString();
        Assert.Contains("Platform", toolResult, StringComparison.Ordinal);
        Assert.Contains("Payments", toolResult, StringComparison.Ordinal);
        Assert.Equal("judge-model", FakeOpenAiServer.Model(server.Requests[2]));

        var generate = Assert.Single(answer.Trace, t => t.Stage == Stage.Generate);
        Assert.Contains("1 tool call(s)", generate.Detail, StringComparison.Ordinal);
        Assert.Equal(350, generate.PromptTokens);
        Assert.Equal(92, generate.CompletionTokens);
        var semantic = Assert.Single(answer.Trace, t => t.Stage == Stage.Semantic);
        Assert.Equal(Verdict.Pass, semantic.Verdict);
        Assert.Equal(50, semantic.PromptTokens);
        Assert.Equal(0.93, answer.Confidence, 3);
    }

    [Fact]
    public async Task Azure_OpenAI_provider_calls_the_deployment_route_with_an_api_key_header()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeOpenAiServer.StartAsync((request, index) =>
            index == 0
                ? FakeOpenAiServer.ToolCall("schema-list_names", """{"kind":"teams"}""", promptTokens: 150, completionTokens: 12)
                : index == 1 ? FakeOpenAiServer.Content(Sql.Fenced(Sql.LeadTimeByTeam(1)), promptTokens: 200, completionTokens: 80)
                : FakeOpenAiServer.Content(Sql.JudgeOk, promptTokens: 50, completionTokens: 15));
        LlmOptions Azure(string deployment) => new()
        {
            Provider = LlmProvider.AzureOpenAI,
            Endpoint = server.RootUrl,
            Model = deployment,
            ApiKey = "azure-key",
            TimeoutSeconds = 10,
            MaxRetries = 0,
            EnableTools = true,
        };
        var loop = await LoopHarness.LoopAsync(db, Generator(Azure("sa-generator")), Judge(Azure("sa-judge")));

        var answer = await loop.AskAsync(new AskInput("What is the average lead time by team?", 1, null), null, ct);
        output.WriteLine(LoopHarness.Lines(answer));
        foreach (var call in server.Calls)
        {
            output.WriteLine(call.Target);
        }

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Equal(3, server.Calls.Count);
        Assert.StartsWith("/openai/deployments/sa-generator/chat/completions?api-version=", server.Calls[0].Target, StringComparison.Ordinal);
        Assert.StartsWith("/openai/deployments/sa-generator/chat/completions?api-version=", server.Calls[1].Target, StringComparison.Ordinal);
        Assert.StartsWith("/openai/deployments/sa-judge/chat/completions?api-version=", server.Calls[2].Target, StringComparison.Ordinal);
        Assert.All(server.Calls, c => Assert.Equal("azure-key", c.ApiKey));
        Assert.True(FakeOpenAiServer.HasToolResult(server.Requests[1]), "the kernel sent the tool's result back");
        var generate = Assert.Single(answer.Trace, t => t.Stage == Stage.Generate);
        Assert.Equal(350, generate.PromptTokens);
        Assert.Contains(answer.Trace, t => t is { Stage: Stage.Semantic, Verdict: Verdict.Pass });
    }

    [Fact]
    public async Task Malformed_json_from_the_server_is_an_llm_failure_not_a_crash()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeOpenAiServer.StartAsync((_, _) => new FakeOpenAiServer.Reply("""{"id": "chatcmpl-1", "choices": [ {"message": """));
        var loop = await LoopHarness.LoopAsync(db, Generator(Options(server.BaseUrl, "sql-model", retries: 1)));

        var answer = await loop.AskAsync(new AskInput("What is the average lead time by team?", 1, null), null, ct);
        output.WriteLine(answer.Text);

        Assert.Equal(AnswerStatus.Failed, answer.Status);
        Assert.Equal(2, server.Requests.Count);
        Assert.Contains(answer.Trace, t => t is { Stage: Stage.Generate, Verdict: Verdict.Fail } && t.Detail.StartsWith("llm_unavailable", StringComparison.Ordinal));
        Assert.Contains("failed 2 time(s)", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_judge_json_takes_the_judge_unavailable_path()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeOpenAiServer.StartAsync((request, _) =>
            FakeOpenAiServer.Model(request) == "judge-model"
                ? FakeOpenAiServer.Content("```json\n{\"valid\": tru, \"confidence\": 0.9\n```")
                : FakeOpenAiServer.Content(Sql.Fenced(Sql.LeadTimeByTeam(1))));
        var loop = await LoopHarness.LoopAsync(db, Generator(Options(server.BaseUrl, "sql-model", tools: false)), Judge(Options(server.BaseUrl, "judge-model")));

        var answer = await loop.AskAsync(new AskInput("What is the average lead time by team?", 1, null), null, ct);
        output.WriteLine(answer.Text);

        Assert.Equal(AnswerStatus.Answered, answer.Status);
        Assert.Contains(answer.Trace, t => t is { Stage: Stage.Semantic, Verdict: Verdict.Warn } && t.Detail.StartsWith("judge_unavailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_server_is_cut_off_by_the_call_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeOpenAiServer.StartAsync((_, _) => FakeOpenAiServer.Content("SELECT 1", 1, 1) with { Delay = TimeSpan.FromSeconds(20) });
        var loop = await LoopHarness.LoopAsync(db, Generator(Options(server.BaseUrl, "sql-model", timeoutSeconds: 1)));

        var sw = Stopwatch.StartNew();
        var answer = await loop.AskAsync(new AskInput("What is the average lead time by team?", 1, null), null, ct);
        output.WriteLine($"{sw.ElapsedMilliseconds} ms: {answer.Text}");

        Assert.Equal(AnswerStatus.Failed, answer.Status);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(7), $"took {sw.Elapsed}");
        Assert.Contains("did not answer within 1 s", answer.Text, StringComparison.Ordinal);
    }
}
