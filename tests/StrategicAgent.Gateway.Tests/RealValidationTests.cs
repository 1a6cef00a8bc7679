using System.Net;
using System.Text.Json;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

/// <summary>
/// /api/v1/sql/validate through the real validation service (libpg_query, the replica's catalog,
/// EXPLAIN on the replica): the gateway's mapping against the real contract, not a fake's idea of it.
/// </summary>
public sealed class RealValidationTests(GatewayFixture fx) : IAsyncLifetime
{
    private RealService? _validation;
    private RunningGateway? _gateway;

    // The services log in to the replica as sa_reader, as the AppHost runs them (not as the superuser).
    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _validation = RealService.StartValidation(fx.ReplicaReaderConnectionString);
        _gateway = await fx.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["services:validation:grpc:0"] = _validation.Address.ToString(),
        }, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        if (_validation is not null)
        {
            await _validation.DisposeAsync();
        }
    }

    private async Task<JsonElement> ValidateAsync(string sql)
    {
        using var http = _gateway!.Client(fx.KeyA);
        var response = await http.PostJsonAsync("api/v1/sql/validate", JsonSerializer.Serialize(new { sql }));
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task A_validation_service_stopped_under_the_gateway_is_503_with_Retry_After_and_its_health_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        var validation = RealService.StartValidation(fx.ReplicaReaderConnectionString);
        await using var gateway = await fx.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["services:validation:grpc:0"] = validation.Address.ToString(),
        }, ct);
        using var http = gateway.Client(fx.KeyA);
        var body = JsonSerializer.Serialize(new { sql = $"SELECT count(*) FROM issues WHERE client_id = {GatewayFixture.TenantA}" });
        var served = await http.PostJsonAsync("api/v1/sql/validate", body);
        Assert.True(served.StatusCode == HttpStatusCode.OK, $"before the stop: {(int)served.StatusCode}");
        Assert.False(served.Headers.Contains("Retry-After"));

        await validation.DisposeAsync(); // the real service stops; its port no longer answers
        var response = await http.PostJsonAsync("api/v1/sql/validate", body);
        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("validation", problem.GetProperty("downstream").GetString());
        Assert.Contains("Try again", problem.Detail());
        Assert.Equal(5, response.AssertRetryHint(problem));

        // The health report's 503 (not a ProblemDetails) carries the header too.
        using var anonymous = gateway.Client();
        using var health = await anonymous.GetAsync("health", ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("5", Assert.Single(health.Headers.GetValues("Retry-After")));
    }

    [Fact]
    public async Task Valid_tenant_scoped_query_passes_every_stage()
    {
        var report = await ValidateAsync($"SELECT key, summary FROM issues WHERE client_id = {GatewayFixture.TenantA} LIMIT 10");

        Assert.True(report.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.Equal("ok", report.GetProperty("stage").GetString());
        Assert.Contains("issues", report.GetProperty("tables").EnumerateArray().Select(t => t.GetString()));
        Assert.False(string.IsNullOrEmpty(report.GetProperty("fingerprint").GetString()));
        Assert.Equal("low", report.GetProperty("cost").GetProperty("level").GetString());
        Assert.False(report.GetProperty("cost").TryGetProperty("total_cost", out _)); // a band, never the planner's figures
        var timings = report.GetProperty("timings_ms").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("syntax", timings);
        Assert.Contains("cost", timings);
    }

    [Fact]
    public async Task Syntax_error_comes_back_with_its_position()
    {
        var report = await ValidateAsync("SELECT key FORM issues LIMIT 10");

        Assert.False(report.GetProperty("valid").GetBoolean());
        Assert.Equal("syntax", report.GetProperty("stage").GetString());
        var error = report.GetProperty("errors")[0];
        Assert.Equal("syntax_error", error.GetProperty("code").GetString());
        Assert.InRange(error.GetProperty("position").GetInt32(), 1, 31);
    }

    [Fact]
    public async Task Unknown_column_is_a_static_error_with_suggestions()
    {
        var report = await ValidateAsync($"SELECT summry FROM issues WHERE client_id = {GatewayFixture.TenantA} LIMIT 10");

        Assert.False(report.GetProperty("valid").GetBoolean());
        Assert.Equal("static", report.GetProperty("stage").GetString());
        var error = report.GetProperty("errors").EnumerateArray().First(e => e.GetProperty("code").GetString() == "unknown_column");
        Assert.Contains(error.GetProperty("suggestions").EnumerateArray(), s => s.GetString()!.EndsWith("summary", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Write_statement_is_rejected_statically()
    {
        var report = await ValidateAsync("DELETE FROM issues");
        Assert.False(report.GetProperty("valid").GetBoolean());
        Assert.Equal("not_read_only", report.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Oversized_sql_is_the_services_invalid_argument_as_400()
    {
        using var http = _gateway!.Client(fx.KeyA);
        var sql = "SELECT 1 -- " + new string('x', 300_000);
        var response = await http.PostJsonAsync("api/v1/sql/validate", JsonSerializer.Serialize(new { sql }));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("validation", problem.GetProperty("downstream").GetString());
        Assert.Equal("InvalidArgument", problem.GetProperty("grpc_status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail()));
    }
}
