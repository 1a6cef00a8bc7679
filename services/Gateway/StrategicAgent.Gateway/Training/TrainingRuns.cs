using System.Collections.Concurrent;
using Grpc.Core;
using StrategicAgent.Protos.Training.V1;

namespace StrategicAgent.Gateway.Training;

/// <summary>
/// Training runs started without <c>?wait=true</c>: the gateway answers 202 once the training
/// service has accepted the run (its first progress event), then keeps reading the progress stream
/// in the background so <c>GET /api/v1/models/{name}/runs/{request_id}</c> can report it. Runs live
/// in this gateway instance's memory only (the registry in the replica's ml schema is the durable
/// record: <c>GET /api/v1/models/{name}/versions</c>).
/// </summary>
public sealed partial class TrainingRuns(ILogger<TrainingRuns> logger, IHostApplicationLifetime lifetime)
{
    /// <summary>Finished runs beyond this many are forgotten, oldest first.</summary>
    public const int MaxRuns = 500;

    private readonly ConcurrentDictionary<string, TrackedRun> _runs = new(StringComparer.Ordinal);

    public TrackedRun? Get(string requestId) => _runs.GetValueOrDefault(requestId);

    /// <summary>An unfinished run with this request id (a retried POST joins it instead of starting another).</summary>
    public TrackedRun? Active(string requestId) => Get(requestId) is { Completed: false } run ? run : null;

    /// <summary>Takes over a call whose first event was already read and drains it in the background.</summary>
    public TrackedRun Track(string requestId, string model, AsyncServerStreamingCall<TrainProgress> call)
    {
        var run = new TrackedRun(requestId, model);
        run.Record(call.ResponseStream.Current);
        _runs[requestId] = run;
        Evict();
        _ = Task.Run(() => DrainAsync(run, call));
        return run;
    }

    private async Task DrainAsync(TrackedRun run, AsyncServerStreamingCall<TrainProgress> call)
    {
        using (call)
        {
            try
            {
                // Not the HTTP request's token: the request has already been answered (202). The
                // call still has its own deadline (Downstream:TrainingDeadline).
                while (await call.ResponseStream.MoveNext(lifetime.ApplicationStopping))
                {
                    run.Record(call.ResponseStream.Current);
                }
                run.Finish(null);
                LogFinished(logger, run.Model, run.RequestId, run.Latest.Stage);
            }
            catch (RpcException ex)
            {
                run.Finish($"{ex.StatusCode}: {ex.Status.Detail}");
                LogFailed(logger, run.Model, run.RequestId, ex.StatusCode, ex.Status.Detail);
            }
            catch (OperationCanceledException)
            {
                run.Finish("The gateway stopped before the run finished; check the model's versions.");
            }
        }
    }

    private void Evict()
    {
        if (_runs.Count <= MaxRuns)
        {
            return;
        }
        foreach (var old in _runs.Values.Where(r => r.Completed).OrderBy(r => r.UpdatedAt).Take(_runs.Count - MaxRuns))
        {
            _runs.TryRemove(old.RequestId, out _);
        }
    }

    [LoggerMessage(LogLevel.Information, "Training run {RequestId} of {Model} finished at stage {Stage}")]
    private static partial void LogFinished(ILogger logger, string model, string requestId, string stage);

    [LoggerMessage(LogLevel.Warning, "Training run {RequestId} of {Model} failed: {GrpcStatus} {GrpcDetail}")]
    private static partial void LogFailed(ILogger logger, string model, string requestId, StatusCode grpcStatus, string grpcDetail);
}

/// <summary>What the gateway has seen of one run's progress stream.</summary>
public sealed class TrackedRun(string requestId, string model)
{
    private readonly Lock _gate = new();
    private readonly List<TrainProgress> _events = [];

    public string RequestId { get; } = requestId;
    public string Model { get; } = model;
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; private set; } = DateTimeOffset.UtcNow;
    public bool Completed { get; private set; }
    public string? Error { get; private set; }

    public TrainProgress Latest
    {
        get
        {
            lock (_gate)
            {
                return _events[^1];
            }
        }
    }

    public IReadOnlyList<TrainProgress> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public void Record(TrainProgress progress)
    {
        lock (_gate)
        {
            // Percent ticks within one stage only update it: the history stays one entry per stage.
            if (_events.Count > 0 && _events[^1].Stage == progress.Stage)
            {
                _events[^1] = progress;
            }
            else
            {
                _events.Add(progress);
            }
            UpdatedAt = DateTimeOffset.UtcNow;
            if (progress.Stage is "done" or "failed")
            {
                Completed = true;
            }
        }
    }

    public void Finish(string? error)
    {
        lock (_gate)
        {
            Completed = true;
            Error ??= error;
            UpdatedAt = DateTimeOffset.UtcNow;
        }
    }
}
