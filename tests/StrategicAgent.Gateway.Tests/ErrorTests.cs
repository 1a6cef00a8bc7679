using System.Net;
using Grpc.Core;
using StrategicAgent.Gateway.Tests.Fakes;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

public sealed class ErrorTests(GatewayFixture fx)
{
    [Theory]
    [InlineData(StatusCode.InvalidArgument, HttpStatusCode.BadRequest)]
    [InlineData(StatusCode.OutOfRange, HttpStatusCode.BadRequest)]
    [InlineData(StatusCode.NotFound, HttpStatusCode.NotFound)]
    [InlineData(StatusCode.FailedPrecondition, HttpStatusCode.Conflict)]
    [InlineData(StatusCode.AlreadyExists, HttpStatusCode.Conflict)]
    [InlineData(StatusCode.PermissionDenied, HttpStatusCode.Forbidden)]
    [InlineData(StatusCode.ResourceExhausted, HttpStatusCode.TooManyRequests)]
    [InlineData(StatusCode.Unavailable, HttpStatusCode.ServiceUnavailable)]
    [InlineData(StatusCode.DeadlineExceeded, HttpStatusCode.GatewayTimeout)]
    [InlineData(StatusCode.Internal, HttpStatusCode.BadGateway)]
    [InlineData(StatusCode.Unknown, HttpStatusCode.BadGateway)]
    [InlineData(StatusCode.Unimplemented, HttpStatusCode.BadGateway)]
    [InlineData(StatusCode.Unauthenticated, HttpStatusCode.BadGateway)]
    public async Task Downstream_status_becomes_its_http_status_with_a_detail(StatusCode grpc, HttpStatusCode http)
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostJsonAsync("api/v1/sql/validate", $$"""{"sql": "{{FakeBehaviour.StatusPrefix}}{{grpc}}"}""");

        var problem = await response.AssertProblemAsync(http);
        Assert.Equal("validation", problem.GetProperty("downstream").GetString());
        Assert.Equal(grpc.ToString(), problem.GetProperty("grpc_status").GetString());
        if ((int)http < 500)
        {
            // The caller's fault: the downstream's message says what to change.
            Assert.Equal(FakeBehaviour.FakeDetail(grpc), problem.Detail());
        }
        else
        {
            // The system's fault: the detail names the service; internals stay in the log.
            Assert.Contains("validation service", problem.Detail());
            Assert.DoesNotContain("fake", problem.Detail());
        }
        // Come back later (503) and slow down (429) say when, in the header and the body; nothing else does.
        if (http is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
        {
            Assert.Equal(5, response.AssertRetryHint(problem));
        }
        else
        {
            Assert.False(response.Headers.Contains("Retry-After"), $"{(int)http} with Retry-After");
            Assert.False(problem.TryGetProperty("retry_after_seconds", out _));
        }
    }

