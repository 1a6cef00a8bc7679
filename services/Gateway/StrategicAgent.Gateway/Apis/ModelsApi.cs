using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.Gateway.Errors;
using StrategicAgent.Gateway.Extensions;
using StrategicAgent.Gateway.Training;
using StrategicAgent.Protos.Training.V1;

namespace StrategicAgent.Gateway.Apis;

/// <summary>
/// /api/v1/models → TrainingService. The model registry is not tenant-scoped (training.v1 carries
/// no client id; models are trained on every tenant's data and serve every tenant): any valid key
/// can read it, but training and deploying change what every tenant is served, so they need a key
/// with the <c>admin</c> scope.
/// </summary>
public static class ModelsApi
{
    private static readonly HashSet<string> TrainDeployStrategies = ["best_score", "most_recent", "none"];
    private static readonly HashSet<string> DeployStrategies = ["best_score", "most_recent", "rollback", "specific"];

    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("Models").WithMetadata(DownstreamService.Training);
        models.MapGet("/", ListModels)
            .WithName("ListModels")
            .WithSummary("List models with their deployed and latest versions");
        models.MapGet("/{name}/versions", ListVersions)
            .WithName("ListModelVersions")
            .WithSummary("List a model's versions")
            .WithDescription("?details=true adds each version's feature schema, calibration and training statistics.");
        models.MapGet("/{name}/history", History)
            .WithName("GetModelHistory")
            .WithSummary("A model's deployments, failed versions and training runs")
            .WithDescription("?limit= caps each list (0 or absent: the service's default).");
        models.MapPost("/{name}/train", Train)
            .RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithName("TrainModel")
            .WithSummary("Train a model")
            .WithDescription("Needs an API key with the admin scope (403 otherwise). Without wait: 202 Accepted once the training service has accepted the run, with the run's " +
                             "progress so far and a Location to poll (GET /api/v1/models/{name}/runs/{request_id}). " +
                             "With ?wait=true: 200 with the whole run (every stage, and the new version when done). " +
                             "request_id is an idempotency key: a POST with the id of a run still in progress joins it.");
        models.MapGet("/{name}/runs/{requestId}", GetRun)
            .WithName("GetTrainingRun")
            .WithSummary("Progress of a training run started through this gateway");
        models.MapPost("/{name}/deploy", Deploy)
            .RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithName("DeployModel")
            .WithSummary("Deploy a model version")
            .WithDescription("Needs an API key with the admin scope (403 otherwise). strategy: best_score | most_recent | rollback | specific (with version_id).");
        return api;
    }

    public static async Task<Ok<ModelList>> ListModels(
        TrainingService.TrainingServiceClient client, IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        var r = await client.ListModelsAsync(new ListModelsRequest(),
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(new ModelList(r.Models.Select(m => new ModelSummaryDto(
            m.Name, ToVersion(m.Deployed), ToVersion(m.Latest), m.VersionCount)).ToList()));
    }

    public static async Task<Ok<ModelVersionList>> ListVersions(
        string name, bool? details, TrainingService.TrainingServiceClient client, IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        var r = await client.ListVersionsAsync(new ListVersionsRequest { ModelName = name, IncludeDetails = details == true },
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(new ModelVersionList(name, r.Versions.Select(v => ToVersion(v)!).ToList()));
    }

    public static async Task<Results<Ok<ModelHistory>, ValidationProblem>> History(
        string name, int? limit, TrainingService.TrainingServiceClient client, IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (limit is < 0 or > 1000)
        {
            return RequestErrors.Problem("limit", "limit must be between 1 and 1000 (0 or absent: the service's default).");
        }
        var r = await client.HistoryAsync(new HistoryRequest { ModelName = name, Limit = limit ?? 0 },
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(new ModelHistory(
            name,
            r.Deployments.Select(d => new DeploymentDto(d.Id, d.ModelName, d.VersionId, d.PreviousVersionId, d.Strategy, d.Reason,
                d.DeployedAt?.ToDateTimeOffset())).ToList(),
            r.Failures.Select(v => ToVersion(v)!).ToList(),
            r.Runs.Select(t => new TrainingRunRecord(t.Id, t.RequestId, t.ModelName, t.Status, t.Stage, t.VersionId,
                NullIfEmpty(t.FailureReason), NullIfEmpty(t.RequestedBy), t.Deployed, NullIfEmpty(t.DeployReason),
                t.CreatedAt?.ToDateTimeOffset(), t.FinishedAt?.ToDateTimeOffset())).ToList()));
    }

    public static async Task<Results<Ok<TrainingRunDto>, Accepted<TrainingRunDto>, ValidationProblem>> Train(
        string name,
        TrainBody? body,
        bool? wait,
        TrainingService.TrainingServiceClient client,
        TrainingRuns runs,
        IOptions<DownstreamOptions> downstream,
        CancellationToken ct)
    {
        var strategy = body?.DeployStrategy ?? "";
        if (strategy.Length > 0 && !TrainDeployStrategies.Contains(strategy))
        {
            return RequestErrors.Problem("deploy_strategy",
                $"deploy_strategy '{strategy}' is not one of: {string.Join(", ", TrainDeployStrategies)} (empty means best_score).");
        }
        var requestId = string.IsNullOrWhiteSpace(body?.RequestId) ? Guid.NewGuid().ToString("N") : body.RequestId.Trim();
        if (requestId.Length > 200)
        {
            return RequestErrors.Problem("request_id", "request_id must be at most 200 characters.");
        }
        if (wait != true && runs.Active(requestId) is { } active && active.Model == name)
        {
            return TypedResults.Accepted(RunLocation(name, requestId), ToRun(active));
        }

        var request = new TrainRequest { ModelName = name, RequestId = requestId, DeployStrategy = strategy };
        if (body?.Hyperparameters is { } hp)
        {
            request.Hyperparameters.Add(hp);
        }
        var deadline = DownstreamOptions.DeadlineFromNow(downstream.Value.TrainingDeadline);

        if (wait == true)
        {
            using var call = client.Train(request, deadline: deadline, cancellationToken: ct);
            var run = new TrackedRun(requestId, name);
            while (await call.ResponseStream.MoveNext(ct))
            {
                run.Record(call.ResponseStream.Current);
            }
            if (run.Events.Count == 0)
            {
                throw new DownstreamContractException(DownstreamService.Training.Name, "The training stream ended without progress.");
            }
            run.Finish(null);
            return TypedResults.Ok(ToRun(run));
        }

        // Not tied to the HTTP request: the run outlives this request. The first read still is.
        var background = client.Train(request, deadline: deadline, cancellationToken: CancellationToken.None);
        try
        {
            if (!await background.ResponseStream.MoveNext(ct))
            {
                throw new DownstreamContractException(DownstreamService.Training.Name, "The training stream ended without progress.");
            }
        }
        catch
        {
            background.Dispose();
            throw;
        }
        var tracked = runs.Track(requestId, name, background);
        return TypedResults.Accepted(RunLocation(name, requestId), ToRun(tracked));
    }

    public static Results<Ok<TrainingRunDto>, ProblemHttpResult> GetRun(string name, string requestId, TrainingRuns runs) =>
        runs.Get(requestId) is { } run && run.Model == name
            ? TypedResults.Ok(ToRun(run))
            : TypedResults.Problem(
                $"No training run '{requestId}' of model '{name}' is known to this gateway. Runs are kept in memory by the " +
                "gateway instance that started them; the model's versions (GET /api/v1/models/{name}/versions) are the durable record.",
                statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static async Task<Results<Ok<DeployResult>, ValidationProblem>> Deploy(
        string name,
        DeployBody body,
        TrainingService.TrainingServiceClient client,
        IOptions<DownstreamOptions> downstream,
        CancellationToken ct)
    {
        var strategy = string.IsNullOrWhiteSpace(body.Strategy) ? "" : body.Strategy.Trim();
        if (!DeployStrategies.Contains(strategy))
        {
            return RequestErrors.Problem("strategy",
                $"strategy is required and must be one of: {string.Join(", ", DeployStrategies)}.");
        }
        if (strategy == "specific" && body.VersionId is not > 0)
        {
            return RequestErrors.Problem("version_id", "version_id (a version's id from /versions) is required with strategy 'specific'.");
        }
        var r = await client.DeployAsync(new DeployRequest { ModelName = name, Strategy = strategy, VersionId = body.VersionId ?? 0 },
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(new DeployResult(r.Deployed, ToVersion(r.Version), r.Reason));
    }

    private static string RunLocation(string name, string requestId) =>
        $"/api/v1/models/{Uri.EscapeDataString(name)}/runs/{Uri.EscapeDataString(requestId)}";

    private static TrainingRunDto ToRun(TrackedRun run)
    {
        var events = run.Events;
        var latest = events[^1];
        return new TrainingRunDto(
            run.RequestId,
            run.Model,
            latest.Stage,
            latest.Percent,
            latest.Message,
            run.Completed,
            run.Error,
            ToVersion(latest.Version),
            latest.Stage == "done" ? latest.Deployed : null,
            NullIfEmpty(latest.DeployReason),
            events.Select(e => new TrainingStage(e.Stage, e.Percent, e.Message)).ToList(),
            run.StartedAt,
            run.UpdatedAt);
    }

    internal static ModelVersionDto? ToVersion(ModelVersion? v) => v is null ? null : new(
        v.Id,
        v.ModelName,
        v.Version,
        v.Algorithm,
        v.Status,
        new Dictionary<string, string>(v.Hyperparameters),
        new Dictionary<string, double>(v.Metrics),
        new Dictionary<string, double>(v.BaselineMetrics),
        v.TrainingRows,
        v.DurationSeconds,
        v.CreatedAt?.ToDateTimeOffset(),
        NullIfEmpty(v.FailureReason),
        NullIfEmpty(v.RequestId),
        v.DataFrom?.ToDateTimeOffset(),
        v.DataTo?.ToDateTimeOffset(),
        NullIfEmpty(v.KeyMetric),
        Json(v.FeatureSchemaJson),
        Json(v.CalibrationJson),
        Json(v.TrainingStatsJson));

    private static string? NullIfEmpty(string s) => string.IsNullOrEmpty(s) ? null : s;

    private static JsonElement? Json(string json)
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
            throw new DownstreamContractException(DownstreamService.Training.Name, "A model version's details are not valid JSON.", ex);
        }
    }
}

public sealed record TrainBody(string? RequestId, string? DeployStrategy, Dictionary<string, string>? Hyperparameters);

public sealed record DeployBody(string? Strategy, long? VersionId);

public sealed record ModelList(IReadOnlyList<ModelSummaryDto> Models);

public sealed record ModelSummaryDto(string Name, ModelVersionDto? Deployed, ModelVersionDto? Latest, long VersionCount);

public sealed record ModelVersionList(string Model, IReadOnlyList<ModelVersionDto> Versions);

/// <param name="Status">trained | deployed | retired | failed</param>
public sealed record ModelVersionDto(
    long Id,
    string ModelName,
    int Version,
    string Algorithm,
    string Status,
    IReadOnlyDictionary<string, string> Hyperparameters,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, double> BaselineMetrics,
    long TrainingRows,
    double DurationSeconds,
    DateTimeOffset? CreatedAt,
    string? FailureReason,
    string? RequestId,
    DateTimeOffset? DataFrom,
    DateTimeOffset? DataTo,
    string? KeyMetric,
    JsonElement? FeatureSchema,
    JsonElement? Calibration,
    JsonElement? TrainingStats);

/// <param name="Stage">queued | loading | training | evaluating | registering | deploying | done | failed | duplicate</param>
/// <param name="Completed">The stream has ended (done, failed, or the call broke: see error).</param>
/// <param name="Deployed">When done: whether the deploy strategy deployed the new version.</param>
/// <param name="Stages">One entry per stage seen, in order, with its latest percent and message.</param>
public sealed record TrainingRunDto(
    string RequestId,
    string Model,
    string Stage,
    double Percent,
    string Message,
    bool Completed,
    string? Error,
    ModelVersionDto? Version,
    bool? Deployed,
    string? DeployReason,
    IReadOnlyList<TrainingStage> Stages,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt);

public sealed record TrainingStage(string Stage, double Percent, string Message);

public sealed record DeployResult(bool Deployed, ModelVersionDto? Version, string Reason);

public sealed record ModelHistory(
    string Model, IReadOnlyList<DeploymentDto> Deployments, IReadOnlyList<ModelVersionDto> Failures, IReadOnlyList<TrainingRunRecord> Runs);

public sealed record DeploymentDto(
    long Id, string ModelName, long VersionId, long PreviousVersionId, string Strategy, string Reason, DateTimeOffset? DeployedAt);

/// <param name="Status">queued | running | succeeded | failed</param>
public sealed record TrainingRunRecord(
    long Id, string RequestId, string ModelName, string Status, string Stage, long VersionId, string? FailureReason,
    string? RequestedBy, bool Deployed, string? DeployReason, DateTimeOffset? CreatedAt, DateTimeOffset? FinishedAt);
