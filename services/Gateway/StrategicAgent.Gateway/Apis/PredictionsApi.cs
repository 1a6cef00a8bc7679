using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.Gateway.Errors;
using StrategicAgent.Gateway.Extensions;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Prediction.V1;
using ProtoModelName = StrategicAgent.Protos.Ml.V1.ModelName;

namespace StrategicAgent.Gateway.Apis;

/// <summary>/api/v1/predictions, /api/v1/alerts, /api/v1/health/ml → PredictionService.</summary>
public static class PredictionsApi
{
    /// <summary>
    /// A coarse guard against huge bodies only; the prediction service owns the real limits
    /// (e.g. 50 epics, 100 issues) and answers InvalidArgument (400) beyond them.
    /// </summary>
    public const int MaxKeys = 1000;

    /// <summary>The most alerts one list returns: the prediction service's own limit (ListAlerts refuses more).</summary>
    public const int MaxAlerts = 500;

    public static RouteGroupBuilder MapPredictionsApi(this RouteGroupBuilder api)
    {
        var predictions = api.MapGroup("/predictions").WithTags("Predictions").WithMetadata(DownstreamService.Prediction);
        predictions.MapPost("/trajectory", Trajectory)
            .WithName("PredictTrajectory")
            .WithSummary("Predict epics' lead time and completion date, with an interval");
        predictions.MapPost("/complexity", Complexity)
            .WithName("EstimateComplexity")
            .WithSummary("Estimate story points of existing issues (issue_keys) and/or new ones (new_issues)");
        predictions.MapPost("/rework", Rework)
            .WithName("AssessReworkRisk")
            .WithSummary("Calibrated rework probability of pull requests")
            .WithDescription("pull_requests: 'repository#number' keys (or 'number' when unambiguous); or repository (name or full " +
                             "name) alone for its open pull requests, highest risk first, at most limit of them.");
        predictions.MapPost("/unified", Unified)
            .WithName("PredictUnified")
            .WithSummary("Lead time, story points and rework probability of issues from the unified model");
        predictions.MapPost("/forecast", Forecast)
            .WithName("ForecastEpics")
            .WithSummary("Completion dates of open epics (P50/P80/P95) by Monte Carlo over the team's throughput, blended with the trajectory model")
            .WithDescription("epic_keys: 1–50 open epics of the key's tenant; by (optional, YYYY-MM-DD, today or later): the probability of " +
                             "finishing by the end of that day; draws (optional, 1,000–100,000, default 10,000) and seed (optional) make a run " +
                             "reproducible. 404 for an unknown epic, 409 for a done one, 400 for a key that is not an epic or a past date.");

        var alerts = api.MapGroup("/alerts").WithTags("Alerts").WithMetadata(DownstreamService.Prediction);
        alerts.MapGet("/", ListAlerts)
            .WithName("ListAlerts")
            .WithSummary("Anomaly and drift alerts of the key's tenant")
            .WithDescription("Filters: severity (low | medium | high | critical), acknowledged (true | false), model, limit (default 50).");
        alerts.MapPost("/{id:long}/ack", AcknowledgeAlert)
            .WithName("AcknowledgeAlert")
            .WithSummary("Acknowledge an alert");

        api.MapGet("/health/ml", ModelHealth)
            .WithTags("Alerts")
            .WithMetadata(DownstreamService.Prediction)
            .WithName("GetModelHealth")
            .WithSummary("Health of the deployed models: age, metrics, smoke test, latency, drift, replica lag");
        return api;
    }

