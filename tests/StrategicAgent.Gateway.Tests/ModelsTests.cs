using System.Net;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

public sealed class ModelsTests(GatewayFixture fx)
{
    [Fact]
    public async Task Lists_models_and_versions()
    {
        using var http = fx.Gateway.Client(fx.KeyA);
        var models = await (await http.GetAsync("api/v1/models", TestContext.Current.CancellationToken)).ReadJsonAsync();
        var complexity = models.GetProperty("models")[0];
        Assert.Equal("complexity", complexity.GetProperty("name").GetString());
        Assert.Equal(2, complexity.GetProperty("deployed").GetProperty("version").GetInt32());
        Assert.Equal(1.25, complexity.GetProperty("deployed").GetProperty("metrics").GetProperty("mae").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, models.GetProperty("models")[1].GetProperty("deployed").ValueKind);

        var versions = await (await http.GetAsync("api/v1/models/rework/versions", TestContext.Current.CancellationToken)).ReadJsonAsync();
        Assert.Equal("rework", versions.GetProperty("model").GetString());
        Assert.Equal(2, versions.GetProperty("versions").GetArrayLength());
        Assert.Equal("2025-01-02T03:04:05+00:00", versions.GetProperty("versions")[0].GetProperty("created_at").GetString());
    }

    [Fact]
    public async Task Unknown_model_is_404_naming_the_models_without_calling_the_training_service()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fx.Gateway.Client(fx.KeyA);
        // forecast is a ModelName (its predictions are logged) but nothing trains it: no model here either.
        foreach (var path in new[] { "api/v1/models/missing/versions", "api/v1/models/forecast/history", "api/v1/models/missing/runs/r1" })
        {
            var problem = await (await http.GetAsync(path, ct)).AssertProblemAsync(HttpStatusCode.NotFound);
            Assert.False(problem.TryGetProperty("downstream", out _), path);
            Assert.Contains("There is no model", problem.Detail());
            Assert.Contains("trajectory, complexity, rework, unified, anomaly.", problem.Detail());
        }

