using System.Net;
using System.Text.Json;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

public sealed class PredictionsTests(GatewayFixture fx)
{
    private static readonly string ClientB = $"client:{GatewayFixture.TenantB}";

    [Fact]
    public async Task Trajectory()
    {
        using var http = fx.Gateway.Client(fx.KeyB);
        var body = await Ok(await http.PostJsonAsync("api/v1/predictions/trajectory", """{"epic_keys": ["PAY-12", "NOPE-1"]}"""));
        Assert.Equal("trajectory", body.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(7, body.GetProperty("model").GetProperty("version").GetInt64());
        var p = body.GetProperty("predictions");
        Assert.Equal("PAY-12", p[0].GetProperty("key").GetString());
        Assert.Equal(12.5, p[0].GetProperty("predicted_lead_time_days").GetDouble());
        Assert.Equal("2025-07-01T00:00:00+00:00", p[0].GetProperty("predicted_completion").GetString());
        Assert.Equal(0.8, p[0].GetProperty("interval_level").GetDouble());
        Assert.Equal(ClientB, p[0].GetProperty("message").GetString());
        Assert.False(p[1].GetProperty("found").GetBoolean());
    }

    [Fact]
    public async Task Complexity_of_existing_and_new_issues()
    {
        using var http = fx.Gateway.Client(fx.KeyB);
        var body = await Ok(await http.PostJsonAsync("api/v1/predictions/complexity",
            """{"issue_keys": ["PAY-3"], "new_issues": [{"summary": "Add OAuth login", "issue_type": "Story", "project_key": "PAY"}]}"""));
        var p = body.GetProperty("predictions");
        Assert.Equal(2, p.GetArrayLength());
        Assert.Equal(ClientB, p[0].GetProperty("message").GetString());
        Assert.Equal("new:0", p[1].GetProperty("key").GetString());
        Assert.Equal($"{ClientB};summary=Add OAuth login;type=Story;project=PAY", p[1].GetProperty("message").GetString());
    }

    [Fact]
    public async Task Rework_and_unified()
    {
        using var http = fx.Gateway.Client(fx.KeyB);
        var rework = await Ok(await http.PostJsonAsync("api/v1/predictions/rework", """{"pull_requests": ["payments#12"]}"""));
        var r = rework.GetProperty("predictions")[0];
        Assert.Equal(0.73, r.GetProperty("probability").GetDouble());
        Assert.Equal("high", r.GetProperty("risk_level").GetString());
        Assert.Equal("changed_files", r.GetProperty("top_features")[0].GetProperty("feature").GetString());
        // A categorical feature has no numeric value: the service sends NaN, JSON gets null (it was a 500).
        Assert.Equal(42, r.GetProperty("top_features")[0].GetProperty("value").GetDouble());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("top_features")[1].GetProperty("value").ValueKind);
        Assert.Equal(ClientB, r.GetProperty("message").GetString());

        var unified = await Ok(await http.PostJsonAsync("api/v1/predictions/unified", """{"issue_keys": ["PAY-3"]}"""));
        Assert.Equal(0.2, unified.GetProperty("predictions")[0].GetProperty("rework_probability").GetDouble());
        Assert.Equal(ClientB, unified.GetProperty("predictions")[0].GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("trajectory", "{}", "epic_keys is required")]
    [InlineData("trajectory", """{"epic_keys": []}""", "epic_keys is required")]
    [InlineData("trajectory", """{"epic_keys": ["A-1", " "]}""", "epic_keys[1] is empty")]
    [InlineData("complexity", """{"issue_keys": [], "new_issues": []}""", "issue_keys")]
    [InlineData("complexity", """{"new_issues": [{"description": "no summary"}]}""", "new_issues[0] needs a summary")]
    [InlineData("rework", "{}", "pull_requests is required")]
    [InlineData("unified", """{"issue_keys": null}""", "issue_keys is required")]
    public async Task Bad_bodies_are_400_saying_what_is_wrong(string route, string json, string expected)
    {
        using var http = fx.Gateway.Client(fx.KeyA);
        var response = await http.PostJsonAsync("api/v1/predictions/" + route, json);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains(expected, problem.Detail());
    }

    [Fact]
    public async Task Too_many_keys_is_400()
    {
        using var http = fx.Gateway.Client(fx.KeyA);
        var keys = string.Join(",", Enumerable.Range(0, 1001).Select(i => $"\"A-{i}\""));
        var response = await http.PostJsonAsync("api/v1/predictions/unified", $$"""{"issue_keys": [{{keys}}]}""");
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("At most 1000", problem.Detail());
    }

    [Fact]
    public async Task Alerts_pass_filters_and_the_tenant()
    {
        using var http = fx.Gateway.Client(fx.KeyB);
        var all = await Ok(await http.GetAsync("api/v1/alerts", TestContext.Current.CancellationToken));
        var alert = all.GetProperty("alerts")[0];
        Assert.Equal($"{ClientB};severity=;acknowledged=any;limit=0", alert.GetProperty("recommended_action").GetString());
        Assert.Equal(0.31, alert.GetProperty("alert_data").GetProperty("psi").GetDouble());
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("acknowledged_at").ValueKind);

        var filtered = await Ok(await http.GetAsync("api/v1/alerts?severity=high&acknowledged=false&limit=5", TestContext.Current.CancellationToken));
        Assert.Equal($"{ClientB};severity=high;acknowledged=False;limit=5", filtered.GetProperty("alerts")[0].GetProperty("recommended_action").GetString());

        var bad = await http.GetAsync("api/v1/alerts?limit=-1", TestContext.Current.CancellationToken);
        await bad.AssertProblemAsync(HttpStatusCode.BadRequest);
        // The documented bound is the service's: 500 passes, 501 is refused here with the bound named.
        var most = await Ok(await http.GetAsync("api/v1/alerts?limit=500", TestContext.Current.CancellationToken));
        Assert.Equal($"{ClientB};severity=;acknowledged=any;limit=500", most.GetProperty("alerts")[0].GetProperty("recommended_action").GetString());
        var tooMany = await http.GetAsync("api/v1/alerts?limit=501", TestContext.Current.CancellationToken);
        Assert.Contains("between 1 and 500", (await tooMany.AssertProblemAsync(HttpStatusCode.BadRequest)).ToString());
        var notBool = await http.GetAsync("api/v1/alerts?acknowledged=maybe", TestContext.Current.CancellationToken);
        await notBool.AssertProblemAsync(HttpStatusCode.BadRequest);
        // The closed sets are enums on the wire: the gateway names the allowed values for a string it cannot map.
        var urgent = await http.GetAsync("api/v1/alerts?severity=urgent", TestContext.Current.CancellationToken);
        Assert.Contains("low, medium, high, critical", (await urgent.AssertProblemAsync(HttpStatusCode.BadRequest)).ToString());
        var velocity = await http.GetAsync("api/v1/alerts?model=velocity", TestContext.Current.CancellationToken);
        Assert.Contains("trajectory, complexity, rework, unified, anomaly", (await velocity.AssertProblemAsync(HttpStatusCode.BadRequest)).ToString());
    }

