using Grpc.Core;
using StrategicAgent.Ml;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Prediction.V1;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>Each endpoint over a real socket against the real replica and the trained, deployed models.</summary>
public sealed class GrpcEndpointTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private void AssertModel(ModelRef model, string name)
    {
        Assert.Equal(name, model.Name.ToWire()); // the contract's enum, named as the registry names the model
        Assert.Equal(f.Host.Models.Get(name).Version, model.Version);
        Assert.Equal(f.Host.Models.Get(name).VersionId, model.VersionId);
        Assert.InRange(model.PredictedAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Trajectory_predicts_open_epics_with_a_completion_interval()
    {
        var keys = await f.KeysAsync(PredictionFixture.OpenEpicKeysSql, PredictionFixture.Acme, 10, Ct);
        Assert.NotEmpty(keys);
        var response = await f.Host.ClientFor(PredictionFixture.Acme).PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { keys } }, cancellationToken: Ct);
        AssertModel(response.Model, ModelNames.Trajectory);
        Assert.Equal(keys, response.Predictions.Select(p => p.Key));
        foreach (var p in response.Predictions)
        {
            Assert.True(p.Found, p.Message);
            Assert.False(p.Done);
            Assert.True(p.PredictedLeadTimeDays > 0);
            Assert.InRange(p.PredictedLeadTimeDays, p.LeadTimeLowDays, p.LeadTimeHighDays);
            Assert.True(p.CompletionLow.ToDateTime() <= p.PredictedCompletion.ToDateTime());
            Assert.True(p.PredictedCompletion.ToDateTime() <= p.CompletionHigh.ToDateTime());
            Assert.Equal(p.StartedAt.ToDateTime().AddDays(p.PredictedLeadTimeDays), p.PredictedCompletion.ToDateTime(), TimeSpan.FromMinutes(15));
            Assert.Equal(0.8, p.IntervalLevel, 3);
            Assert.InRange(p.Confidence, 0.01, 1);
            Assert.True(p.CurrentLeadTimeDays >= 0);
            Assert.Equal(p.Overdue, p.PredictedCompletion.ToDateTimeOffset() < DateTimeOffset.UtcNow);
        }
        TestContext.Current.SendDiagnosticMessage(string.Join("\n", response.Predictions.Select(p =>
            $"{p.Key}: {p.PredictedLeadTimeDays:0.0} d [{p.LeadTimeLowDays:0.0}, {p.LeadTimeHighDays:0.0}] → {p.PredictedCompletion.ToDateTime():yyyy-MM-dd} conf {p.Confidence:0.00}")));
    }

    [Fact]
    public async Task Unknown_cross_tenant_and_wrong_type_keys_come_back_as_not_found()
    {
        var globexEpic = (await f.KeysAsync(PredictionFixture.EpicKeysSql, PredictionFixture.Globex, 1, Ct)).Single();
        var acmeEpic = (await f.KeysAsync(PredictionFixture.EpicKeysSql, PredictionFixture.Acme, 1, Ct)).Single();
        var acmeStory = (await f.KeysAsync(PredictionFixture.StoryKeysSql, PredictionFixture.Acme, 1, Ct)).Single();
        var response = await f.Host.Client.PredictTrajectoryAsync(new TrajectoryRequest
        {
            EpicKeys = { acmeEpic, globexEpic, "PAY-999999", acmeStory },
        }, cancellationToken: Ct);
        Assert.True(response.Predictions[0].Found);
        Assert.False(response.Predictions[1].Found);
        Assert.Contains("not found", response.Predictions[1].Message);
        Assert.Equal(0, response.Predictions[1].PredictedLeadTimeDays);
        Assert.Null(response.Predictions[1].PredictedCompletion);
        Assert.False(response.Predictions[2].Found);
        Assert.False(response.Predictions[3].Found);
        Assert.Contains("not an epic", response.Predictions[3].Message);

        // The same holds for every endpoint: another tenant's keys are never data.
        var globexStory = (await f.KeysAsync(PredictionFixture.StoryKeysSql, PredictionFixture.Globex, 1, Ct)).Single();
        var globexPr = (await f.KeysAsync(PredictionFixture.PullRequestKeysSql, PredictionFixture.Globex, 1, Ct)).Single();
        var complexity = await f.Host.ClientFor(PredictionFixture.Acme).EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { globexStory } }, cancellationToken: Ct);
        Assert.False(Assert.Single(complexity.Predictions).Found);
        var rework = await f.Host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest { PullRequests = { globexPr } }, cancellationToken: Ct);
        Assert.False(Assert.Single(rework.Predictions).Found);
        var unified = await f.Host.ClientFor(PredictionFixture.Acme).PredictUnifiedAsync(new UnifiedRequest { IssueKeys = { globexStory } }, cancellationToken: Ct);
        Assert.False(Assert.Single(unified.Predictions).Found);
        var repo = await f.Host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest { Repository = "shipping-api" }, cancellationToken: Ct);
        Assert.False(Assert.Single(repo.Predictions).Found);
    }

    [Fact]
    public async Task Complexity_estimates_existing_and_new_issues_on_the_fibonacci_scale()
    {
        var keys = await f.KeysAsync(PredictionFixture.StoryKeysSql, PredictionFixture.Acme, 20, Ct);
        var response = await f.Host.Client.EstimateComplexityAsync(new ComplexityRequest
        {
            IssueKeys = { keys },
            NewIssues =
            {
                new NewIssue { Summary = "Add retry with backoff to the payment webhook", Description = "Webhook deliveries fail under load; add retries.", IssueType = "story", ProjectKey = "PAY" },
                new NewIssue { Summary = "Fix typo", IssueType = "Bug", ProjectKey = "NOPE" },
            },
        }, cancellationToken: Ct);
        AssertModel(response.Model, ModelNames.Complexity);
        Assert.Equal(22, response.Predictions.Count);
        foreach (var p in response.Predictions.Take(21))
        {
            Assert.True(p.Found, p.Key + ": " + p.Message);
            Assert.Equal(Math.Round(p.StoryPoints, 1), p.StoryPoints);
            Assert.InRange(p.StoryPoints, p.Low, p.High);
            Assert.Contains(p.Fibonacci, new double[] { 1, 2, 3, 5, 8, 13, 21 });
            Assert.InRange(p.Confidence, 0.01, 1);
        }
        Assert.Equal("new:0", response.Predictions[20].Key);
        Assert.Equal("new:1", response.Predictions[21].Key);
        Assert.False(response.Predictions[21].Found);
        Assert.Contains("project 'NOPE' not found", response.Predictions[21].Message);
    }

    [Fact]
    public async Task Rework_risk_by_keys_and_for_a_repository_s_open_pull_requests()
    {
        var keys = await f.KeysAsync(PredictionFixture.PullRequestKeysSql, PredictionFixture.Acme, 10, Ct);
        var response = await f.Host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest { PullRequests = { keys } }, cancellationToken: Ct);
        AssertModel(response.Model, ModelNames.Rework);
        Assert.Equal(0.7, response.HighThreshold);
        Assert.Equal(0.4, response.MediumThreshold);
        foreach (var p in response.Predictions)
        {
            Assert.True(p.Found, p.Message);
            Assert.InRange(p.Probability, 0, 1);
            Assert.Equal(p.Probability > 0.7 ? RiskLevel.High : p.Probability > 0.4 ? RiskLevel.Medium : RiskLevel.Low, p.RiskLevel);
            Assert.Equal(3, p.TopFeatures.Count);
            Assert.True(Math.Abs(p.TopFeatures[0].Contribution) >= Math.Abs(p.TopFeatures[2].Contribution));
        }

        var open = await f.Host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest { Repository = "api-gateway", Limit = 5 }, cancellationToken: Ct);
        Assert.NotEmpty(open.Predictions);
        Assert.True(open.Predictions.Count <= 5);
        Assert.All(open.Predictions, p => Assert.Equal("open", p.Status));
        Assert.All(open.Predictions, p => Assert.Equal("api-gateway", p.Repository));
        Assert.Equal(open.Predictions.Select(p => p.Probability).OrderDescending(), open.Predictions.Select(p => p.Probability));
        TestContext.Current.SendDiagnosticMessage(string.Join("\n", open.Predictions.Select(p =>
            $"{p.Key} {p.Probability:0.00} {p.RiskLevel}: {string.Join(", ", p.TopFeatures.Select(t => $"{t.Feature}={t.Value:0.##} ({t.Contribution:+0.00;-0.00})"))}")));
    }

    [Fact]
    public async Task Unified_gives_three_outputs()
    {
        var keys = await f.KeysAsync(PredictionFixture.UnifiedKeysSql, PredictionFixture.Acme, 10, Ct);
        var response = await f.Host.ClientFor(PredictionFixture.Acme).PredictUnifiedAsync(new UnifiedRequest { IssueKeys = { keys } }, cancellationToken: Ct);
        AssertModel(response.Model, ModelNames.Unified);
        foreach (var p in response.Predictions)
        {
            Assert.True(p.Found, p.Message);
            Assert.True(p.LeadTimeDays > 0);
            Assert.InRange(p.LeadTimeDays, p.LeadTimeLowDays, p.LeadTimeHighDays);
            Assert.True(p.StoryPoints > 0);
            Assert.InRange(p.ReworkProbability, 0, 1);
            Assert.NotEqual(RiskLevel.Unspecified, p.ReworkRiskLevel);
        }
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "no keys", "at least one key" },
        { "51 keys", "51 keys given, at most 50" },
        { "duplicates", "repeats" },
        { "malformed", "is not an issue key" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_fail_with_InvalidArgument_and_say_why(string kind, string expected)
    {
        var keys = kind switch
        {
            "no keys" => [],
            "51 keys" => Enumerable.Range(1, 51).Select(i => "PAY-" + i).ToArray(),
            "duplicates" => ["PAY-1", "PAY-2", "PAY-1"],
            "malformed" => ["PAY-1", "PAY_1"],
            _ => new[] { "PAY-1" },
        };
        const long client = PredictionFixture.Acme;
        var calls = new Func<Task>[]
        {
            () => f.Host.ClientFor(client).PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { keys } }, cancellationToken: Ct).ResponseAsync,
            () => f.Host.ClientFor(client).PredictUnifiedAsync(new UnifiedRequest { IssueKeys = { keys } }, cancellationToken: Ct).ResponseAsync,
        };
        foreach (var call in calls)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Contains(expected, ex.Status.Detail);
        }
    }

    [Fact]
    public async Task Limits_per_endpoint_and_pull_request_key_shape()
    {
        var complexity = await Assert.ThrowsAsync<RpcException>(() => f.Host.Client.EstimateComplexityAsync(new ComplexityRequest
        {
            IssueKeys = { Enumerable.Range(1, 100).Select(i => "PAY-" + i) },
            NewIssues = { new NewIssue { Summary = "x", IssueType = "Story", ProjectKey = "PAY" } },
        }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, complexity.StatusCode);
        Assert.Contains("101 keys given, at most 100", complexity.Status.Detail);

        // 100 keys is allowed.
        var hundred = await f.Host.Client.EstimateComplexityAsync(new ComplexityRequest
        {
            IssueKeys = { Enumerable.Range(1, 100).Select(i => "PAY-" + i) },
        }, cancellationToken: Ct);
        Assert.Equal(100, hundred.Predictions.Count);

        var newIssueType = await Assert.ThrowsAsync<RpcException>(() => f.Host.Client.EstimateComplexityAsync(new ComplexityRequest
        {
            NewIssues = { new NewIssue { Summary = "x", IssueType = "Epic", ProjectKey = "PAY" } },
        }, cancellationToken: Ct).ResponseAsync);
        Assert.Contains("new_issues[0].issue_type", newIssueType.Status.Detail);

        var prs = await Assert.ThrowsAsync<RpcException>(() => f.Host.Client.AssessReworkRiskAsync(new ReworkRequest
        {
            PullRequests = { Enumerable.Range(1, 51).Select(i => "api-gateway#" + i) },
        }, cancellationToken: Ct).ResponseAsync);
        Assert.Contains("51 keys given, at most 50", prs.Status.Detail);
        var badPr = await Assert.ThrowsAsync<RpcException>(() => f.Host.Client.AssessReworkRiskAsync(new ReworkRequest
        {
            PullRequests = { "api-gateway#x" },
        }, cancellationToken: Ct).ResponseAsync);
        Assert.Contains("repository#number", badPr.Status.Detail);
        var both = await Assert.ThrowsAsync<RpcException>(() => f.Host.Client.AssessReworkRiskAsync(new ReworkRequest
        {
            PullRequests = { "api-gateway#1" },
            Repository = "api-gateway",
        }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, both.StatusCode);
    }

    [Fact]
    public async Task A_model_without_a_deployed_version_fails_with_FailedPrecondition_naming_it()
    {
        await using var host = await PredictionHost.StartAsync(f,
            new Dictionary<string, string?> { ["Prediction:RegistryPollInterval"] = "01:00:00" }, ct: Ct);
        await host.WaitForModelsAsync([ModelNames.Unified], TimeSpan.FromSeconds(60));
        host.Models.Remove(ModelNames.Unified); // as if nothing had been deployed
        var ex = await Assert.ThrowsAsync<RpcException>(() => host.ClientFor(PredictionFixture.Acme).PredictUnifiedAsync(
            new UnifiedRequest { IssueKeys = { "PAY-1" } }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("'unified' has no deployed version", ex.Status.Detail);
        Assert.Contains("train", ex.Status.Detail);
    }

    [Fact]
    public async Task Health_reports_every_model_with_smoke_latency_drift_and_lag()
    {
        var health = await f.Host.ClientFor(PredictionFixture.Acme).GetModelHealthAsync(new ModelHealthRequest(), cancellationToken: Ct);
        Assert.Equal(ModelNames.All, health.Models.Select(m => m.ModelName.ToWire()));
        foreach (var m in health.Models)
        {
            Assert.True(m.DeployedVersion > 0, m.ModelName + ": " + m.Message);
            Assert.True(m.SmokeOk, m.ModelName + ": " + m.SmokeDetail);
            Assert.NotEmpty(m.Metrics);
            Assert.NotEqual("unhealthy", m.Status);
        }
        foreach (var m in health.Models.Where(m => m.ModelName != Protos.Ml.V1.ModelName.Anomaly))
        {
            Assert.True(m.LatencySamples > 0);
            Assert.True(m.LatencyP50Ms > 0 && m.LatencyP50Ms <= m.LatencyP99Ms);
            Assert.True(m.DriftSampleRows >= 50, m.ModelName + " drift rows " + m.DriftSampleRows);
            Assert.NotEmpty(m.Drift);
            Assert.All(m.Drift, d => Assert.Equal(d.Psi > m.PsiThreshold, d.Flagged));
        }
        Assert.True(health.ReplicaLagMs >= 0);
        Assert.Contains(health.Status, new[] { "healthy", "degraded" });
        TestContext.Current.SendDiagnosticMessage($"overall {health.Status}, lag {health.ReplicaLagMs:0} ms\n" + string.Join("\n", health.Models.Select(m =>
            $"{m.ModelName} v{m.DeployedVersion} {m.Status} p50 {m.LatencyP50Ms:0.00} ms p99 {m.LatencyP99Ms:0.00} ms; max PSI {(m.Drift.Count > 0 ? m.Drift.Max(d => d.Psi) : 0):0.000}; {m.Message}")));
    }
}
