using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using StrategicAgent.ServiceDefaults.Auth;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Prediction.V1;
using ModelName = StrategicAgent.Protos.Ml.V1.ModelName;

namespace StrategicAgent.Gateway.Tests.Fakes;

/// <summary>Every answer carries "client:&lt;id&gt;" in its message so tests see the tenant the gateway sent.</summary>
public sealed class FakePredictionService : PredictionService.PredictionServiceBase
{
    private static readonly ModelRef Model = new()
    {
        Name = ModelName.Trajectory, Version = 7, PredictedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)),
    };

    public override Task<TrajectoryResponse> PredictTrajectory(TrajectoryRequest request, ServerCallContext context)
    {
        foreach (var k in request.EpicKeys)
        {
            FakeBehaviour.ThrowIfAsked(k);
        }
        var r = new TrajectoryResponse { Model = Model };
        r.Predictions.Add(request.EpicKeys.Select(k => new TrajectoryPrediction
        {
            Key = k,
            Found = k != "NOPE-1",
            CurrentLeadTimeDays = 3,
            PredictedLeadTimeDays = 12.5,
            PredictedCompletion = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero)),
            CompletionLow = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 6, 20, 0, 0, 0, TimeSpan.Zero)),
            CompletionHigh = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 7, 15, 0, 0, 0, TimeSpan.Zero)),
            IntervalLevel = 0.8,
            Confidence = 0.8,
            Message = Client(context.GetCaller().ClientId),
        }));
        return Task.FromResult(r);
    }

    public override Task<ComplexityResponse> EstimateComplexity(ComplexityRequest request, ServerCallContext context)
    {
        var r = new ComplexityResponse { Model = Model };
        r.Predictions.Add(request.IssueKeys.Select(k => new ComplexityPrediction
        {
            Key = k, Found = true, StoryPoints = 3.2, Low = 2, High = 5, IntervalLevel = 0.8, Fibonacci = 3, Confidence = 0.7,
            Message = Client(context.GetCaller().ClientId),
        }));
        r.Predictions.Add(request.NewIssues.Select((n, i) => new ComplexityPrediction
        {
            Key = "new:" + i.ToString(CultureInfo.InvariantCulture), Found = true, StoryPoints = 5, Low = 3, High = 8, IntervalLevel = 0.8,
            Fibonacci = 5, Confidence = 0.6, Message = $"{Client(context.GetCaller().ClientId)};summary={n.Summary};type={n.IssueType};project={n.ProjectKey}",
        }));
        return Task.FromResult(r);
    }

    public override Task<ReworkResponse> AssessReworkRisk(ReworkRequest request, ServerCallContext context)
    {
        var r = new ReworkResponse { Model = Model };
        r.Predictions.Add(request.PullRequests.Select(k => new ReworkPrediction
        {
            Key = k, Found = true, Probability = 0.73, RiskLevel = RiskLevel.High,
            TopFeatures = { new FeatureContribution { Feature = "changed_files", Value = 42, Contribution = 0.31 }, new FeatureContribution { Feature = "repository", Value = double.NaN, Contribution = 0.05 } },
            Message = Client(context.GetCaller().ClientId),
        }));
        return Task.FromResult(r);
    }

    public override Task<UnifiedResponse> PredictUnified(UnifiedRequest request, ServerCallContext context)
    {
        foreach (var k in request.IssueKeys)
        {
            FakeBehaviour.ThrowIfAsked(k);
        }
        var r = new UnifiedResponse { Model = Model };
        r.Predictions.Add(request.IssueKeys.Select(k => new UnifiedPrediction
        {
            Key = k, Found = true, LeadTimeDays = 6.5, StoryPoints = 3, ReworkProbability = 0.2, Message = Client(context.GetCaller().ClientId),
        }));
        return Task.FromResult(r);
    }

    public override Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListAlertsResponse
        {
            Alerts =
            {
                new Alert
                {
                    Id = 5,
                    ModelName = ModelName.Complexity,
                    Severity = Severity.High,
                    AlertDataJson = """{"psi": 0.31, "feature": "changed_files"}""",
                    CreatedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)),
                    RecommendedAction = string.Create(CultureInfo.InvariantCulture,
                        $"{Client(context.GetCaller().ClientId)};severity={request.Severity.ToWire()};acknowledged={(request.HasAcknowledged ? request.Acknowledged.ToString() : "any")};limit={request.Limit}"),
                },
            },
        });

    public override Task<Alert> AcknowledgeAlert(AcknowledgeAlertRequest request, ServerCallContext context)
    {
        if (request.Id == 404)
        {
            throw new RpcException(new Status(StatusCode.NotFound, "Alert 404 does not exist for this tenant."));
        }
        return Task.FromResult(new Alert
        {
            Id = request.Id,
            ModelName = ModelName.Complexity,
            Severity = Severity.High,
            Acknowledged = true,
            AcknowledgedBy = request.AcknowledgedBy,
            AcknowledgedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            RecommendedAction = Client(context.GetCaller().ClientId),
        });
    }

    public override Task<ModelHealthResponse> GetModelHealth(ModelHealthRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelHealthResponse
        {
            Status = "degraded",
            ReplicaLagMs = 0.4,
            Models =
            {
                new ModelHealth
                {
                    ModelName = ModelName.Complexity, DeployedVersion = 2, AgeDays = 3.5, Metrics = { ["mae"] = 1.2 }, SmokeOk = true,
                    SmokeDetail = "ok", LatencyP50Ms = 0.2, LatencyP95Ms = 0.9, LatencyP99Ms = 2.1,
                    Drift = { new FeatureDrift { Feature = "changed_files", Psi = 0.3, Flagged = true } },
                    Status = "degraded", Message = Client(context.GetCaller().ClientId),
                },
            },
        });

    /// <summary>One blended forecast per epic key, dated from now (the sweep needs an answer, not a model).</summary>
    public override Task<ForecastResponse> ForecastEpics(ForecastRequest request, ServerCallContext context)
    {
        var now = DateTimeOffset.UtcNow;
        var response = new ForecastResponse { Draws = request.Draws == 0 ? 10_000 : request.Draws, Seed = request.HasSeed ? request.Seed : 20251205, AsOf = Timestamp.FromDateTimeOffset(now) };
        response.Forecasts.Add(request.EpicKeys.Select(key => new EpicCompletionForecast
        {
            Key = key, Method = ForecastMethod.Blend, MonteCarloWeight = 0.5, RemainingChildren = 3, RemainingPoints = 8, Progress = 0.4,
            P50 = Timestamp.FromDateTimeOffset(now.AddDays(10)), P80 = Timestamp.FromDateTimeOffset(now.AddDays(15)), P95 = Timestamp.FromDateTimeOffset(now.AddDays(21)),
        }));
        return Task.FromResult(response);
    }

    private static string Client(long id) => "client:" + id.ToString(CultureInfo.InvariantCulture);
}