        using var admin = fx.Gateway.Client(fx.AdminKey);
        var requestId = "missing-" + Guid.NewGuid().ToString("N");
        var train = await admin.PostJsonAsync("api/v1/models/missing/train", $$$"""{"request_id": "{{{requestId}}}"}""");
        await train.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.False(fx.Training.TrainCalls.ContainsKey(requestId));
        await (await admin.PostJsonAsync("api/v1/models/forecast/deploy", """{"strategy": "best_score"}""")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Model_names_are_case_insensitive_and_answered_in_lower_case()
    {
        using var http = fx.Gateway.Client(fx.KeyA);
        var versions = await (await http.GetAsync("api/v1/models/REWORK/versions", TestContext.Current.CancellationToken)).ReadJsonAsync();
        Assert.Equal("rework", versions.GetProperty("model").GetString());
        Assert.Equal("rework", versions.GetProperty("versions")[0].GetProperty("model_name").GetString());
    }

    [Fact]
    public async Task Train_with_wait_returns_the_whole_run()
    {
        using var http = fx.Gateway.Client(fx.AdminKey);
        var response = await http.PostJsonAsync("api/v1/models/complexity/train?wait=true",
            """{"deploy_strategy": "most_recent", "hyperparameters": {"leaves": "63"}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var run = await response.ReadJsonAsync();
        Assert.Equal("done", run.GetProperty("stage").GetString());
        Assert.True(run.GetProperty("completed").GetBoolean());
        Assert.Equal(4, run.GetProperty("version").GetProperty("version").GetInt32());
        Assert.Equal(["queued", "training", "done"], run.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()!).ToArray());
        Assert.Equal(60, run.GetProperty("stages")[1].GetProperty("percent").GetDouble());
        Assert.Equal("strategy=most_recent", run.GetProperty("stages")[0].GetProperty("message").GetString());
        Assert.Equal(32, run.GetProperty("request_id").GetString()!.Length);
    }

    [Fact]
    public async Task Train_without_wait_is_202_with_a_run_any_gateway_can_poll_and_a_retry_returns_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fx.Gateway.Client(fx.AdminKey);
        var requestId = "req-" + Guid.NewGuid().ToString("N");
        var body = $$$"""{"request_id": "{{{requestId}}}", "hyperparameters": {"step_ms": "300"}}""";

        var response = await http.PostJsonAsync("api/v1/models/rework/train", body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/v1/models/rework/runs/{requestId}", response.Headers.Location?.ToString());
        var accepted = await response.ReadJsonAsync();
        Assert.Equal("queued", accepted.GetProperty("status").GetString());
        Assert.Equal("queued", accepted.GetProperty("stage").GetString());
        Assert.False(accepted.GetProperty("completed").GetBoolean());

        // The same request id returns the same run: no second training.
        var again = await http.PostJsonAsync("api/v1/models/rework/train", body);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(requestId, (await again.ReadJsonAsync()).GetProperty("request_id").GetString());

        // The gateway keeps nothing: another instance reads the same run from the training service.
        await using var other = await fx.StartGatewayAsync(new Dictionary<string, string?>(), ct);
        using var otherHttp = other.Client(fx.KeyA);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        System.Text.Json.JsonElement run;
        do
        {
            await Task.Delay(100, ct);
            run = await (await otherHttp.GetAsync(response.Headers.Location, ct)).ReadJsonAsync();
        }
        while (!run.GetProperty("completed").GetBoolean() && sw.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal("done", run.GetProperty("stage").GetString());
        Assert.Equal(4, run.GetProperty("version").GetProperty("version").GetInt32());
        Assert.Equal(["queued", "training", "done"], run.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()!).ToArray());
        Assert.Equal(1, fx.Training.TrainCalls[requestId]);
    }

    [Fact]
    public async Task Train_with_wait_answers_202_with_the_run_so_far_when_it_outlasts_the_deadline()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await fx.StartGatewayAsync(new Dictionary<string, string?> { ["Downstream:TrainingDeadline"] = "00:00:00.300" }, ct);
        using var http = gateway.Client(fx.AdminKey);
        var response = await http.PostJsonAsync("api/v1/models/rework/train?wait=true", """{"hyperparameters": {"step_ms": "60000"}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = await response.ReadJsonAsync();
        Assert.False(run.GetProperty("completed").GetBoolean());
        Assert.Equal($"/api/v1/models/rework/runs/{run.GetProperty("request_id").GetString()}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Unknown_run_is_404_problem()
    {
        using var http = fx.Gateway.Client(fx.KeyA);
        var response = await http.GetAsync("api/v1/models/rework/runs/nope", TestContext.Current.CancellationToken);
        var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("nope", problem.Detail());
    }

    [Fact]
    public async Task Train_rejects_an_unknown_deploy_strategy_and_one_that_cannot_follow_a_training()
    {
        using var http = fx.Gateway.Client(fx.AdminKey);
        foreach (var strategy in new[] { "yolo", "rollback", "specific" })
        {
            var response = await http.PostJsonAsync("api/v1/models/rework/train", $$"""{"deploy_strategy": "{{strategy}}"}""");
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains($"deploy_strategy '{strategy}' is not one of: best_score, most_recent, none", problem.Detail());
        }
    }

    [Theory]
    [InlineData("""{"strategy": "best_score"}""", HttpStatusCode.OK, "strategy=best_score;version_id=0")]
    [InlineData("""{"strategy": "specific", "version_id": 102}""", HttpStatusCode.OK, "strategy=specific;version_id=102")]
    [InlineData("""{"strategy": "specific"}""", HttpStatusCode.BadRequest, "version_id")]
    [InlineData("""{"strategy": "whatever"}""", HttpStatusCode.BadRequest, "strategy")]
    [InlineData("""{}""", HttpStatusCode.BadRequest, "strategy is required")]
    [InlineData("""{"strategy": "rollback"}""", HttpStatusCode.Conflict, "No previous version")]
    public async Task Deploy(string body, HttpStatusCode status, string expected)
    {
        using var http = fx.Gateway.Client(fx.AdminKey);
        var response = await http.PostJsonAsync("api/v1/models/complexity/deploy", body);
        if (status == HttpStatusCode.OK)
        {
            Assert.Equal(status, response.StatusCode);
            var result = await response.ReadJsonAsync();
            Assert.True(result.GetProperty("deployed").GetBoolean());
            Assert.Equal(expected, result.GetProperty("reason").GetString());
        }
        else
        {
            var problem = await response.AssertProblemAsync(status);
            Assert.Contains(expected, problem.Detail());
        }
    }
}
