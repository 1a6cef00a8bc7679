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

    private sealed class ReplicaVocabulary(string replica) : IVocabularySource
    {
        public async Task<TenantVocabulary> GetAsync(long clientId, CancellationToken ct)
        {
            await using var conn = new NpgsqlConnection(replica);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT name FROM repositories WHERE client_id = $1", conn) { Parameters = { new() { Value = clientId } } };
            var repos = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                repos.Add(r.GetString(0));
            }
            return new TenantVocabulary([], [], repos, [], []);
        }
    }

    private GrpcPredictionTool Tool() => new(f.Host.ClientFor(PredictionFixture.Acme),
        new ReplicaVocabulary(f.ReplicaConnectionString), NullLogger<GrpcPredictionTool>.Instance);

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
}