    [Fact]
    public async Task Acknowledge_alert_records_who()
    {
        using var http = fx.Gateway.Client(fx.KeyB);
        var byKey = await Ok(await http.PostAsync("api/v1/alerts/5/ack", null, TestContext.Current.CancellationToken));
        Assert.True(byKey.GetProperty("acknowledged").GetBoolean());
        Assert.Equal("api-key " + fx.KeyB[..8], byKey.GetProperty("acknowledged_by").GetString());
        Assert.Equal(ClientB, byKey.GetProperty("recommended_action").GetString());

        var byName = await Ok(await http.PostJsonAsync("api/v1/alerts/6/ack", """{"acknowledged_by": "alice"}"""));
        Assert.Equal("alice", byName.GetProperty("acknowledged_by").GetString());

        var missing = await http.PostAsync("api/v1/alerts/404/ack", null, TestContext.Current.CancellationToken);
        var problem = await missing.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("prediction", problem.GetProperty("downstream").GetString());

        var notANumber = await http.PostAsync("api/v1/alerts/abc/ack", null, TestContext.Current.CancellationToken);
        await notANumber.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Model_health()
    {
        using var http = fx.Gateway.Client(fx.KeyB);
        var health = await Ok(await http.GetAsync("api/v1/health/ml", TestContext.Current.CancellationToken));
        Assert.Equal("degraded", health.GetProperty("status").GetString());
        Assert.Equal(0.4, health.GetProperty("replica_lag_ms").GetDouble());
        var m = health.GetProperty("models")[0];
        Assert.Equal(0.9, m.GetProperty("latency_p95_ms").GetDouble());
        Assert.True(m.GetProperty("drift")[0].GetProperty("flagged").GetBoolean());
        Assert.Equal(ClientB, m.GetProperty("message").GetString());
    }

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }
}
