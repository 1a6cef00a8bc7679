using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrategicAgent.ServiceDefaults.Llm;
using StrategicAgent.Validation.Ai;
using StrategicAgent.Validation.Domain;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// A tiny OpenAI-compatible chat-completions server (Kestrel, 127.0.0.1, random port) that answers
/// with scripted replies and records what it was asked.
/// </summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();

    private FakeChatServer(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonDocument> Requests { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<FakeChatServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeChatServer(app);
        app.MapPost("/v1/chat/completions", async ctx =>
        {
            server.Requests.Enqueue(await JsonDocument.ParseAsync(ctx.Request.Body));
            if (server._script.TryDequeue(out var reply))
            {
                await reply(ctx);
            }
            else
            {
                ctx.Response.StatusCode = 500;
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    /// <summary>Queues a chat completion whose assistant message is <paramref name="content"/>.</summary>
    public FakeChatServer Reply(string content) => Then(async ctx =>
    {
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-test",
            @object = "chat.completion",
            created = 1_700_000_000,
            model = "judge-mini",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 120, completion_tokens = 30, total_tokens = 150 },
        }));
    });

    public FakeChatServer Then(Func<HttpContext, Task> reply)
    {
        _script.Enqueue(reply);
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed class JudgeTests
{
    private static readonly QueryIntent TeamLeadTime = new()
    {
        Metric = "lead_time_avg_days", Aggregate = "avg", GroupBy = ["team"], TimeWindow = "last_90_days", TimeColumn = "work_last_completed_at",
    };

    private const string Sql = """
        SELECT t.name AS team, avg(i.total_lead_time_seconds) / 86400.0 AS days
        FROM issues i JOIN users u ON u.id = i.assignee_id JOIN teams t ON t.id = u.team_id
        WHERE i.client_id = 1 AND i.work_last_completed_at >= now() - interval '90 days'
        GROUP BY t.name
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static KernelJudge Judge(FakeChatServer server, int timeoutSeconds = 10) => new(
        new LlmOptions { Provider = LlmProvider.OpenAI, Model = "judge-mini", Endpoint = server.BaseAddress.ToString(), ApiKey = "test-key", TimeoutSeconds = timeoutSeconds },
        NullLogger<KernelJudge>.Instance);

    private static JudgeRequest Request() => new("Which team had the longest lead time in the last 90 days?", TeamLeadTime, Sql, null);

    [Fact]
    public async Task Sk_judge_returns_the_models_verdict_with_token_usage()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Reply("""{"valid": true, "justification": "Groups by team and averages lead time over 90 days.", "confidence": 0.86}""");
        var judge = Judge(server);
        var verdict = await judge.JudgeAsync(Request(), Ct);
        Assert.True(verdict.Available);
        Assert.True(verdict.Valid);
        Assert.Equal(0.86, verdict.Confidence, 3);
        Assert.Equal(120, verdict.PromptTokens);
        Assert.Equal(30, verdict.CompletionTokens);

        var sent = Assert.Single(server.Requests).RootElement;
        Assert.Equal("judge-mini", sent.GetProperty("model").GetString());
        var messages = sent.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Contains("lead_time_avg_days", messages[1].GetProperty("content").GetString());
        Assert.Contains("work_last_completed_at", messages[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Sk_judge_accepts_json_in_code_fences()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Reply("```json\n{\"valid\": false, \"justification\": \"Counts instead of averaging.\", \"confidence\": 0.9}\n```");
        var judge = Judge(server);
        var verdict = await judge.JudgeAsync(Request(), Ct);
        Assert.True(verdict.Available);
        Assert.False(verdict.Valid);
    }

    [Fact]
    public async Task Malformed_reply_is_retried_once_with_a_reminder_then_succeeds()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Reply("I think the query is fine!").Reply("""{"valid": true, "justification": "ok", "confidence": 0.8}""");
        var judge = Judge(server);
        var verdict = await judge.JudgeAsync(Request(), Ct);
        Assert.True(verdict.Available);
        Assert.Equal(2, server.Requests.Count);
        var second = server.Requests.Last().RootElement.GetProperty("messages");
        Assert.Contains("not the required JSON", second[second.GetArrayLength() - 1].GetProperty("content").GetString());
        Assert.Equal(240, verdict.PromptTokens);
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("{\"valid\": \"yes\", \"justification\": \"x\", \"confidence\": 0.9}", "boolean")]
    [InlineData("{\"valid\": true, \"justification\": \"x\", \"confidence\": 7}", "confidence")]
    [InlineData("{\"valid\": true, \"confidence\": 0.9}", "justification")]
    [InlineData("{\"valid\": true, \"justification\": \"x\", \"confidence\": 0.9", "not JSON")]
    public async Task Malformed_twice_is_judge_unavailable_never_a_pass(string reply, string why)
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Reply(reply).Reply(reply);
        var judge = Judge(server);
        var verdict = await judge.JudgeAsync(Request(), Ct);
        Assert.False(verdict.Available);
        Assert.False(verdict.Valid);
        Assert.Contains(why, verdict.Justification);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Server_errors_are_judge_unavailable()
    {
        // Every call fails (the fake answers 500 once its script is empty). The OpenAI client's own
        // retries and back-off may also run into the timeout: either way the verdict is unavailable.
        await using var server = await FakeChatServer.StartAsync();
        server.Then(ctx => { ctx.Response.StatusCode = 503; return Task.CompletedTask; });
        var judge = Judge(server, timeoutSeconds: 1);
        var verdict = await judge.JudgeAsync(Request(), Ct);
        Assert.False(verdict.Available);
        Assert.False(verdict.Valid);
        Assert.Matches("call failed|did not answer within", verdict.Justification);
    }

    [Fact]
    public async Task Timeouts_are_judge_unavailable()
    {
        await using var server = await FakeChatServer.StartAsync();
        // Slow on every call, the SDK's own retries included.
        for (var i = 0; i < 10; i++)
        {
            server.Then(async ctx => await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted));
        }
        var judge = Judge(server, timeoutSeconds: 1);
        var verdict = await judge.JudgeAsync(Request(), Ct);
        Assert.False(verdict.Available);
        Assert.Contains("did not answer within", verdict.Justification);
    }

    [Fact]
    public async Task Pipeline_reports_judge_unavailable_and_low_confidence_as_semantic_failures()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Reply("garbage").Reply("more garbage")
              .Reply("""{"valid": true, "justification": "probably", "confidence": 0.6}""")
              .Reply("""{"valid": true, "justification": "matches", "confidence": 0.95}""");
        var judge = Judge(server);
        var validator = TestCatalog.Validator(judge: judge);
        var request = new SqlValidationRequest(Sql, "Which team had the longest lead time?", TeamLeadTime);

        var unavailable = await validator.ValidateAsync(request, ValidationMode.Semantic, Ct);
        Assert.False(unavailable.Valid);
        Assert.Equal("semantic", unavailable.Stage);
        Assert.Equal(Codes.JudgeUnavailable, Assert.Single(unavailable.Errors).Code);

        var unsure = await validator.ValidateAsync(request, ValidationMode.Semantic, Ct);
        Assert.Equal(Codes.SemanticMismatch, Assert.Single(unsure.Errors).Code);
        Assert.Contains("0.60", unsure.Errors[0].Message);

        var pass = await validator.ValidateAsync(request, ValidationMode.Semantic, Ct);
        Assert.True(pass.Valid);
        Assert.Equal(0.95, pass.Judge!.Confidence);
    }

    [Fact]
    public async Task Threshold_is_configurable()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Reply("""{"valid": true, "justification": "probably", "confidence": 0.6}""");
        var judge = Judge(server);
        var validator = TestCatalog.Validator(new ValidationOptions { JudgeMinConfidence = 0.5 }, judge);
        var report = await validator.ValidateAsync(new SqlValidationRequest(Sql, "q", TeamLeadTime), ValidationMode.Semantic, Ct);
        Assert.True(report.Valid);
    }

    [Fact]
    public async Task Offline_judge_explains_each_mismatch_and_is_deterministic()
    {
        var validator = TestCatalog.Validator();
        var wrong = Sql.Replace("avg(", "sum(", StringComparison.Ordinal).Replace("'90 days'", "'30 days'", StringComparison.Ordinal);
        var request = new SqlValidationRequest(wrong, "Which team had the longest average lead time in the last 90 days?", TeamLeadTime) { Today = new DateOnly(2026, 11, 1) };
        var a = await validator.ValidateAsync(request, ValidationMode.Semantic, Ct);
        var b = await validator.ValidateAsync(request, ValidationMode.Semantic, Ct);
        var message = Assert.Single(a.Errors).Message;
        Assert.Contains("but the SQL computes sum", message);
        Assert.Contains("2026-08-04", message);   // the question's period starts 89 days before today
        Assert.Contains("starts 2026-10-02", message); // the SQL's: 30 days
        Assert.Equal(message, Assert.Single(b.Errors).Message);
    }

    [Fact]
    public async Task Offline_judge_without_a_question_is_unavailable_not_a_pass()
    {
        var verdict = await TestCatalog.Judge().JudgeAsync(new JudgeRequest("", TeamLeadTime, Sql, new QueryShape()), Ct);
        Assert.False(verdict.Available);
    }

    [Fact]
    public void Remote_provider_needs_model_and_endpoint_and_Azure_a_key()
    {
        Assert.True(new LlmOptions().IsComplete());
        Assert.False(new LlmOptions { Provider = LlmProvider.OpenAI }.IsComplete());
        Assert.True(new LlmOptions { Provider = LlmProvider.OpenAI, Model = "m", Endpoint = "http://localhost:1/v1" }.IsComplete());
        Assert.False(new LlmOptions { Provider = LlmProvider.AzureOpenAI, Model = "m", Endpoint = "https://x.openai.azure.com/" }.IsComplete());
        Assert.True(new LlmOptions { Provider = LlmProvider.AzureOpenAI, Model = "m", Endpoint = "https://x.openai.azure.com/", ApiKey = "k" }.IsComplete());
    }
}
