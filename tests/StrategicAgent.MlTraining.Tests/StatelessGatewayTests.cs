using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Ml;
using StrategicAgent.Testing;

namespace StrategicAgent.MlTraining.Tests;

/// <summary>
/// The gateway keeps no training state: a run started through one gateway process that is then
/// killed is read, finished, from a new gateway process (the run lives in ml.training_runs and is
/// trained by ml-training from the queue).
/// </summary>
public sealed class StatelessGatewayTests(DemoDataFixture db)
{
    [Fact]
    public async Task A_run_started_through_a_killed_gateway_is_read_finished_from_a_new_one()
    {
        var ct = TestContext.Current.CancellationToken;
        string adminKey;
        await using (var primary = await db.OpenPrimaryAsync(ct))
        {
            adminKey = await ApiKeys.CreateAsync(primary, 1, "stateless gateway test", [ApiKeyScopes.Query, ApiKeyScopes.Admin], ct);
        }
        await using var training = await TrainingApp.StartAsync(db.ReplicaMlConnectionString);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__primary"] = db.PrimaryGatewayConnectionString,
            ["services__ml-training__grpc__0"] = $"http://127.0.0.1:{training.GrpcPort}",
            // Not called by this test; the gateway needs an address for each.
            ["services__agent__grpc__0"] = "http://127.0.0.1:9",
            ["services__validation__grpc__0"] = "http://127.0.0.1:9",
            ["services__prediction__grpc__0"] = "http://127.0.0.1:9",
        };

        // The test holds the model's training lock, so the run is taken by the trainer and then waits
        // (stage "waiting") for as long as the test needs: the gateway dies in the middle of the run.
        await using var trainingLock = new NpgsqlConnection(db.ReplicaConnectionString);
        await trainingLock.OpenAsync(ct);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('ml.train:' || $1))", trainingLock))
        {
            take.Parameters.Add(new NpgsqlParameter { Value = ModelNames.Trajectory });
            await take.ExecuteNonQueryAsync(ct);
        }

        var requestId = "stateless-" + Guid.NewGuid().ToString("N");
        var location = $"api/v1/models/trajectory/runs/{requestId}";
        var first = await GatewayProcess.StartAsync(environment, ct);
        await using (first)
        {
            using var http = first.Client(adminKey);
            var started = await http.PostAsync("api/v1/models/trajectory/train",
                new StringContent($$$"""{"request_id": "{{{requestId}}}", "deploy_strategy": "none", "hyperparameters": {"iterations": "60"}}""", Encoding.UTF8, "application/json"), ct);
            Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"{(int)started.StatusCode}: {await started.Content.ReadAsStringAsync(ct)}");
            Assert.Equal("/" + location, started.Headers.Location?.ToString());

            var waiting = await PollAsync(http, location, run => run.GetProperty("stage").GetString() == "waiting", TimeSpan.FromSeconds(60), ct);
            Assert.Equal("running", waiting.GetProperty("status").GetString());
            Assert.False(waiting.GetProperty("completed").GetBoolean());

            await first.KillAsync();
        }

        // The run goes on without any gateway. (Unlocked explicitly: a pooled connection keeps its session's locks when closed.)
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('ml.train:' || $1))", trainingLock))
        {
            release.Parameters.Add(new NpgsqlParameter { Value = ModelNames.Trajectory });
            Assert.True((bool)(await release.ExecuteScalarAsync(ct))!);
        }

        await using var second = await GatewayProcess.StartAsync(environment, ct);
        using var http2 = second.Client(adminKey);
        var finished = await PollAsync(http2, location, run => run.GetProperty("completed").GetBoolean(), TimeSpan.FromSeconds(180), ct);
        Assert.Equal("succeeded", finished.GetProperty("status").GetString());
        Assert.Equal("done", finished.GetProperty("stage").GetString());
        Assert.Equal(100, finished.GetProperty("percent").GetDouble());
        Assert.Equal(requestId, finished.GetProperty("request_id").GetString());
        Assert.Equal("trajectory", finished.GetProperty("version").GetProperty("model_name").GetString());
        Assert.Equal(requestId, finished.GetProperty("version").GetProperty("request_id").GetString());
        Assert.False(finished.GetProperty("deployed").GetBoolean());
        Assert.Equal(
            ["queued", "waiting", "loading", "training", "evaluating", "registering", "deploying", "done"],
            finished.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()!).ToArray());
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db, "SELECT count(*) FROM ml.model_versions WHERE request_id = $1", requestId));
    }

    private static async Task<JsonElement> PollAsync(HttpClient http, string path, Func<JsonElement, bool> until, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var response = await http.GetAsync(path, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
            var run = JsonDocument.Parse(body).RootElement.Clone();
            if (until(run))
            {
                return run;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"GET {path} did not reach the expected state within {timeout.TotalSeconds:0} s; last: {body}");
            }
            await Task.Delay(200, ct);
        }
    }
}
