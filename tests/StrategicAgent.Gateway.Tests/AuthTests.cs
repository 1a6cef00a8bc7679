using System.Net;
using StrategicAgent.Gateway.Tests;
using Xunit;

[assembly: AssemblyFixture(typeof(GatewayFixture))]

namespace StrategicAgent.Gateway.Tests;

public sealed class AuthTests(GatewayFixture fx)
{
    private const string ValidateBody = """{"sql": "SELECT key FROM issues"}""";

    [Fact]
    public async Task No_key_is_401_problem_naming_the_header()
    {
        using var http = fx.Gateway.Client();
        var response = await http.PostJsonAsync("api/v1/sql/validate", ValidateBody);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("X-Api-Key", problem.Detail());
        Assert.Contains("ApiKey", response.Headers.WwwAuthenticate.ToString());
        Assert.True(problem.TryGetProperty("trace_id", out _));
    }

    [Theory]
    [InlineData("sa_notARealKeyAtAll")]
    [InlineData("x")]
    public async Task Unknown_key_is_401_problem_saying_the_key_is_invalid(string key)
    {
        using var http = fx.Gateway.Client(key);
        var response = await http.PostJsonAsync("api/v1/sql/validate", ValidateBody);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("not valid", problem.Detail());
    }

    [Fact]
    public async Task Revoked_key_and_key_of_an_inactive_tenant_are_401()
    {
        foreach (var key in new[] { fx.RevokedKey, fx.InactiveTenantKey })
        {
            using var http = fx.Gateway.Client(key);
            var response = await http.PostJsonAsync("api/v1/sql/validate", ValidateBody);
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task Each_key_reaches_the_downstream_as_exactly_its_tenant_whatever_the_body_says()
    {
        foreach (var (key, tenant) in new[] { (fx.KeyA, GatewayFixture.TenantA), (fx.KeyB, GatewayFixture.TenantB) })
        {
            using var http = fx.Gateway.Client(key);
            // A client_id in the body is not part of the contract and must be ignored.
            var response = await http.PostJsonAsync("api/v1/sql/validate", """{"sql": "SELECT 1", "client_id": 999}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.ReadJsonAsync();
            Assert.Equal($"client:{tenant}", body.GetProperty("fingerprint").GetString());
        }
    }

    [Fact]
    public async Task Two_keys_sent_at_once_are_rejected()
    {
        using var http = fx.Gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/sql/validate") { Content = Http.Json(ValidateBody) };
        request.Headers.TryAddWithoutValidation("X-Api-Key", [fx.KeyA, fx.KeyB]);
        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("exactly one", problem.Detail());
    }

    [Fact]
    public async Task Key_store_down_is_503_not_401()
    {
        var ct = TestContext.Current.CancellationToken;
        var deadPort = StrategicAgent.LocalServers.NativeProcess.FreePort();
        await using var gateway = await fx.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:primary"] = $"Host=127.0.0.1;Port={deadPort};Database=strategicagent;Username=postgres;Password=postgres;Timeout=2",
        }, ct);
        using var http = gateway.Client(fx.KeyA);
        var response = await http.PostJsonAsync("api/v1/sql/validate", ValidateBody);

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("key store", problem.Detail());
        Assert.Equal(5, response.AssertRetryHint(problem));
    }

    [Theory]
    [InlineData("health")]
    [InlineData("alive")]
    [InlineData("openapi/v1.json")]
    [InlineData("")]
    public async Task Public_endpoints_need_no_key(string path)
    {
        using var http = fx.Gateway.Client();
        var response = await http.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Resolution_is_cached_briefly_and_a_revoked_key_stops_working_within_the_cache_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await fx.StartGatewayAsync(new Dictionary<string, string?> { ["ApiKeys:CacheSeconds"] = "3" }, ct);
        string key;
        await using (var primary = await fx.OpenPrimaryAsync(ct))
        {
            key = await StrategicAgent.Data.ApiKeys.CreateAsync(primary, GatewayFixture.TenantA, "soon revoked", ct);
        }
        using var http = gateway.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await http.PostJsonAsync("api/v1/sql/validate", ValidateBody)).StatusCode);
        // Cached before that answer was sent, so it has surely expired 3 s (+ margin) from here.
        var sinceCached = System.Diagnostics.Stopwatch.StartNew();

        await using (var primary = await fx.OpenPrimaryAsync(ct))
        {
            await using var revoke = new Npgsql.NpgsqlCommand("UPDATE api_keys SET active = false WHERE key_hash = $1", primary)
            {
                Parameters = { new() { Value = StrategicAgent.Data.ApiKeys.Hash(key) } },
            };
            await revoke.ExecuteNonQueryAsync(ct);
        }
        // Still cached: no database round trip per request.
        Assert.Equal(HttpStatusCode.OK, (await http.PostJsonAsync("api/v1/sql/validate", ValidateBody)).StatusCode);

        var untilExpired = TimeSpan.FromSeconds(3.1) - sinceCached.Elapsed;
        if (untilExpired > TimeSpan.Zero)
        {
            await Task.Delay(untilExpired, ct);
        }
        var response = await http.PostJsonAsync("api/v1/sql/validate", ValidateBody);
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }
}
