using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StrategicAgent.Gateway.Auth;
using StrategicAgent.Gateway.Errors;
using StrategicAgent.Gateway.Extensions;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Training.V1;
using ProtoModelName = StrategicAgent.Protos.Ml.V1.ModelName;

namespace StrategicAgent.Gateway.Apis;

/// <summary>
/// /api/v1/models → TrainingService. The model registry is not tenant-scoped (training.v1 carries
/// no client id; models are trained on every tenant's data and serve every tenant): any valid key
/// can read it, but training and deploying change what every tenant is served, so they need a key
/// with the <c>admin</c> scope.
/// </summary>
public static class ModelsApi
{
    // The contract's enums by their JSON names (WireNames); the HTTP API keeps the lower-case strings.
    private static readonly DeployStrategy[] TrainDeployStrategies = [DeployStrategy.BestScore, DeployStrategy.MostRecent, DeployStrategy.None];
    private static readonly DeployStrategy[] DeployStrategies = [DeployStrategy.BestScore, DeployStrategy.MostRecent, DeployStrategy.Rollback, DeployStrategy.Specific];

    /// <summary>The models a path can name: every <c>ModelName</c> but forecast (served, never trained).</summary>
    private static readonly string[] TrainedModels =
        WireNames.All<ProtoModelName>().Where(n => n != ProtoModelName.Forecast.ToWire()).ToArray();

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
            .WithDescription("Needs an API key with the admin scope (403 otherwise). The run is queued for the trainers at once: without wait, 202 Accepted with the run " +
                             "(status queued) and a Location to poll (GET /api/v1/models/{name}/runs/{request_id}). " +
                             "With ?wait=true: 200 with the finished run (every stage, and the new version), or 202 with the run so far if it has not finished within " +
                             "Downstream:TrainingDeadline. request_id is the run's id and an idempotency key: a POST with a known request_id returns that run.");
        models.MapGet("/{name}/runs/{requestId}", GetRun)
            .WithName("GetTrainingRun")
            .WithSummary("A training run: status, stage, percent, every stage so far, and the version it registered")
            .WithDescription("Read from the training service's run table, so any gateway instance answers it, also after a restart.");
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
            m.Name.ToWire(), ToVersion(m.Deployed), ToVersion(m.Latest), m.VersionCount)).ToList()));
    }

    public static async Task<Results<Ok<ModelVersionList>, ProblemHttpResult>> ListVersions(
        string name, bool? details, TrainingService.TrainingServiceClient client, IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (UnknownModel(name, out var model) is { } notFound)
        {
            return notFound;
        }
        var r = await client.ListVersionsAsync(new ListVersionsRequest { ModelName = model, IncludeDetails = details == true },
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(new ModelVersionList(model.ToWire(), r.Versions.Select(v => ToVersion(v)!).ToList()));
    }

    public static async Task<Results<Ok<ModelHistory>, ValidationProblem, ProblemHttpResult>> History(
        string name, int? limit, TrainingService.TrainingServiceClient client, IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (UnknownModel(name, out var model) is { } notFound)
        {
            return notFound;
        }
        if (limit is < 0 or > 1000)
        {
            return RequestErrors.Problem("limit", "limit must be between 1 and 1000 (0 or absent: the service's default).");
        }
        var r = await client.HistoryAsync(new HistoryRequest { ModelName = model, Limit = limit ?? 0 },
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(new ModelHistory(
            model.ToWire(),
            r.Deployments.Select(d => new DeploymentDto(d.Id, d.ModelName.ToWire(), d.VersionId, d.PreviousVersionId, d.Strategy.ToWire(), d.Reason,
                d.DeployedAt?.ToDateTimeOffset())).ToList(),
            r.Failures.Select(v => ToVersion(v)!).ToList(),
            r.Runs.Select(t => new TrainingRunRecord(t.Id, t.RequestId, t.ModelName.ToWire(), t.Status.ToWire(), t.Stage.ToWire(), t.VersionId,
                NullIfEmpty(t.FailureReason), NullIfEmpty(t.RequestedBy), t.Deployed, NullIfEmpty(t.DeployReason),
                t.CreatedAt?.ToDateTimeOffset(), t.FinishedAt?.ToDateTimeOffset())).ToList()));
    }

    public static async Task<Results<Ok<TrainingRunDto>, Accepted<TrainingRunDto>, ValidationProblem, ProblemHttpResult>> Train(
        string name,
        TrainBody? body,
        bool? wait,
        TrainingService.TrainingServiceClient client,
        IOptions<DownstreamOptions> downstream,
        CancellationToken ct)
    {
        if (UnknownModel(name, out var model) is { } notFound)
        {
            return notFound;
        }
        var strategyName = body?.DeployStrategy ?? "";
        var strategy = DeployStrategy.Unspecified;
        if (strategyName.Length > 0 && (!WireNames.TryParse(strategyName, out strategy) || !TrainDeployStrategies.Contains(strategy)))
        {
            return RequestErrors.Problem("deploy_strategy",
                $"deploy_strategy '{RequestErrors.Quote(strategyName)}' is not one of: {Names(TrainDeployStrategies)} (empty means best_score).");
        }
        var requestId = string.IsNullOrWhiteSpace(body?.RequestId) ? Guid.NewGuid().ToString("N") : body.RequestId.Trim();
        if (requestId.Length > 200)
        {
            return RequestErrors.Problem("request_id", "request_id must be at most 200 characters.");
        }

        if (body?.Hyperparameters?.FirstOrDefault(kv => kv.Value is null) is { Key: { } nullKey })
        {
            return RequestErrors.Problem($"hyperparameters.{nullKey}", $"hyperparameters.{RequestErrors.Quote(nullKey)} is null: every hyperparameter is a string value.");
        }

        var request = new TrainRequest { ModelName = model, RequestId = requestId, DeployStrategy = strategy };
        if (body?.Hyperparameters is { } hp)
        {
            request.Hyperparameters.Add(hp);
        }
        // Queued for whichever trainer is free: the run does not depend on this gateway from here on.
        var run = await client.StartTrainingAsync(request,
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        if (wait != true)
        {
            return TypedResults.Accepted(RunLocation(model, run.RequestId), ToRun(run));
        }

        var until = DateTime.UtcNow + downstream.Value.TrainingDeadline;
        while (!IsCompleted(run) && DateTime.UtcNow < until)
        {
            await Task.Delay(downstream.Value.TrainingPollInterval, ct);
            run = await client.GetRunAsync(new GetRunRequest { ModelName = model, RequestId = run.RequestId },
                deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        }
        return IsCompleted(run) ? TypedResults.Ok(ToRun(run)) : TypedResults.Accepted(RunLocation(model, run.RequestId), ToRun(run));
    }

    public static async Task<Results<Ok<TrainingRunDto>, ProblemHttpResult>> GetRun(
        string name, string requestId, TrainingService.TrainingServiceClient client, IOptions<DownstreamOptions> downstream, CancellationToken ct)
    {
        if (UnknownModel(name, out var model) is { } notFound)
        {
            return notFound;
        }
        // NotFound from the training service is the 404 ProblemDetails.
        var run = await client.GetRunAsync(new GetRunRequest { ModelName = model, RequestId = requestId },
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(ToRun(run));
    }

    public static async Task<Results<Ok<DeployResult>, ValidationProblem, ProblemHttpResult>> Deploy(
        string name,
        DeployBody body,
        TrainingService.TrainingServiceClient client,
        IOptions<DownstreamOptions> downstream,
        CancellationToken ct)
    {
        if (UnknownModel(name, out var model) is { } notFound)
        {
            return notFound;
        }
        if (!WireNames.TryParse<DeployStrategy>(body.Strategy, out var strategy) || !DeployStrategies.Contains(strategy))
        {
            return RequestErrors.Problem("strategy",
                $"strategy is required and must be one of: {Names(DeployStrategies)}.");
        }
        if (strategy == DeployStrategy.Specific && body.VersionId is not > 0)
        {
            return RequestErrors.Problem("version_id", "version_id (a version's id from /versions) is required with strategy 'specific'.");
        }
        var r = await client.DeployAsync(new DeployRequest { ModelName = model, Strategy = strategy, VersionId = body.VersionId ?? 0 },
            deadline: DownstreamOptions.DeadlineFromNow(downstream.Value.RegistryDeadline), cancellationToken: ct);
        return TypedResults.Ok(new DeployResult(r.Deployed, ToVersion(r.Version), r.Reason));
    }

    private static string RunLocation(ProtoModelName model, string requestId) =>
        $"/api/v1/models/{model.ToWire()}/runs/{Uri.EscapeDataString(requestId)}";

    /// <summary>
    /// The model a path names, or a 404 (the path names a resource that does not exist) listing the models there are;
    /// no downstream call is made for it.
    /// </summary>
    private static ProblemHttpResult? UnknownModel(string name, out ProtoModelName model) =>
        WireNames.TryParse(name, out model) && model != ProtoModelName.Forecast ? null
            : TypedResults.Problem($"There is no model '{RequestErrors.Quote(name.Trim())}'. Models: {string.Join(", ", TrainedModels)}.",
                statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static string Names(IEnumerable<DeployStrategy> strategies) => string.Join(", ", strategies.Select(s => s.ToWire()));

    private static bool IsCompleted(TrainingRun run) => run.Status is TrainingRunStatus.Succeeded or TrainingRunStatus.Failed;

    private static TrainingRunDto ToRun(TrainingRun run)
    {
        var completed = IsCompleted(run);
        return new TrainingRunDto(
            run.RequestId,
            run.ModelName.ToWire(),
            run.Status.ToWire(),
            run.Stage.ToWire(),
            run.Percent,
            run.Message,
            completed,
            NullIfEmpty(run.FailureReason),
            ToVersion(run.Version),
            run.Status == TrainingRunStatus.Succeeded ? run.Deployed : null,
            NullIfEmpty(run.DeployReason),
            NullIfEmpty(run.DeployStrategy.ToWire()),
            NullIfEmpty(run.RequestedBy),
            run.Stages.Select(e => new TrainingStageDto(e.Stage.ToWire(), e.Percent, e.Message, e.StartedAt?.ToDateTimeOffset())).ToList(),
            run.CreatedAt?.ToDateTimeOffset(),
            run.StartedAt?.ToDateTimeOffset(),
            run.UpdatedAt?.ToDateTimeOffset(),
            run.FinishedAt?.ToDateTimeOffset());
    }

    internal static ModelVersionDto? ToVersion(ModelVersion? v) => v is null ? null : new(
        v.Id,
        v.ModelName.ToWire(),
        v.Version,
        v.Algorithm,
        v.Status.ToWire(),
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

/// <summary>
/// A training run as the training service's run table holds it (the same from any gateway instance).
/// </summary>
/// <param name="Status">queued | running | succeeded | failed</param>
/// <param name="Stage">queued | waiting | loading | training | evaluating | registering | deploying | done | failed | interrupted</param>
/// <param name="Percent">Progress of the run, 0..100 (100 once completed).</param>
/// <param name="Completed">Succeeded or failed: nothing about the run changes any more.</param>
/// <param name="Error">Why it failed (status failed), or why it was interrupted and queued again.</param>
/// <param name="Version">The version it registered (or its failed version), once there is one.</param>
/// <param name="Deployed">When succeeded: whether the deploy strategy deployed the new version.</param>
/// <param name="Stages">One entry per stage reached, in order, with its latest percent and message and when it began.</param>
public sealed record TrainingRunDto(
    string RequestId,
    string Model,
    string Status,
    string Stage,
    double Percent,
    string Message,
    bool Completed,
    string? Error,
    ModelVersionDto? Version,
    bool? Deployed,
    string? DeployReason,
    string? DeployStrategy,
    string? RequestedBy,
    IReadOnlyList<TrainingStageDto> Stages,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? FinishedAt);

public sealed record TrainingStageDto(string Stage, double Percent, string Message, DateTimeOffset? StartedAt);

public sealed record DeployResult(bool Deployed, ModelVersionDto? Version, string Reason);

public sealed record ModelHistory(
    string Model, IReadOnlyList<DeploymentDto> Deployments, IReadOnlyList<ModelVersionDto> Failures, IReadOnlyList<TrainingRunRecord> Runs);

public sealed record DeploymentDto(
    long Id, string ModelName, long VersionId, long PreviousVersionId, string Strategy, string Reason, DateTimeOffset? DeployedAt);

/// <param name="Status">queued | running | succeeded | failed</param>
public sealed record TrainingRunRecord(
    long Id, string RequestId, string ModelName, string Status, string Stage, long VersionId, string? FailureReason,
    string? RequestedBy, bool Deployed, string? DeployReason, DateTimeOffset? CreatedAt, DateTimeOffset? FinishedAt);
