using System.Net;
using Xunit;
using ModelName = StrategicAgent.Protos.Ml.V1.ModelName;

namespace StrategicAgent.Gateway.Tests;

/// <summary>
/// API key scopes: training and deploying models (shared by every tenant) need the admin scope;
/// a tenant's ordinary key (scope query) gets a 403 that names the missing scope and never reaches
/// the training service, while everything it could read before still works.
/// </summary>
public sealed class ScopeTests(GatewayFixture fx)
{
    // Models only these tests deploy, so the fake's deploy counts are theirs alone: anomaly (always refused
    // before the training service) and unified (let through once, by the admin test).
    private const string Model = "anomaly";
    private const string AdminModel = "unified";

    [Fact]
    public async Task Tenant_key_is_403_on_train_and_deploy_and_the_training_service_is_not_called()
    {
        var requestId = "scope-" + Guid.NewGuid().ToString("N");
        using var http = fx.Gateway.Client(fx.KeyA);

        foreach (var (path, body) in new[]
        {
            ($"api/v1/models/{Model}/train", $$$"""{"request_id": "{{{requestId}}}"}"""),
            ($"api/v1/models/{Model}/train?wait=true", $$$"""{"request_id": "{{{requestId}}}"}"""),
            ($"api/v1/models/{Model}/deploy", """{"strategy": "best_score"}"""),
        })
        {
            var response = await http.PostJsonAsync(path, body);
            var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains("lacks the 'admin' scope", problem.Detail());
            Assert.Contains("create-api-key", problem.Detail());
            Assert.Equal(["admin"], problem.GetProperty("missing_scopes").EnumerateArray().Select(e => e.GetString()));
            Assert.True(problem.TryGetProperty("trace_id", out _));
        }
        Assert.False(fx.Training.TrainCalls.ContainsKey(requestId));
        Assert.False(fx.Training.DeployCalls.ContainsKey(ModelName.Anomaly));
    }

    [Fact]
    public async Task Admin_key_is_let_through_to_the_training_service()
    {
        var requestId = "scope-" + Guid.NewGuid().ToString("N");
        using var http = fx.Gateway.Client(fx.AdminKey);

        var train = await http.PostJsonAsync($"api/v1/models/{AdminModel}/train?wait=true", $$$"""{"request_id": "{{{requestId}}}"}""");
        Assert.Equal(HttpStatusCode.OK, train.StatusCode);
        Assert.Equal("done", (await train.ReadJsonAsync()).GetProperty("stage").GetString());
        Assert.Equal(1, fx.Training.TrainCalls[requestId]);

        var deploy = await http.PostJsonAsync($"api/v1/models/{AdminModel}/deploy", """{"strategy": "most_recent"}""");
        Assert.Equal(HttpStatusCode.OK, deploy.StatusCode);
        Assert.Equal("strategy=most_recent;version_id=0", (await deploy.ReadJsonAsync()).GetProperty("reason").GetString());
        Assert.Equal(1, fx.Training.DeployCalls[ModelName.Unified]);
    }

    [Fact]
    public async Task Tenant_key_still_reads_the_registry_and_a_run_an_admin_started()
    {
        var ct = TestContext.Current.CancellationToken;
        var requestId = "scope-" + Guid.NewGuid().ToString("N");
        using (var admin = fx.Gateway.Client(fx.AdminKey))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostJsonAsync("api/v1/models/rework/train", $$$"""{"request_id": "{{{requestId}}}"}""")).StatusCode);
        }

        using var http = fx.Gateway.Client(fx.KeyA);
        foreach (var path in new[] { "api/v1/models", "api/v1/models/rework/versions", "api/v1/models/rework/versions?details=true", $"api/v1/models/rework/runs/{requestId}" })
        {
            var response = await http.GetAsync(path, ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
        // And the tenant routes, which need the query scope every ordinary key has.
        Assert.Equal(HttpStatusCode.OK, (await http.PostJsonAsync("api/v1/sql/validate", """{"sql": "SELECT 1"}""")).StatusCode);
    }

    [Fact]
    public async Task Admin_only_key_can_train_but_not_use_tenant_routes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fx.Gateway.Client(fx.AdminOnlyKey);

        var list = await http.GetAsync("api/v1/models", ct);
        var problem = await list.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("'query'", problem.Detail());
        Assert.Equal(["query"], problem.GetProperty("missing_scopes").EnumerateArray().Select(e => e.GetString()));
        await (await http.PostJsonAsync("api/v1/sql/validate", """{"sql": "SELECT 1"}""")).AssertProblemAsync(HttpStatusCode.Forbidden);

        // Train needs both policies (the group's query and the route's admin): the missing one is named.
        var train = await http.PostJsonAsync($"api/v1/models/{Model}/train?wait=true", "{}");
        var trainProblem = await train.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(["query"], trainProblem.GetProperty("missing_scopes").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sa_notARealKeyAtAll")]
    public async Task Missing_or_unknown_key_on_train_and_deploy_stays_401(string? key)
    {
        using var http = fx.Gateway.Client(key);
        foreach (var path in new[] { $"api/v1/models/{Model}/train", $"api/v1/models/{Model}/deploy" })
        {
            var response = await http.PostJsonAsync(path, """{"strategy": "best_score"}""");
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task OpenApi_documents_403_on_the_admin_routes_only()
    {
        using var http = fx.Gateway.Client();
        var doc = await (await http.GetAsync("openapi/v1.json", TestContext.Current.CancellationToken)).ReadJsonAsync();
        var paths = doc.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/v1/models/{name}/train").GetProperty("post").GetProperty("responses").TryGetProperty("403", out _));
        Assert.True(paths.GetProperty("/api/v1/models/{name}/deploy").GetProperty("post").GetProperty("responses").TryGetProperty("403", out _));
        Assert.False(paths.GetProperty("/api/v1/models").GetProperty("get").GetProperty("responses").TryGetProperty("403", out _));
    }
}
