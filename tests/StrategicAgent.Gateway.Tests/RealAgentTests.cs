using System.Net;
using System.Text.Json;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

/// <summary>
/// Questions through the whole chain: gateway → the real agent (offline planner) → the real
/// validation service → the replica with the demo data, tenant from the API key at every step.
/// </summary>
public sealed class RealAgentTests(GatewayFixture fx) : IAsyncLifetime
{
    private const string Question = "rework rate by repository this year";

    private RealService? _validation;
    private RealService? _agent;
    private RunningGateway? _gateway;

    // The services log in to the replica as sa_reader, as the AppHost runs them (not as the superuser).
    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _validation = RealService.StartValidation(fx.ReplicaReaderConnectionString);
        _agent = RealService.StartAgent(fx.PrimaryAgentConnectionString, fx.ReplicaReaderConnectionString, _validation.Address);
        _gateway = await fx.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["services:validation:grpc:0"] = _validation.Address.ToString(),
            ["services:agent:grpc:0"] = _agent.Address.ToString(),
        }, ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in new IAsyncDisposable?[] { _gateway, _agent, _validation })
        {
            if (d is not null)
            {
                await d.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Catalog_lists_metrics_with_definitions_units_and_recommended_questions_that_the_agent_answers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = _gateway!.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/v1/agent/catalog", ct)).StatusCode);

        using var http = _gateway.Client(fx.DemoKey1);
        var response = await http.GetAsync("api/v1/agent/catalog", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var catalog = await response.ReadJsonAsync();
        var metrics = catalog.GetProperty("metrics").EnumerateArray().ToList();
        Assert.True(metrics.Count >= 25, $"{metrics.Count} metrics");
        var rework = metrics.Single(m => m.GetProperty("name").GetString() == "rework_rate_pct");
        Assert.Equal("pull_request", rework.GetProperty("entity").GetString());
        Assert.Equal("share", rework.GetProperty("aggregation").GetString());
        Assert.Equal("%", rework.GetProperty("unit").GetString());
        Assert.Contains("review_cycles > 2", rework.GetProperty("definition").GetString(), StringComparison.Ordinal);
        Assert.Contains("repository", rework.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()));
        var cfr = metrics.Single(m => m.GetProperty("name").GetString() == "change_failure_rate_pct");
        Assert.Equal(90, cfr.GetProperty("default_window_days").GetInt32());
        Assert.Contains("elite", cfr.GetProperty("dora_bands").GetString(), StringComparison.Ordinal);
        Assert.Contains(catalog.GetProperty("dimensions").EnumerateArray(), d => d.GetProperty("name").GetString() == "severity"
            && d.GetProperty("values").EnumerateArray().Any(v => v.GetString() == "sev1"));
        Assert.Contains(catalog.GetProperty("conditions").EnumerateArray(), c => c.GetProperty("name").GetString() == "unreviewed");
        Assert.Contains(catalog.GetProperty("attributes").EnumerateArray(), a => a.GetProperty("name").GetString() == "changed_files");

        // A recommended question is one the agent answers.
        var example = rework.GetProperty("examples")[0].GetString();
        var answer = await (await http.PostAsync("api/v1/agent/ask", Http.Json(JsonSerializer.Serialize(new { question = example })), ct)).ReadJsonAsync();
        Assert.Equal("answered", answer.GetProperty("status").GetString());
        Assert.StartsWith("Computed: Rework rate (%)", answer.GetProperty("reading").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_delivers_every_stage_then_an_answer_with_sql_and_rows()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = _gateway!.Client(fx.DemoKey1);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/agent/ask/stream") { Content = Http.Json(JsonSerializer.Serialize(new { question = Question })) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var events = new List<SseEvent>();
        await foreach (var e in Sse.ReadAsync(await response.Content.ReadAsStreamAsync(ct), ct))
        {
            events.Add(e);
        }

        Assert.Equal("answer", events[^1].Type);
        Assert.All(events[..^1], e => Assert.Equal("step", e.Type));
        var stages = events[..^1].Select(e => e.Data.GetProperty("stage").GetString()).ToList();
        // Each stage as the agent ran it, in order (the agent owns the exact list).
        string[] expected = ["understand", "generate", "syntax", "static", "cost", "execute", "answer"];
        Assert.Equal(expected, stages.Where(expected.Contains).ToArray());
        Assert.Equal("answer", stages[^1]);
        var answer = events[^1].Data;
        Assert.Equal("answered", answer.GetProperty("status").GetString());
        Assert.Contains("rework_rate_pct", answer.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.True(answer.GetProperty("rows").GetArrayLength() > 0);
        Assert.Equal(JsonValueKind.Array, answer.GetProperty("rows")[0].ValueKind);
        Assert.Contains("client_id", answer.GetProperty("sql").GetString());
    }

    [Fact]
    public async Task The_same_question_answers_each_tenant_from_its_own_data()
    {
        var rows = new List<string>();
        foreach (var key in new[] { fx.DemoKey1, fx.DemoKey2 })
        {
            using var http = _gateway!.Client(key);
            var response = await http.PostJsonAsync("api/v1/agent/ask", JsonSerializer.Serialize(new { question = Question }));
            var body = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
            Assert.Equal("answered", body.GetProperty("status").GetString());
            rows.Add(body.GetProperty("rows").GetRawText());
        }
        Assert.NotEqual(rows[0], rows[1]);
    }

    [Fact]
    public async Task A_tenant_without_data_sees_none_of_the_others()
    {
        // Tenant 101 has an API key but no rows: the same question finds nothing, rather than
        // another tenant's repositories.
        using var http = _gateway!.Client(fx.KeyA);
        var response = await http.PostJsonAsync("api/v1/agent/ask", JsonSerializer.Serialize(new { question = Question }));
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("answered", body.GetProperty("status").GetString());
        Assert.Equal(0, body.GetProperty("rows").GetArrayLength());
    }
}
