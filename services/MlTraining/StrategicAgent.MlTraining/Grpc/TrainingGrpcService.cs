using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Protos.Training.V1;
using ProtoVersion = StrategicAgent.Protos.Training.V1.ModelVersion;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Grpc;

/// <summary>The admin API: train with streamed progress, list models and versions, deploy, history.</summary>
public sealed class TrainingGrpcService(
    TrainingRunner runner,
    DeployService deployer,
    ModelRegistryReader registry,
    HistoryStore history,
    ILogger<TrainingGrpcService> logger) : TrainingService.TrainingServiceBase
{
    public override async Task Train(TrainRequest request, IServerStreamWriter<TrainProgress> responseStream, ServerCallContext context)
    {
        var trainingRequest = new TrainingRequest
        {
            RequestId = string.IsNullOrWhiteSpace(request.RequestId) ? "grpc:" + Guid.NewGuid().ToString("N") : request.RequestId,
            ModelName = request.ModelName,
            DeployStrategy = string.IsNullOrWhiteSpace(request.DeployStrategy) ? DeployStrategies.BestScore : request.DeployStrategy,
            Hyperparameters = request.Hyperparameters,
            RequestedBy = "grpc",
        };
        await Guard(() =>
        {
            runner.Validate(trainingRequest);
            return Task.CompletedTask;
        });

        var channel = Channel.CreateUnbounded<TrainingProgress>(new UnboundedChannelOptions { SingleReader = true });
        var progress = new ChannelProgress(channel.Writer);
        var run = Task.Run(async () =>
        {
            try
            {
                return await runner.RunAsync(trainingRequest, progress, context.CancellationToken);
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        });
        await foreach (var p in channel.Reader.ReadAllAsync(context.CancellationToken))
        {
            if (p.Stage is "done" or "failed" or "duplicate") continue; // the final message carries the outcome below
            await responseStream.WriteAsync(new TrainProgress { Stage = p.Stage, Percent = p.Percent, Message = p.Message, RequestId = trainingRequest.RequestId });
        }
        var outcome = await Guard(() => run);
        var last = new TrainProgress
        {
            RequestId = trainingRequest.RequestId,
            Percent = 100,
            Stage = outcome.Status switch { "succeeded" => "done", "failed" => "failed", _ => "duplicate" },
            Message = outcome.Status switch
            {
                "succeeded" => outcome.Deploy?.Reason ?? "Trained.",
                "failed" => outcome.FailureReason ?? "Training failed.",
                _ => $"Request {trainingRequest.RequestId} was already handled; nothing trained.",
            },
            Deployed = outcome.Deploy?.Deployed ?? false,
            DeployReason = outcome.Deploy?.Reason ?? "",
        };
        if (outcome.Version is not null)
        {
            last.Version = ToProto(outcome.Version, details: false);
        }
        await responseStream.WriteAsync(last);
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) => Guard(async () =>
    {
        var response = new ListModelsResponse();
        foreach (var name in ModelNames.All)
        {
            var versions = await registry.ListVersionsAsync(name, context.CancellationToken);
            var summary = new ModelSummary { Name = name, VersionCount = versions.Count };
            if (versions.FirstOrDefault(v => v.Status == "deployed") is { } d) summary.Deployed = ToProto(d, false);
            if (versions.FirstOrDefault() is { } l) summary.Latest = ToProto(l, false);
            response.Models.Add(summary);
        }
        return response;
    });

    public override Task<ListVersionsResponse> ListVersions(ListVersionsRequest request, ServerCallContext context) => Guard(async () =>
    {
        RequireModel(request.ModelName);
        var response = new ListVersionsResponse();
        foreach (var v in await registry.ListVersionsAsync(request.ModelName, context.CancellationToken))
        {
            response.Versions.Add(ToProto(v, request.IncludeDetails));
        }
        return response;
    });

    public override Task<DeployResponse> Deploy(DeployRequest request, ServerCallContext context) => Guard(async () =>
    {
        RequireModel(request.ModelName);
        var strategy = string.IsNullOrWhiteSpace(request.Strategy) ? DeployStrategies.BestScore : request.Strategy;
        var decision = await deployer.DeployAsync(request.ModelName, strategy, request.VersionId == 0 ? null : request.VersionId, context.CancellationToken);
        var response = new DeployResponse { Deployed = decision.Deployed, Reason = decision.Reason };
        if (decision.VersionId is { } id && await registry.GetVersionAsync(id, false, context.CancellationToken) is { } v)
        {
            response.Version = ToProto(v, false);
        }
        return response;
    });

    public override Task<HistoryResponse> History(HistoryRequest request, ServerCallContext context) => Guard(async () =>
    {
        string? model = string.IsNullOrWhiteSpace(request.ModelName) ? null : request.ModelName;
        if (model is not null) RequireModel(model);
        var limit = request.Limit is > 0 and <= 1000 ? request.Limit : request.Limit == 0 ? 50
            : throw new ArgumentException("limit must be between 1 and 1000 (0 = 50).");
        var response = new HistoryResponse();
        foreach (var d in await history.DeploymentsAsync(model, limit, context.CancellationToken))
        {
            response.Deployments.Add(new DeploymentRecord
            {
                Id = d.Id, ModelName = d.ModelName, VersionId = d.VersionId, PreviousVersionId = d.PreviousVersionId ?? 0,
                Strategy = d.Strategy, Reason = d.Reason ?? "", DeployedAt = Timestamp.FromDateTimeOffset(d.DeployedAt),
            });
        }
        foreach (var name in model is null ? ModelNames.All : [model])
        {
            foreach (var f in (await registry.ListVersionsAsync(name, context.CancellationToken)).Where(v => v.Status == "failed").Take(limit))
            {
                response.Failures.Add(ToProto(f, false));
            }
        }
        foreach (var r in await history.RunsAsync(model, limit, context.CancellationToken))
        {
            var run = new TrainingRun
            {
                Id = r.Id, RequestId = r.RequestId, ModelName = r.ModelName, Status = r.Status, Stage = r.Stage ?? "",
                VersionId = r.VersionId ?? 0, FailureReason = r.FailureReason ?? "", RequestedBy = r.RequestedBy ?? "",
                Deployed = r.Deployed, DeployReason = r.DeployReason ?? "", CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt),
            };
            if (r.FinishedAt is { } f) run.FinishedAt = Timestamp.FromDateTimeOffset(f);
            response.Runs.Add(run);
        }
        return response;
    });

    private static void RequireModel(string name)
    {
        if (!ModelNames.IsKnown(name))
        {
            throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", ModelNames.All)}.");
        }
    }

    internal static ProtoVersion ToProto(RegisteredModel v, bool details)
    {
        var p = new ProtoVersion
        {
            Id = v.Id,
            ModelName = v.ModelName,
            Version = v.Version,
            Algorithm = v.Algorithm,
            Status = v.Status,
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
        catch (NpgsqlException e)
        {
            logger.LogError(e, "Replica unavailable");
            throw new RpcException(new Status(StatusCode.Unavailable, "The replica database is unavailable: " + e.Message));
        }
    }

    private Task Guard(Func<Task> action) => Guard<bool>(async () =>
    {
        await action();
        return true;
    });

    private sealed class ChannelProgress(ChannelWriter<TrainingProgress> writer) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => writer.TryWrite(value);
    }
}
