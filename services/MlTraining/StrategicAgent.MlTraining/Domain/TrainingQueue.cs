using Microsoft.Extensions.Logging;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>The message broker could not take a training run's command; the run was not queued.</summary>
public sealed class TrainingQueueUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The one way into training: a run is recorded as queued in ml.training_runs, then its TrainModel
/// command goes on the bus, where whichever ml-training replica is free takes it (the retraining
/// scheduler sends the same command). Callers get the run back at once and follow its row.
/// </summary>
public sealed class TrainingQueue(TrainingRunner runner, ITrainingStore store, ITrainingCommands commands, ILogger<TrainingQueue> logger)
{
    /// <summary>
    /// Queues a run, or returns the run that already has this request id (re-sending its command while it
    /// is still queued: a trainer takes a queued run once, so a second message only finds it taken).
    /// Throws <see cref="ArgumentException"/> for a bad request, <see cref="TrainingQueueUnavailableException"/>
    /// when the broker does not take the command.
    /// </summary>
    public async Task<TrainingRunState> StartAsync(TrainingRequest request, CancellationToken ct)
    {
        var resolved = runner.Validate(request);
        var (inserted, run) = await store.QueueRunAsync(request, resolved, ct);
        if (run.ModelName != request.ModelName)
        {
            throw new ArgumentException(
                $"request_id '{request.RequestId}' is already a training run of model '{run.ModelName}'; use another request_id (or none, for a generated one).");
        }
        if (run.Status != RunStatus.Queued)
        {
            return run;
        }
        try
        {
            await commands.QueueAsync(request, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (inserted)
            {
                // Nothing will ever take a run whose command was not sent: do not leave it queued.
                await store.DeleteQueuedRunAsync(request.RequestId, CancellationToken.None);
            }
            logger.LogWarning(e, "Could not queue training run {RequestId} of {Model}", request.RequestId, request.ModelName);
            throw new TrainingQueueUnavailableException(
                "The message broker did not take the training run, so it was not queued; try again (with the same request_id) when RabbitMQ is reachable.", e);
        }
        logger.LogInformation("Queued training run {RequestId} of {Model} (requested by {RequestedBy})", request.RequestId, request.ModelName, request.RequestedBy);
        return run;
    }
}