    [Fact]
    public async Task Failure_names_the_service_that_failed()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostJsonAsync("api/v1/predictions/trajectory", """{"epic_keys": ["status:Internal"]}""");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadGateway);
        Assert.Equal("prediction", problem.GetProperty("downstream").GetString());
        Assert.Contains("prediction service", problem.Detail());
    }

    [Fact]
    public async Task Unavailable_with_a_retry_hint_is_503_with_Retry_After_and_the_services_message()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostJsonAsync("api/v1/predictions/unified", $$"""{"issue_keys": ["{{FakeBehaviour.LoadingPrefix}}4"]}""");

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(4, response.AssertRetryHint(problem));
        // Written by the service for callers ("still loading, retry in N s"), so it is passed on.
        Assert.Equal(FakeBehaviour.LoadingDetail, problem.Detail());
        Assert.Equal("Unavailable", problem.GetProperty("grpc_status").GetString());

        // A plain Unavailable (no hint of the service's) keeps the generic detail and gets the gateway's own hint.
        var plain = await client.PostJsonAsync("api/v1/predictions/unified", $$"""{"issue_keys": ["{{FakeBehaviour.StatusPrefix}}Unavailable"]}""");
        var p2 = await plain.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(5, plain.AssertRetryHint(p2));
        Assert.DoesNotContain("fake", p2.Detail());
    }

    [Fact]
    public async Task Downstream_not_listening_is_503_naming_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var deadPort = StrategicAgent.LocalServers.NativeProcess.FreePort();
        await using var gateway = await fx.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["services:validation:grpc:0"] = $"http://127.0.0.1:{deadPort}",
        }, ct);
        using var client = gateway.Client(fx.KeyA);
        var response = await client.PostJsonAsync("api/v1/sql/validate", """{"sql": "SELECT 1"}""");

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("validation service is unavailable", problem.Detail());
        Assert.Equal(5, response.AssertRetryHint(problem));
    }

    [Fact]
    public async Task Call_past_its_deadline_is_504_and_the_deadline_is_configurable()
    {
        var ct = TestContext.Current.CancellationToken;
        // 4 s: far enough from the default (10 s) to tell them apart, long enough that a loaded machine answers a quick
        // call within it (300 ms did not: CI's first call ran out of it and had no warnings to read).
        await using var gateway = await fx.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["Downstream:ValidationDeadline"] = "00:00:04",
        }, ct);
        using var client = gateway.Client(fx.KeyA);

        var ok = await client.PostJsonAsync("api/v1/sql/validate", """{"sql": "SELECT 1"}""");
        Assert.True(ok.IsSuccessStatusCode, $"SELECT 1: {(int)ok.StatusCode} {await ok.Content.ReadAsStringAsync(ct)}");
        var seen = double.Parse((await ok.ReadJsonAsync()).GetProperty("warnings")[0].GetProperty("message").GetString()!,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seen, 0.01, 4);

        // A call that outlasts it is cut at the configured 4 s, not at the default 10 s nor after the downstream's 30 s.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var response = await client.PostJsonAsync("api/v1/sql/validate", $$"""{"sql": "{{FakeBehaviour.SleepPrefix}}30000"}""");
        await response.AssertProblemAsync(HttpStatusCode.GatewayTimeout);
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(3.9) && sw.Elapsed < TimeSpan.FromSeconds(9.5), $"took {sw.Elapsed}");
    }

    [Fact]
    public async Task Default_deadline_reaches_the_downstream()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var body = await (await client.PostJsonAsync("api/v1/sql/validate", """{"sql": "SELECT 1"}""")).ReadJsonAsync();
        var seen = double.Parse(body.GetProperty("warnings")[0].GetProperty("message").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        // The default 10 s, less the time the call took to get there (seconds on a loaded machine).
        Assert.InRange(seen, 5, 10);
    }

    [Theory]
    [InlineData("{\"sql\": ", "line 1")]
    [InlineData("not json", "line 1")]
    [InlineData("{\"sql\": \"SELECT 1\",\n \"question\": 42}", "$.question")]
    public async Task Malformed_json_is_400_problem_saying_where(string json, string where)
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostJsonAsync("api/v1/sql/validate", json);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", problem.Detail());
        Assert.Contains(where, problem.Detail());
    }

    [Fact]
    public async Task Wrong_content_type_is_415_problem()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostAsync("api/v1/sql/validate",
            new StringContent("SELECT 1", System.Text.Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);
        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"sql": "   "}""")]
    public async Task Missing_sql_is_400_validation_problem(string json)
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostJsonAsync("api/v1/sql/validate", json);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("sql is required", problem.GetProperty("errors").GetProperty("sql")[0].GetString());
        Assert.Contains("sql is required", problem.Detail());
    }

    [Fact]
    public async Task Empty_body_is_400_problem()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostAsync("api/v1/sql/validate", Http.Json(""), TestContext.Current.CancellationToken);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("api/v1/nothing-here", true)]
    [InlineData("api/v1/nothing-here", false)]
    [InlineData("no/such/page", false)]
    public async Task Unknown_route_is_404_problem(string path, bool withKey)
    {
        using var client = fx.Gateway.Client(withKey ? fx.KeyA : null);
        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Wrong_method_is_405_problem()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.GetAsync("api/v1/sql/validate", TestContext.Current.CancellationToken);
        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Unreadable_downstream_answer_is_502_without_internals()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var response = await client.PostJsonAsync("api/v1/agent/ask", """{"question": "badrow"}""");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadGateway);
        Assert.Contains("agent service", problem.Detail());
    }

    [Fact]
    public async Task Body_over_one_mebibyte_is_413_problem()
    {
        using var client = fx.Gateway.Client(fx.KeyA);
        var sql = new string('x', 1024 * 1024 + 10);
        var response = await client.PostJsonAsync("api/v1/sql/validate", $$"""{"sql": "{{sql}}"}""");
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Bad_setting_stops_the_gateway_at_start_naming_it()
    {
        var ex = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            fx.StartGatewayAsync(new Dictionary<string, string?> { ["Downstream:AgentDeadline"] = "-00:00:01" }, TestContext.Current.CancellationToken));
        Assert.Contains("AgentDeadline", ex.Message);
    }
}
