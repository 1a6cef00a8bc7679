using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StrategicAgent.Agent.Ai;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;
using StrategicAgent.Agent.Domain.Predictions;
using StrategicAgent.Agent.Grpc;
using StrategicAgent.Protos.Prediction.V1;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The agent's prediction questions answered through this service: the planner routes them, the
/// offline intents pick the call, the answer carries the prediction, its interval or probability,
/// the model version and a confidence. Also the Semantic Kernel functions of the LLM path.
/// </summary>
public sealed class AgentPredictionTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class ReplicaVocabulary(string replica, bool withProjects = false) : IVocabularySource
    {
        public async Task<TenantVocabulary> GetAsync(long clientId, CancellationToken ct)
        {
            await using var conn = new NpgsqlConnection(replica);
            await conn.OpenAsync(ct);
            var projects = new List<(string, string)>();
            if (withProjects)
            {
                await using var p = new NpgsqlCommand("SELECT key, name FROM projects WHERE client_id = $1 AND active ORDER BY key", conn) { Parameters = { new() { Value = clientId } } };
                await using var pr = await p.ExecuteReaderAsync(ct);
                while (await pr.ReadAsync(ct))
                {
                    projects.Add((pr.GetString(0), pr.GetString(1)));
                }
            }
            await using var cmd = new NpgsqlCommand("SELECT name FROM repositories WHERE client_id = $1", conn) { Parameters = { new() { Value = clientId } } };
            var repos = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                repos.Add(r.GetString(0));
            }
            return new TenantVocabulary([], projects, repos, [], []);
        }
    }

    private GrpcPredictionTool Tool(bool withProjects = false) => new(f.Host.ClientFor(PredictionFixture.Acme),
        new ReplicaVocabulary(f.ReplicaConnectionString, withProjects), NullLogger<GrpcPredictionTool>.Instance);

    [Theory]
    [InlineData("When will epic PAY-12 finish?")]
    [InlineData("How many points is PAY-301?")]
    [InlineData("Which open PRs in api-gateway are most likely to need rework?")]
    public void The_planner_routes_the_questions_to_predictions(string question)
    {
        var vocabulary = new TenantVocabulary([], [("PAY", "Payments")], ["api-gateway"], ["Story", "Epic"], []);
        Assert.True(QuestionParser.Parse(question, vocabulary, new DateOnly(2026, 11, 1)).IsPrediction);
    }

    [Fact]
    public void Intents_are_recognised_offline()
    {
        var v = new TenantVocabulary([], [], ["api-gateway", "payments-service"], [], []);
        Assert.Equal(new[] { "PAY-12" }, PredictionIntentParser.Parse("When will epic PAY-12 finish?", v).Keys);
        Assert.Equal(PredictionKind.EpicCompletion, PredictionIntentParser.Parse("When will epic PAY-12 finish?", v).Kind);
        Assert.Equal(PredictionKind.StoryPoints, PredictionIntentParser.Parse("How many points is PAY-301?", v).Kind);
        var rework = PredictionIntentParser.Parse("Which open PRs in api-gateway are most likely to need rework?", v);
        Assert.Equal((PredictionKind.ReworkRisk, "api-gateway"), (rework.Kind, rework.Repository));
        Assert.Equal(PredictionKind.ReworkRisk, PredictionIntentParser.Parse("rework risk of api-gateway#12 and payments-service#3", v).Kind);
        Assert.Equal(PredictionKind.IssueOutlook, PredictionIntentParser.Parse("How long will PAY-301 take?", v).Kind);
        Assert.Equal(PredictionKind.None, PredictionIntentParser.Parse("Will it rain tomorrow?", v).Kind);
    }

    [Fact]
    public async Task When_will_an_epic_finish()
    {
        var epic = (await f.KeysAsync(PredictionFixture.OpenEpicKeysSql, PredictionFixture.Acme, 1, Ct)).Single();
        var answer = await Tool().AnswerAsync($"When will epic {epic} finish?", PredictionFixture.Acme, Ct);
        Assert.True(answer.Answered, answer.Text);
        Assert.Contains(epic, answer.Text);
        Assert.Contains("80% interval", answer.Text);
        Assert.Contains("model trajectory v", answer.Text);
        Assert.InRange(answer.Confidence, 0.01, 1);
        Assert.Equal(epic, answer.Rows.Single()[0]);
        TestContext.Current.SendDiagnosticMessage(answer.Text);
    }

    [Fact]
    public async Task How_many_points_is_an_issue()
    {
        var answer = await Tool().AnswerAsync("How many points is PAY-301?", PredictionFixture.Acme, Ct);
        Assert.True(answer.Answered, answer.Text);
        Assert.Contains("PAY-301 is about", answer.Text);
        Assert.Contains("Fibonacci", answer.Text);
        Assert.InRange(answer.Confidence, 0.01, 1);
        TestContext.Current.SendDiagnosticMessage(answer.Text);
    }

    [Fact]
    public async Task Which_open_pull_requests_need_rework()
    {
        var answer = await Tool().AnswerAsync("Which open PRs in api-gateway are most likely to need rework?", PredictionFixture.Acme, Ct);
        Assert.True(answer.Answered, answer.Text);
        Assert.Contains("api-gateway#", answer.Text);
        Assert.All(answer.Rows, r => Assert.StartsWith("api-gateway#", (string)r[0]!));
        Assert.Equal(answer.Rows.Select(r => (double)r[2]!).OrderDescending(), answer.Rows.Select(r => (double)r[2]!));
        Assert.InRange(answer.Confidence, 0.5, 1);
        TestContext.Current.SendDiagnosticMessage(answer.Text);
    }

    [Fact]
    public async Task Another_tenant_s_epic_is_not_predicted()
    {
        var globex = (await f.KeysAsync(PredictionFixture.EpicKeysSql, PredictionFixture.Globex, 1, Ct)).Single();
        var answer = await Tool().AnswerAsync($"When will epic {globex} finish?", PredictionFixture.Acme, Ct);
        Assert.False(answer.Answered);
        Assert.Contains("not found", answer.Text);
    }

    [Fact]
    public async Task Semantic_Kernel_functions_return_the_service_s_answers()
    {
        var plugin = new PredictionPlugin(Tool(), PredictionFixture.Acme);
        var points = await plugin.EstimateStoryPointsAsync("PAY-301", Ct);
        Assert.Contains("PAY-301 is about", points);
        var rework = await plugin.AssessReworkRiskAsync("api-gateway", "", 3, Ct);
        Assert.Contains("api-gateway#", rework);
        Assert.Equal(2, plugin.Calls);
        Assert.InRange(plugin.LastConfidence, 0.5, 1);
    }

    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task A_pull_request_s_rework_risk_is_the_model_s_probability_for_that_pull_request()
    {
        var key = (await f.KeysAsync(PredictionFixture.PullRequestKeysSql, PredictionFixture.Acme, 1, Ct)).Single();
        var intent = PredictionIntentParser.Route($"what is the rework risk of {key}?", new TenantVocabulary([], [], [key.Split('#')[0]], [], []), Today);
        Assert.Equal(PredictionKind.ReworkRisk, intent!.Kind);
        var answer = await Tool().AnswerAsync(intent, PredictionFixture.Acme, Today, Ct);
        var direct = await f.Host.ClientFor(PredictionFixture.Acme)
            .AssessReworkRiskAsync(new ReworkRequest { PullRequests = { key } }, cancellationToken: Ct);
        Assert.True(answer.Answered, answer.Text);
        var row = answer.Rows.Single();
        Assert.Equal(key, row[0]);
        Assert.Equal(Math.Round(direct.Predictions.Single().Probability, 3), (double)row[2]!);
        Assert.Contains("top factors", answer.Text);
        Assert.StartsWith("Computed: rework risk of pull request " + key, answer.Reading);
        TestContext.Current.SendDiagnosticMessage(answer.Reading + "\n" + answer.Text);
    }

    [Fact]
    public async Task A_described_new_story_gets_the_complexity_model_s_estimate_for_its_text()
    {
        var intent = PredictionIntentParser.Route("estimate story points for a new story: 'Export invoices as CSV'", TenantVocabulary.Empty, Today)!;
        var answer = await Tool(withProjects: true).AnswerAsync(intent, PredictionFixture.Acme, Today, Ct);
        Assert.True(answer.Answered, answer.Text);
        // No project named: one estimate per project of the tenant, each the model's answer for that project.
        Assert.True(answer.Rows.Count > 1, answer.Text);
        Assert.Contains("You named no project", answer.Text);
        foreach (var row in answer.Rows)
        {
            var direct = await f.Host.ClientFor(PredictionFixture.Acme).EstimateComplexityAsync(new ComplexityRequest
            {
                NewIssues = { new NewIssue { Summary = "Export invoices as CSV", IssueType = "Story", ProjectKey = (string)row[0]! } },
            }, cancellationToken: Ct);
            Assert.Equal(direct.Predictions.Single().StoryPoints, (double)row[1]!);
        }
        var named = await Tool(withProjects: true).AnswerAsync(intent with { ProjectKey = (string)answer.Rows[0][0]! }, PredictionFixture.Acme, Today, Ct);
        Assert.Equal(answer.Rows[0][1], named.Rows.Single()[1]);
        TestContext.Current.SendDiagnosticMessage(answer.Text);
    }

    [Fact]
    public async Task Epic_forecasts_come_in_batches_and_the_odds_of_a_date_are_the_forecast_s_probability()
    {
        // 60 open epics: two requests; an epic the service cannot forecast is set aside with its reason, never fails the rest.
        var keys = await f.KeysAsync(PredictionFixture.OpenEpicKeysSql, PredictionFixture.Acme, 60, Ct);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var batch = await Tool().ForecastEpicsAsync(PredictionFixture.Acme, keys, Ct);
        TestContext.Current.SendDiagnosticMessage($"{keys.Count} epics forecast in {sw.ElapsedMilliseconds} ms ({batch.NotForecast.Count} not forecast; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        Assert.Equal(keys.Order(), batch.Forecasts.Select(x => x.Key).Concat(batch.NotForecast.Select(x => x.Key)).Order());
        Assert.True(batch.Forecasts.Count >= keys.Count / 2, $"{batch.Forecasts.Count} of {keys.Count} forecast; not: {string.Join("; ", batch.NotForecast.Select(x => x.Reason))}");
        Assert.All(batch.Forecasts, x => Assert.True(x.AsOf <= x.P50 && x.P50 <= x.P80 && x.P80 <= x.P95, x.Key));
        Assert.Equal(10_000, batch.Draws);

        // The odds of the P80 day: the service's probability for the end of that day, the same seeded draws.
        var epic = batch.Forecasts[0];
        var by = DateOnly.FromDateTime(epic.P80);
        var intent = PredictionIntentParser.Route($"what are the odds {epic.Key} is done by {by:yyyy-MM-dd}?", TenantVocabulary.Empty, Today)!;
        Assert.Equal((PredictionKind.EpicOdds, by), (intent.Kind, intent.By));
        var answer = await Tool().AnswerAsync(intent, PredictionFixture.Acme, Today, Ct);
        var direct = (await f.Host.ClientFor(PredictionFixture.Acme).ForecastEpicsAsync(new ForecastRequest
        {
            EpicKeys = { epic.Key }, By = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(by.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)),
        }, cancellationToken: Ct)).Forecasts.Single();
        Assert.True(answer.Answered, answer.Text);
        var row = answer.Rows.Single();
        Assert.Equal(Math.Round(direct.ProbabilityBy, 3), (double)row[2]!);
        Assert.InRange((double)row[2]!, 0.8, 1);
        Assert.Equal([direct.P50.ToDateTime().ToString("yyyy-MM-dd"), direct.P80.ToDateTime().ToString("yyyy-MM-dd"), direct.P95.ToDateTime().ToString("yyyy-MM-dd")], row[3..6]);
        Assert.Contains($"{epic.Key}: {direct.ProbabilityBy * 100:0}% chance of being done by {by:yyyy-MM-dd}", answer.Text);
        Assert.StartsWith($"Computed: the probability that {epic.Key} is done by {by:yyyy-MM-dd}", answer.Reading);
        Assert.Contains("10,000 seeded draws (seed ", answer.Text);
        Assert.Equal(direct.Method switch { ForecastMethod.Blend => "Blend", ForecastMethod.MonteCarlo => "MonteCarlo", _ => "Trajectory" }, row[6]);
        TestContext.Current.SendDiagnosticMessage(answer.Reading + "\n" + answer.Text);

        // Refused with the reason, no number: another tenant's epic, a done epic, a date in the past.
        var globex = (await f.KeysAsync(PredictionFixture.EpicKeysSql, PredictionFixture.Globex, 1, Ct)).Single();
        var other = await Tool().AnswerAsync(intent with { Keys = [globex] }, PredictionFixture.Acme, Today, Ct);
        Assert.False(other.Answered);
        Assert.Contains($"epic '{globex}' not found", other.Text);
        var done = (await f.KeysAsync(ForecastTests.DoneEpicSql, PredictionFixture.Acme, 1, Ct)).Single();
        var finished = await Tool().AnswerAsync(intent with { Keys = [done] }, PredictionFixture.Acme, Today, Ct);
        Assert.False(finished.Answered);
        Assert.Contains($"No odds: epic '{done}' is done", finished.Text);
        var past = await Tool().AnswerAsync(intent with { By = Today.AddDays(-1) }, PredictionFixture.Acme, Today, Ct);
        Assert.False(past.Answered);
        Assert.Contains("in the past", past.Text);
        Assert.All(new[] { other, finished, past }, a => Assert.Empty(a.Rows));
    }

    [Fact]
    public async Task Open_alerts_are_the_tenant_s_unacknowledged_alerts()
    {
        var answer = await Tool().AnswerAsync(new PredictionIntent(PredictionKind.OpenAlerts, [], null, 50), PredictionFixture.Acme, Today, Ct);
        // Other tests raise and acknowledge alerts meanwhile; alerts are never deleted, so every one listed is Acme's.
        var all = await f.Host.ClientFor(PredictionFixture.Acme)
            .ListAlertsAsync(new ListAlertsRequest { Limit = 500 }, cancellationToken: Ct);
        Assert.True(answer.Answered, answer.Text);
        Assert.Subset(all.Alerts.Select(a => a.Id).ToHashSet(), answer.Rows.Select(r => (long)r[0]!).ToHashSet());
        Assert.All(answer.Rows, r => Assert.Contains((string)r[2]!, new[] { "low", "medium", "high", "critical" }));
        TestContext.Current.SendDiagnosticMessage(answer.Text);
    }
}