    public static async Task<Results<Ok<PredictionList<TrajectoryDto>>, ValidationProblem>> Trajectory(
        TrajectoryBody body, PredictionService.PredictionServiceClient client,
        IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (CheckKeys("epic_keys", body.EpicKeys, required: true) is { } problem)
        {
            return problem;
        }
        var request = new TrajectoryRequest();
        request.EpicKeys.Add(body.EpicKeys!);
        var r = await client.PredictTrajectoryAsync(request, deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(new PredictionList<TrajectoryDto>(ToModel(r.Model), r.Predictions.Select(p => new TrajectoryDto(
            p.Key, p.Found, NullIfEmpty(p.Summary), p.Done, p.Overdue, p.StartedAt?.ToDateTimeOffset(), p.CurrentLeadTimeDays,
            p.PredictedLeadTimeDays, p.LeadTimeLowDays, p.LeadTimeHighDays, p.PredictedCompletion?.ToDateTimeOffset(),
            p.CompletionLow?.ToDateTimeOffset(), p.CompletionHigh?.ToDateTimeOffset(), p.IntervalLevel, p.Confidence,
            NullIfEmpty(p.Message))).ToList()));
    }

    public static async Task<Results<Ok<PredictionList<ComplexityDto>>, ValidationProblem>> Complexity(
        ComplexityBody body, PredictionService.PredictionServiceClient client,
        IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        var keys = body.IssueKeys ?? [];
        var issues = body.NewIssues ?? [];
        if (keys.Count + issues.Count == 0)
        {
            return RequestErrors.Problem("issue_keys", "Give issue_keys (existing issues) and/or new_issues (summary, description, issue_type, project_key).");
        }
        if (keys.Count + issues.Count > MaxKeys)
        {
            return RequestErrors.Problem("issue_keys", $"At most {MaxKeys} issues per request (issue_keys and new_issues together).");
        }
        if (CheckKeys("issue_keys", keys, required: false) is { } problem)
        {
            return problem;
        }
        for (var i = 0; i < issues.Count; i++)
        {
            if (issues[i] is null || string.IsNullOrWhiteSpace(issues[i].Summary))
            {
                return RequestErrors.Problem($"new_issues[{i}].summary", $"new_issues[{i}] needs a summary.");
            }
        }
        var request = new ComplexityRequest();
        request.IssueKeys.Add(keys);
        request.NewIssues.Add(issues.Select(n => new NewIssue
        {
            Summary = n.Summary!, Description = n.Description ?? "", IssueType = n.IssueType ?? "", ProjectKey = n.ProjectKey ?? "",
            Priority = n.Priority ?? "",
        }));
        var r = await client.EstimateComplexityAsync(request, deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(new PredictionList<ComplexityDto>(ToModel(r.Model), r.Predictions.Select(p => new ComplexityDto(
            p.Key, p.Found, p.StoryPoints, p.Low, p.High, p.IntervalLevel, p.Fibonacci, p.Confidence,
            p.HasActual ? p.ActualStoryPoints : null, NullIfEmpty(p.Message))).ToList()));
    }

    public static async Task<Results<Ok<ReworkList>, ValidationProblem>> Rework(
        ReworkBody body, PredictionService.PredictionServiceClient client,
        IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        var byRepository = !string.IsNullOrWhiteSpace(body.Repository);
        if (CheckKeys("pull_requests", body.PullRequests, required: !byRepository) is { } problem)
        {
            return problem;
        }
        if (byRepository && body.PullRequests is { Count: > 0 })
        {
            return RequestErrors.Problem("repository", "Give either pull_requests or repository, not both.");
        }
        var request = new ReworkRequest { Repository = body.Repository?.Trim() ?? "", Limit = body.Limit ?? 0 };
        request.PullRequests.Add(body.PullRequests ?? []);
        var r = await client.AssessReworkRiskAsync(request, deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(new ReworkList(ToModel(r.Model), r.HighThreshold, r.MediumThreshold, r.Predictions.Select(p => new ReworkDto(
            p.Key, p.Found, NullIfEmpty(p.Repository), p.Number, NullIfEmpty(p.Title), NullIfEmpty(p.Status), p.Probability, p.RiskLevel.ToWire(),
            // The service sends NaN for a categorical or missing feature value; JSON has no NaN (it was a 500).
            p.TopFeatures.Select(f => new FeatureContributionDto(f.Feature, double.IsFinite(f.Value) ? f.Value : null, f.Contribution)).ToList(),
            NullIfEmpty(p.Message))).ToList()));
    }

    public static async Task<Results<Ok<PredictionList<UnifiedDto>>, ValidationProblem>> Unified(
        UnifiedBody body, PredictionService.PredictionServiceClient client,
        IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (CheckKeys("issue_keys", body.IssueKeys, required: true) is { } problem)
        {
            return problem;
        }
        var request = new UnifiedRequest();
        request.IssueKeys.Add(body.IssueKeys!);
        var r = await client.PredictUnifiedAsync(request, deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(new PredictionList<UnifiedDto>(ToModel(r.Model), r.Predictions.Select(p => new UnifiedDto(
            p.Key, p.Found, p.LeadTimeDays, p.LeadTimeLowDays, p.LeadTimeHighDays, p.StoryPoints, p.StoryPointsLow, p.StoryPointsHigh,
            p.IntervalLevel, p.ReworkProbability, NullIfEmpty(p.ReworkRiskLevel.ToWire()), NullIfEmpty(p.Message))).ToList()));
    }

    public static async Task<Results<Ok<ForecastList>, ValidationProblem>> Forecast(
        ForecastBody body, PredictionService.PredictionServiceClient client,
        IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (CheckKeys("epic_keys", body.EpicKeys, required: true) is { } problem)
        {
            return problem;
        }
        if (body.Draws is < 0)
        {
            return RequestErrors.Problem("draws", "draws must be between 1,000 and 100,000 (absent: 10,000).");
        }
        var request = new ForecastRequest { Draws = body.Draws ?? 0 };
        request.EpicKeys.Add(body.EpicKeys!);
        if (body.By is { } by)
        {
            // "Done by March 1" includes March 1: the end of that day (UTC).
            request.By = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(by.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        }
        if (body.Seed is { } seed)
        {
            request.Seed = seed;
        }
        var r = await client.ForecastEpicsAsync(request, deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(new ForecastList(ToModel(r.TrajectoryModel), ToModel(r.ComplexityModel), r.Draws, r.Seed, r.AsOf?.ToDateTimeOffset(), body.By,
            r.Forecasts.Select(f => new ForecastDto(
                f.Key, f.Method switch
                {
                    ForecastMethod.Blend => "blend",
                    ForecastMethod.MonteCarlo => "monte_carlo",
                    ForecastMethod.Trajectory => "trajectory",
                    _ => throw new DownstreamContractException(DownstreamService.Prediction.Name, $"Unknown forecast method {(int)f.Method}."),
                },
                Day(f.P50), Day(f.P80), Day(f.P95), f.HasProbabilityBy ? f.ProbabilityBy : null, f.MonteCarloWeight, f.RemainingChildren,
                f.RemainingPoints, f.EstimatedChildren, f.EstimatedPoints, f.DoneChildren, f.Progress, f.ThroughputWeeks, f.MeanWeeklyPoints,
                f.ActiveEpics, f.StartedAt?.ToDateTimeOffset(), f.TrajectoryCompletion is null ? null : Day(f.TrajectoryCompletion))).ToList()));
    }

    private static DateOnly? Day(Google.Protobuf.WellKnownTypes.Timestamp? t) => t is null ? null : DateOnly.FromDateTime(t.ToDateTime());

    public static async Task<Results<Ok<AlertList>, ValidationProblem>> ListAlerts(
        string? severity, bool? acknowledged, int? limit, string? model, PredictionService.PredictionServiceClient client,
        IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (limit is < 0 or > MaxAlerts)
        {
            return RequestErrors.Problem("limit", $"limit must be between 1 and {MaxAlerts} (0 or absent: the service's default, 50).");
        }
        var request = new ListAlertsRequest { Limit = limit ?? 0 };
        if (!string.IsNullOrWhiteSpace(severity))
        {
            if (!WireNames.TryParse<Severity>(severity, out var s))
            {
                return RequestErrors.Problem("severity", $"severity '{severity.Trim()}' is not one of: {string.Join(", ", WireNames.All<Severity>())} (or leave it out for any).");
            }
            request.Severity = s;
        }
        if (!string.IsNullOrWhiteSpace(model))
        {
            if (!WireNames.TryParse<ProtoModelName>(model, out var m))
            {
                return RequestErrors.Problem("model", $"model '{model.Trim()}' is not one of: {string.Join(", ", WireNames.All<ProtoModelName>())} (or leave it out for any).");
            }
            request.ModelName = m;
        }
        if (acknowledged is { } ack)
        {
            request.Acknowledged = ack;
        }
        var r = await client.ListAlertsAsync(request, deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(new AlertList(r.Alerts.Select(ToAlert).ToList()));
    }

    public static async Task<Ok<AlertDto>> AcknowledgeAlert(
        long id, AcknowledgeBody? body, ClaimsPrincipal user, PredictionService.PredictionServiceClient client,
        IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        var by = string.IsNullOrWhiteSpace(body?.AcknowledgedBy) ? $"api-key {user.KeyPrefix()}" : body.AcknowledgedBy.Trim();
        var r = await client.AcknowledgeAlertAsync(new AcknowledgeAlertRequest { Id = id, AcknowledgedBy = by },
            deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(ToAlert(r));
    }

    public static async Task<Ok<ModelHealthDto>> ModelHealth(
        PredictionService.PredictionServiceClient client, IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        var r = await client.GetModelHealthAsync(new ModelHealthRequest(),
            deadline: Deadline(downstream), cancellationToken: ct);
        return TypedResults.Ok(new ModelHealthDto(r.Status, r.ReplicaLagMs, r.CheckedAt?.ToDateTimeOffset(),
            r.PredictionLogPending, r.PredictionLogDropped, r.Models.Select(m => new ModelHealthItem(
                m.ModelName.ToWire(), m.DeployedVersion, m.DeployedAt?.ToDateTimeOffset(), m.AgeDays, new Dictionary<string, double>(m.Metrics),
                m.SmokeOk, m.SmokeDetail, m.LatencyP50Ms, m.LatencyP95Ms, m.LatencyP99Ms, m.LatencySamples,
                m.Drift.Select(d => new FeatureDriftDto(d.Feature, d.Psi, d.Flagged)).ToList(), m.DriftSampleRows, m.PsiThreshold,
                m.Status, NullIfEmpty(m.Message))).ToList()));
    }

    private static DateTime Deadline(IOptions<DownstreamOptions> o) => DownstreamOptions.DeadlineFromNow(o.Value.PredictionDeadline);

    private static ValidationProblem? CheckKeys(string field, IReadOnlyList<string>? keys, bool required)
    {
        if (keys is null || keys.Count == 0)
        {
            return required ? RequestErrors.Problem(field, $"{field} is required: a non-empty list.") : null;
        }
        if (keys.Count > MaxKeys)
        {
            return RequestErrors.Problem(field, $"At most {MaxKeys} entries in {field} per request.");
        }
        var blank = keys.ToList().FindIndex(string.IsNullOrWhiteSpace);
        return blank >= 0 ? RequestErrors.Problem(field, $"{field}[{blank}] is empty.") : null;
    }

    private static ModelRefDto? ToModel(ModelRef? m) =>
        m is null ? null : new ModelRefDto(m.Name.ToWire(), m.Version, m.VersionId, NullIfEmpty(m.Algorithm), m.PredictedAt?.ToDateTimeOffset());

    private static AlertDto ToAlert(Alert a) => new(
        a.Id, a.ModelName.ToWire(), a.Severity.ToWire(), a.Score, ParseJson(a.AlertDataJson), a.Acknowledged, NullIfEmpty(a.AcknowledgedBy),
        a.AcknowledgedAt?.ToDateTimeOffset(), a.CreatedAt?.ToDateTimeOffset(), NullIfEmpty(a.RecommendedAction));

    private static JsonElement? ParseJson(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new DownstreamContractException(DownstreamService.Prediction.Name, "An alert's data is not valid JSON.", ex);
        }
    }

    private static string? NullIfEmpty(string s) => string.IsNullOrEmpty(s) ? null : s;
}

public sealed record TrajectoryBody(List<string>? EpicKeys);

public sealed record ComplexityBody(List<string>? IssueKeys, List<NewIssueBody>? NewIssues);

/// <param name="IssueType">Story | Task | Bug</param>
public sealed record NewIssueBody(string? Summary, string? Description, string? IssueType, string? ProjectKey, string? Priority);

/// <param name="PullRequests">"repository#number" keys, or "number" when unambiguous.</param>
/// <param name="Repository">Instead of keys: every open pull request of this repository.</param>
/// <param name="Limit">With repository: how many (service default 10).</param>
public sealed record ReworkBody(List<string>? PullRequests, string? Repository, int? Limit);

public sealed record UnifiedBody(List<string>? IssueKeys);

/// <param name="EpicKeys">1–50 open epics, e.g. ["PAY-12"].</param>
/// <param name="By">Optional date (YYYY-MM-DD, today or later): the probability of finishing by the end of it.</param>
/// <param name="Draws">Monte Carlo draws, 1,000–100,000 (default 10,000).</param>
/// <param name="Seed">Random seed (default fixed): the same seed, data and day give the same dates.</param>
public sealed record ForecastBody(List<string>? EpicKeys, DateOnly? By, int? Draws, int? Seed);

/// <param name="AsOf">The moment the forecast was made (remaining work and throughput as of then).</param>
/// <param name="By">The request's date, when given.</param>
public sealed record ForecastList(ModelRefDto? TrajectoryModel, ModelRefDto? ComplexityModel, int Draws, int Seed, DateTimeOffset? AsOf,
    DateOnly? By, IReadOnlyList<ForecastDto> Forecasts);

/// <param name="Method">blend | monte_carlo | trajectory</param>
/// <param name="P50">Half of the draws are done by this date; P80 and P95 likewise.</param>
/// <param name="ProbabilityBy">Share of the draws done by the end of the request's by date.</param>
/// <param name="MonteCarloWeight">The Monte Carlo's share of the blend (1 = Monte Carlo only, 0 = trajectory only).</param>
/// <param name="RemainingPoints">Story points left, including estimated_points for children without points.</param>
/// <param name="Progress">Done points / (done + remaining points).</param>
/// <param name="MeanWeeklyPoints">The team's points per active epic per week, mean over throughput_weeks.</param>
/// <param name="TrajectoryCompletion">The trajectory model's own predicted completion, when it has one.</param>
public sealed record ForecastDto(
    string Key, string Method, DateOnly? P50, DateOnly? P80, DateOnly? P95, double? ProbabilityBy, double MonteCarloWeight,
    int RemainingChildren, double RemainingPoints, int EstimatedChildren, double EstimatedPoints, int DoneChildren, double Progress,
    int ThroughputWeeks, double MeanWeeklyPoints, int ActiveEpics, DateTimeOffset? StartedAt, DateOnly? TrajectoryCompletion);

public sealed record AcknowledgeBody(string? AcknowledgedBy);

/// <param name="VersionId">The registry id of the version (ml.model_versions.id).</param>
public sealed record ModelRefDto(string Name, long Version, long VersionId, string? Algorithm, DateTimeOffset? PredictedAt);

/// <param name="Model">The deployed model version that answered.</param>
public sealed record PredictionList<T>(ModelRefDto? Model, IReadOnlyList<T> Predictions);

/// <param name="Done">The epic is done: the completion is the actual one.</param>
/// <param name="Overdue">Open and already past the predicted completion.</param>
/// <param name="IntervalLevel">Coverage of the low/high interval, e.g. 0.8.</param>
public sealed record TrajectoryDto(
    string Key, bool Found, string? Summary, bool Done, bool Overdue, DateTimeOffset? StartedAt, double CurrentLeadTimeDays,
    double PredictedLeadTimeDays, double LeadTimeLowDays, double LeadTimeHighDays, DateTimeOffset? PredictedCompletion,
    DateTimeOffset? CompletionLow, DateTimeOffset? CompletionHigh, double IntervalLevel, double Confidence, string? Message);

/// <param name="Key">The issue key, or "new:&lt;index&gt;" for a new issue.</param>
/// <param name="Fibonacci">The nearest of 1, 2, 3, 5, 8, 13, 21.</param>
/// <param name="ActualStoryPoints">The issue's current estimate, when it has one.</param>
public sealed record ComplexityDto(
    string Key, bool Found, double StoryPoints, double Low, double High, double IntervalLevel, double Fibonacci, double Confidence,
    double? ActualStoryPoints, string? Message);

/// <param name="HighThreshold">Probability from which risk_level is high.</param>
public sealed record ReworkList(ModelRefDto? Model, double HighThreshold, double MediumThreshold, IReadOnlyList<ReworkDto> Predictions);

/// <param name="Probability">Calibrated probability of rework.</param>
/// <param name="RiskLevel">high | medium | low</param>
/// <param name="Status">open | merged | closed</param>
public sealed record ReworkDto(
    string Key, bool Found, string? Repository, int Number, string? Title, string? Status, double Probability, string RiskLevel,
    IReadOnlyList<FeatureContributionDto> TopFeatures, string? Message);

public sealed record FeatureContributionDto(string Feature, double? Value, double Contribution);

public sealed record UnifiedDto(
    string Key, bool Found, double LeadTimeDays, double LeadTimeLowDays, double LeadTimeHighDays, double StoryPoints,
    double StoryPointsLow, double StoryPointsHigh, double IntervalLevel, double ReworkProbability, string? ReworkRiskLevel, string? Message);

public sealed record AlertList(IReadOnlyList<AlertDto> Alerts);

/// <param name="Severity">low | medium | high | critical</param>
public sealed record AlertDto(
    long Id, string ModelName, string Severity, double Score, JsonElement? AlertData, bool Acknowledged, string? AcknowledgedBy,
    DateTimeOffset? AcknowledgedAt, DateTimeOffset? CreatedAt, string? RecommendedAction);

/// <param name="Status">healthy | degraded | unhealthy</param>
public sealed record ModelHealthDto(
    string Status, double ReplicaLagMs, DateTimeOffset? CheckedAt, long PredictionLogPending, long PredictionLogDropped,
    IReadOnlyList<ModelHealthItem> Models);

/// <param name="Status">healthy | degraded | unhealthy</param>
public sealed record ModelHealthItem(
    string ModelName, long DeployedVersion, DateTimeOffset? DeployedAt, double AgeDays, IReadOnlyDictionary<string, double> Metrics,
    bool SmokeOk, string SmokeDetail, double LatencyP50Ms, double LatencyP95Ms, double LatencyP99Ms, long LatencySamples,
    IReadOnlyList<FeatureDriftDto> Drift, long DriftSampleRows, double PsiThreshold, string Status, string? Message);

public sealed record FeatureDriftDto(string Feature, double Psi, bool Flagged);
