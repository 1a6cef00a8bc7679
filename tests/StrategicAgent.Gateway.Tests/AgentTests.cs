using System.Net;
using StrategicAgent.Gateway.Tests.Fakes;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

public sealed class AgentTests(GatewayFixture fx)
{
    [Fact]
    public async Task Ask_answers_in_snake_case_with_rows_as_arrays_for_the_keys_tenant()
    {
        using var http = fx.Gateway.Client(fx.KeyB);
        var response = await http.PostJsonAsync("api/v1/agent/ask", """{"question": "Which team is slowest?", "conversation_id": "c-42"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal("answered", body.GetProperty("status").GetString());
        Assert.Equal($"client:{GatewayFixture.TenantB}", body.GetProperty("answer").GetString());
        Assert.Equal("c-42", body.GetProperty("conversation_id").GetString());
        Assert.StartsWith("SELECT", body.GetProperty("sql").GetString());
        Assert.Equal(["team", "lead_time_days"], body.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray());
        var rows = body.GetProperty("rows");
        Assert.Equal("Payments", rows[0][0].GetString());
        Assert.Equal(4.5, rows[0][1].GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[1][1].ValueKind);
        Assert.Equal("understand", body.GetProperty("trace")[0].GetProperty("stage").GetString());
        Assert.Equal(3, body.GetProperty("trace")[0].GetProperty("prompt_tokens").GetInt64());
        // The agent's deadline (2 minutes by default) reaches the agent.
        Assert.InRange(body.GetProperty("confidence").GetDouble(), 100, 120);
    }

    [Fact]
    public async Task Ask_without_question_is_400()
    {
        using var http = fx.Gateway.Client(fx.KeyA);
        var response = await http.PostJsonAsync("api/v1/agent/ask", """{"conversation_id": "c"}""");
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("question is required", problem.Detail());
    }

    [Fact]
    public async Task Stream_delivers_steps_as_they_happen_then_the_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fx.Gateway.Client(fx.KeyA);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/agent/ask/stream") { Content = Http.Json("""{"question": "lead time by team"}""") };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<SseEvent>();
        await foreach (var e in Sse.ReadAsync(await response.Content.ReadAsStreamAsync(ct), ct))
        {
            events.Add(e);
        }

        Assert.Equal(["step", "step", "step", "answer"], events.Select(e => e.Type).ToArray());
        Assert.Equal(["understand", "generate", "syntax"], events.Take(3).Select(e => e.Data.GetProperty("stage").GetString()!).ToArray());
        Assert.Equal("pass", events[0].Data.GetProperty("verdict").GetString());
        var answer = events[3].Data;
        Assert.Equal($"client:{GatewayFixture.TenantA}", answer.GetProperty("answer").GetString());
        Assert.Equal(2, answer.GetProperty("rows").GetArrayLength());
        // Streamed, not buffered: the first step arrived well before the answer (steps are 150 ms apart).
        Assert.True(events[3].ReceivedAfter - events[0].ReceivedAfter > TimeSpan.FromMilliseconds(3 * FakeAgentService.StepDelayMs - 100),
            $"first step at {events[0].ReceivedAfter}, answer at {events[3].ReceivedAfter}");
    }

    [Fact]
    public async Task Stream_failing_before_any_event_is_a_plain_http_problem()
    {
        using var http = fx.Gateway.Client(fx.KeyA);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/agent/ask/stream") { Content = Http.Json("""{"question": "status:InvalidArgument"}""") };
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("agent", problem.GetProperty("downstream").GetString());
        Assert.Equal(FakeBehaviour.FakeDetail(Grpc.Core.StatusCode.InvalidArgument), problem.Detail());
    }

    [Fact]
    public async Task Stream_failing_midway_ends_with_an_error_event_carrying_a_problem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fx.Gateway.Client(fx.KeyA);
        using var response = await http.PostAsync("api/v1/agent/ask/stream", Http.Json("""{"question": "midfail:Unavailable"}"""), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = new List<SseEvent>();
        await foreach (var e in Sse.ReadAsync(await response.Content.ReadAsStreamAsync(ct), ct))
        {
            events.Add(e);
        }
        Assert.Equal(["step", "error"], events.Select(e => e.Type).ToArray());
        var problem = events[1].Data;
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Equal("agent", problem.GetProperty("downstream").GetString());
        Assert.Contains("agent service", problem.GetProperty("detail").GetString());
        // The stream's headers were sent with its 200: the retry hint is in the event's problem.
        Assert.Equal(5, problem.GetProperty("retry_after_seconds").GetInt32());
    }

    [Fact]
    public async Task Caller_going_away_cancels_the_agent_call()
    {
        var ct = TestContext.Current.CancellationToken;
        var question = "slow " + Guid.NewGuid().ToString("N");
        using (var http = fx.Gateway.Client(fx.KeyA))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/agent/ask/stream") { Content = Http.Json($$"""{"question": "{{question}}"}""") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            await using var events = Sse.ReadAsync(stream, ct).GetAsyncEnumerator(ct);
            Assert.True(await events.MoveNextAsync());
            Assert.Equal("step", events.Current.Type);
            // Leaving this block closes the connection while the agent is still working.
        }
        // The agent's fake waits 10 s between steps; the gateway must cancel it long before that.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!fx.Agent.Cancelled.ContainsKey(question) && sw.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20, ct);
        }
        Assert.True(fx.Agent.Cancelled.ContainsKey(question), "the agent call was not cancelled");
    }
}
