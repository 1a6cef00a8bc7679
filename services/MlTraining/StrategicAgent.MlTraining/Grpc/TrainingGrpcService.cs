using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Training.V1;
using StrategicAgent.ServiceDefaults.Auth;
using ProtoVersion = StrategicAgent.Protos.Training.V1.ModelVersion;
using ProtoModelName = StrategicAgent.Protos.Ml.V1.ModelName;
using ProtoStrategy = StrategicAgent.Protos.Training.V1.DeployStrategy;
using DeployStrategy = StrategicAgent.Ml.Registry.DeployStrategy;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Grpc;

/// <summary>
/// The admin API: queue a training run and follow it (StartTraining + GetRun, or the streaming Train
/// that does both), list models and versions, deploy, history. Every run goes through the queue and
/// lives in ml.training_runs, so any replica of this service (and any gateway) can report it. Reading
/// the registry needs a caller token (the default); starting a run and deploying need the admin scope.
/// </summary>
public sealed class TrainingGrpcService(
    TrainingQueue queue,
    DeployService deployer,
    ModelRegistryReader registry,
    HistoryStore history,
    IOptions<TrainingOptions> options,
    ILogger<TrainingGrpcService> logger) : TrainingService.TrainingServiceBase
{
    [Authorize(Policy = CallerPolicies.Admin)]
    public override async Task Train(TrainRequest request, IServerStreamWriter<TrainProgress> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        // Mapping the request is inside Guard: a bad model or strategy is InvalidArgument, not an exception of the handler.
        var run = await Guard(() => queue.StartAsync(ToTrainingRequest(request, context), ct));
        // Follows the run's row; ending this call does not stop the run (a trainer has it, or will).
        var written = new List<(RunStage Stage, double Percent, string Message)>();
        while (true)
        {
            for (var i = 0; i < run.Stages.Count; i++)
            {
                var s = run.Stages[i];
                if (s.Stage is RunStage.Done or RunStage.Failed)
                {
                    continue; // the final message below carries the outcome
                }
                if (i < written.Count && written[i] == (s.Stage, s.Percent, s.Message))
                {
                    continue;
                }
                await responseStream.WriteAsync(new TrainProgress { Stage = ToStage(s.Stage), Percent = s.Percent, Message = s.Message, RequestId = run.RequestId }, ct);
                if (i < written.Count)
                {
                    written[i] = (s.Stage, s.Percent, s.Message);
                }
                else
                {
                    written.Add((s.Stage, s.Percent, s.Message));
                }
            }
            if (run.Completed)
            {
                break;
            }
            await Task.Delay(options.Value.RunPollInterval, ct);
            run = await Guard(() => history.GetRunAsync(run.ModelName, run.RequestId, ct))
                ?? throw new RpcException(new Status(StatusCode.Aborted, $"Training run {run.RequestId} disappeared while it was followed."));
        }
        var succeeded = run.Status == RunStatus.Succeeded;
        var last = new TrainProgress
        {
            RequestId = run.RequestId,
            Percent = 100,
            Stage = succeeded ? TrainStage.Done : TrainStage.Failed,
            Message = succeeded ? run.DeployReason ?? "Trained." : run.FailureReason ?? "Training failed.",
            Deployed = run.Deployed,
            DeployReason = run.DeployReason ?? "",
        };
        if (await VersionOfAsync(run, ct) is { } version)
        {
            last.Version = version;
        }
        await responseStream.WriteAsync(last, ct);
    }

    [Authorize(Policy = CallerPolicies.Admin)]
    public override Task<TrainingRun> StartTraining(TrainRequest request, ServerCallContext context) => Guard(async () =>
    {
        var run = await queue.StartAsync(ToTrainingRequest(request, context), context.CancellationToken);
        return await ToProtoAsync(run, context.CancellationToken);
    });

    public override Task<TrainingRun> GetRun(GetRunRequest request, ServerCallContext context) => Guard(async () =>
    {
        var model = RequireModel(request.ModelName);
        if (string.IsNullOrWhiteSpace(request.RequestId))
        {
            throw new ArgumentException("request_id is required: the id StartTraining (or POST .../train) returned.");
        }
        var run = await history.GetRunAsync(model, request.RequestId, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound,
                $"Model '{model}' has no training run '{request.RequestId}'. Its runs: GET /api/v1/models/{model}/history (History)."));
        return await ToProtoAsync(run, context.CancellationToken);
    });

    private static TrainingRequest ToTrainingRequest(TrainRequest request, ServerCallContext context) => new()
    {
        RequestId = string.IsNullOrWhiteSpace(request.RequestId) ? "grpc:" + Guid.NewGuid().ToString("N") : request.RequestId.Trim(),
        ModelName = RequireModel(request.ModelName),
        DeployStrategy = Strategy(request.DeployStrategy, "deploy_strategy", DeployStrategies.AfterTraining),
        Hyperparameters = request.Hyperparameters,
        RequestedBy = "grpc " + context.GetCaller().Subject,
    };

    private async Task<ProtoVersion?> VersionOfAsync(TrainingRunState run, CancellationToken ct) =>
        run.VersionId is { } id && await registry.GetVersionAsync(id, false, ct) is { } v ? ToProto(v, false) : null;

    private async Task<TrainingRun> ToProtoAsync(TrainingRunState run, CancellationToken ct)
    {
        var p = ToProto(run);
        foreach (var s in run.Stages)
        {
            p.Stages.Add(new TrainingStage { Stage = ToStage(s.Stage), Percent = s.Percent, Message = s.Message, StartedAt = Timestamp.FromDateTimeOffset(s.StartedAt) });
        }
        if (await VersionOfAsync(run, ct) is { } version)
        {
            p.Version = version;
        }
        return p;
    }

    internal static TrainingRun ToProto(TrainingRunState r)
    {
        var run = new TrainingRun
        {
            Id = r.Id, RequestId = r.RequestId, ModelName = ToModelName(r.ModelName), Status = (TrainingRunStatus)(int)r.Status, Stage = ToStage(r.Stage),
            VersionId = r.VersionId ?? 0, FailureReason = r.FailureReason ?? "", RequestedBy = r.RequestedBy ?? "",
            Deployed = r.Deployed, DeployReason = r.DeployReason ?? "", CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt),
            Percent = r.Percent, Message = r.Message ?? "", UpdatedAt = Timestamp.FromDateTimeOffset(r.UpdatedAt),
            DeployStrategy = ToStrategy(r.DeployStrategy),
        };
        if (r.StartedAt is { } started) run.StartedAt = Timestamp.FromDateTimeOffset(started);
        if (r.FinishedAt is { } finished) run.FinishedAt = Timestamp.FromDateTimeOffset(finished);
        return run;
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) => Guard(async () =>
    {
        var response = new ListModelsResponse();
        foreach (var name in ModelNames.All)
        {
            var versions = await registry.ListVersionsAsync(name, context.CancellationToken);
            var summary = new ModelSummary { Name = ToModelName(name), VersionCount = versions.Count };
            if (versions.FirstOrDefault(v => v.Status == VersionStatus.Deployed) is { } d) summary.Deployed = ToProto(d, false);
            if (versions.FirstOrDefault() is { } l) summary.Latest = ToProto(l, false);
            response.Models.Add(summary);
        }
        return response;
    });

    public override Task<ListVersionsResponse> ListVersions(ListVersionsRequest request, ServerCallContext context) => Guard(async () =>
    {
        var model = RequireModel(request.ModelName);
        var response = new ListVersionsResponse();
        foreach (var v in await registry.ListVersionsAsync(model, context.CancellationToken))
        {
            response.Versions.Add(ToProto(v, request.IncludeDetails));
        }
        return response;
    });

    [Authorize(Policy = CallerPolicies.Admin)]
    public override Task<DeployResponse> Deploy(DeployRequest request, ServerCallContext context) => Guard(async () =>
    {
        var model = RequireModel(request.ModelName);
        var strategy = Strategy(request.Strategy, "strategy", DeployStrategies.ForDeploy);
        var decision = await deployer.DeployAsync(model, strategy, request.VersionId == 0 ? null : request.VersionId, context.CancellationToken);
        var response = new DeployResponse { Deployed = decision.Deployed, Reason = decision.Reason };
        if (decision.VersionId is { } id && await registry.GetVersionAsync(id, false, context.CancellationToken) is { } v)
        {
            response.Version = ToProto(v, false);
        }
        return response;
    });

    public override Task<HistoryResponse> History(HistoryRequest request, ServerCallContext context) => Guard(async () =>
    {
        string? model = request.ModelName == ProtoModelName.Unspecified ? null : RequireModel(request.ModelName);
        var limit = request.Limit is > 0 and <= 1000 ? request.Limit : request.Limit == 0 ? 50
            : throw new ArgumentException("limit must be between 1 and 1000 (0 = 50).");
        var response = new HistoryResponse();
        foreach (var d in await history.DeploymentsAsync(model, limit, context.CancellationToken))
        {
            response.Deployments.Add(new DeploymentRecord
            {
                Id = d.Id, ModelName = ToModelName(d.ModelName), VersionId = d.VersionId, PreviousVersionId = d.PreviousVersionId ?? 0,
                Strategy = ToStrategy(d.Strategy), Reason = d.Reason ?? "", DeployedAt = Timestamp.FromDateTimeOffset(d.DeployedAt),
            });
        }
        foreach (var name in model is null ? ModelNames.All : [model])
        {
            foreach (var f in (await registry.ListVersionsAsync(name, context.CancellationToken)).Where(v => v.Status == VersionStatus.Failed).Take(limit))
            {
                response.Failures.Add(ToProto(f, false));
            }
        }
        foreach (var r in await history.RunsAsync(model, limit, context.CancellationToken))
        {
            response.Runs.Add(ToProto(r));
        }
        return response;
    });

    /// <summary>The catalogued model's registry name; InvalidArgument for unspecified, a value the contract does not define, or a model nothing trains (forecast).</summary>
    internal static string RequireModel(ProtoModelName model)
    {
        var known = string.Join(", ", ModelNames.All);
        if (model == ProtoModelName.Unspecified)
        {
            throw new ArgumentException($"model_name is required: one of {known}.");
        }
        if (!System.Enum.IsDefined(model))
        {
            throw new ArgumentException($"model_name = {(int)model} is not a model this service knows: use one of {known}.");
        }
        var name = model.ToWire();
        return ModelNames.IsKnown(name) ? name
            : throw new ArgumentException($"'{name}' is not a trained model (nothing is trained or deployed under that name): use one of {known}.");
    }

    /// <summary>The domain's strategy (unspecified = best_score); InvalidArgument for one <paramref name="allowed"/> does not hold.</summary>
    internal static DeployStrategy Strategy(ProtoStrategy strategy, string field, IReadOnlyCollection<DeployStrategy> allowed)
    {
        if (strategy == ProtoStrategy.Unspecified)
        {
            return DeployStrategy.BestScore;
        }
        // The domain's values are the contract's numbers (Ml.Registry.RegistryStates).
        var domain = (DeployStrategy)(int)strategy;
        return System.Enum.IsDefined(strategy) && allowed.Contains(domain) ? domain
            : throw new ArgumentException($"{field} = {(System.Enum.IsDefined(strategy) ? strategy.ToWire() : ((int)strategy).ToString(System.Globalization.CultureInfo.InvariantCulture))} is not allowed here: use one of {DeployStrategies.Names(allowed)} (unspecified = best_score).");
    }

    // The registry's names and the domain's enums → the contract's (a model name the contract lacks reads as unspecified;
    // the domain's enums carry the contract's numbers, Ml.Registry.RegistryStates).
    internal static ProtoModelName ToModelName(string? name) => WireNames.TryParse<ProtoModelName>(name, out var m) ? m : ProtoModelName.Unspecified;

    internal static TrainStage ToStage(RunStage stage) => (TrainStage)(int)stage;

    internal static ProtoStrategy ToStrategy(DeployStrategy? strategy) => strategy is { } s ? (ProtoStrategy)(int)s : ProtoStrategy.Unspecified;

    internal static ProtoVersion ToProto(RegisteredModel v, bool details)
    {
        var p = new ProtoVersion
        {
            Id = v.Id,
            ModelName = ToModelName(v.ModelName),
            Version = v.Version,
            Algorithm = v.Algorithm,
            Status = (ModelVersionStatus)(int)v.Status,
            TrainingRows = v.TrainingRows,
            DurationSeconds = v.DurationSeconds ?? 0,
            CreatedAt = Timestamp.FromDateTimeOffset(v.CreatedAt),
            FailureReason = v.FailureReason ?? "",
            RequestId = v.RequestId ?? "",
            KeyMetric = Metrics.KeyMetric(Ml.Features.FeatureSet.For(v.ModelName).Task),
        };
        foreach (var (k, x) in v.Hyperparameters) p.Hyperparameters[k] = x;
        foreach (var (k, x) in v.Metrics) p.Metrics[k] = x;
        foreach (var (k, x) in v.BaselineMetrics) p.BaselineMetrics[k] = x;
        if (v.DataFrom is { } from) p.DataFrom = Timestamp.FromDateTimeOffset(from);
        if (v.DataTo is { } to) p.DataTo = Timestamp.FromDateTimeOffset(to);
        if (details)
        {
            p.FeatureSchemaJson = v.FeatureSchemaJson;
            p.CalibrationJson = v.Calibration is null ? "{}" : MlJson.Serialize(v.Calibration);
            p.TrainingStatsJson = v.TrainingStats is null ? "{}" : MlJson.Serialize(v.TrainingStats);
        }
        return p;
    }

    /// <summary>Maps failures to gRPC status codes with actionable messages.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (ArgumentException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (DeployRejectedException e)
        {
            throw new RpcException(new Status(e.NotFound ? StatusCode.NotFound : StatusCode.FailedPrecondition, e.Message));
        }
        catch (TrainingQueueUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (NpgsqlException e)
        {
            logger.LogError(e, "Replica unavailable");
            throw new RpcException(new Status(StatusCode.Unavailable, "The replica database is unavailable: " + e.Message));
        }
    }
}
