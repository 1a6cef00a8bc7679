using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Models;
using StrategicAgent.Ml.Registry;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>
/// One training request end to end: claim the request id (idempotent), take the model's lock
/// (one training per model at a time), read rows from the replica, train, register, apply the
/// deploy strategy, publish. A failure is recorded with its reason and the deployed version stays.
/// </summary>
public sealed class TrainingRunner(
    ITrainingStore store,
    IFeatureSource source,
    ITrainingEvents events,
    DeployService deployer,
    IOptions<TrainingOptions> options,
    ILogger<TrainingRunner> logger)
{
    /// <summary>Validates a request; throws <see cref="ArgumentException"/> with an actionable message.</summary>
    public Hyperparameters Validate(TrainingRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.RequestId))
        {
            throw new ArgumentException("request_id is required (an idempotency key; any unique string).");
        }
        var model = ModelCatalog.Get(request.ModelName);
        if (!DeployStrategies.AfterTraining.Contains(request.DeployStrategy))
        {
            throw new ArgumentException(
                $"Deploy strategy '{(Enum.IsDefined(request.DeployStrategy) ? request.DeployStrategy.ToText() : request.DeployStrategy.ToString())}' cannot follow a training. Use one of: {DeployStrategies.Names(DeployStrategies.AfterTraining)}.");
        }
        return options.Value.HyperparametersFor(model.Name).With(request.Hyperparameters);
    }

    public async Task<TrainingOutcome> RunAsync(TrainingRequest request, IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var h = Validate(request);
        var claim = await store.ClaimRunAsync(request, h, ct);
        if (!claim.Claimed)
        {
            logger.LogInformation("Training request {RequestId} for {Model} was already taken ({Status}); not training again",
                request.RequestId, request.ModelName, claim.ExistingStatus.ToText());
            progress?.Report(new(RunStage.Duplicate, 100, $"Request {request.RequestId} was already {claim.ExistingStatus.ToText()}."));
            return new TrainingOutcome
            {
                RequestId = request.RequestId,
                ModelName = request.ModelName,
                Status = claim.ExistingStatus,
                Duplicate = true,
                FailureReason = claim.ExistingFailure,
            };
        }

        await using var lease = claim.Lease; // released when the run has ended (completed, failed or put back in the queue)
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.TrainingTimeout);
        var token = timeout.Token;
        // Progress goes to the run's row (the claim recorded stage "waiting"): any gateway reads it there.
        var recorder = new RunProgressRecorder(store, claim.RunId, progress, logger);
        try
        {
            await using var trainingLock = await store.AcquireTrainingLockAsync(request.ModelName, token);
            recorder.Report(new(RunStage.Loading, 5, $"Reading {FeatureSet.For(request.ModelName).View} from the replica"));
            await store.RefreshSummaryAsync(token);
            var trained = await TrainAsync(request.ModelName, h, recorder, token);

            recorder.Report(new(RunStage.Registering, 85, "Registering the version"));
            var version = await store.RegisterVersionAsync(trained, request.RequestId, token);

            recorder.Report(new(RunStage.Deploying, 92, $"Applying deploy strategy {request.DeployStrategy.ToText()}"));
            var decision = await deployer.AfterTrainingAsync(request.DeployStrategy, trained, version, token);
            await recorder.FlushAsync();
            await store.CompleteRunAsync(claim.RunId, version.Id, decision, CancellationToken.None);
            var outcome = new TrainingOutcome
            {
                RequestId = request.RequestId,
                ModelName = request.ModelName,
                Status = RunStatus.Succeeded,
                Version = version with { Status = decision.Deployed ? VersionStatus.Deployed : version.Status },
                Deploy = decision,
            };
            await events.TrainedAsync(outcome, CancellationToken.None);
            progress?.Report(new(RunStage.Done, 100, decision.Reason));
            return outcome;
        }
        catch (Exception e) when (e is TrainingFailedException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var reason = e is TrainingFailedException ? e.Message : $"Training exceeded the {options.Value.TrainingTimeout} timeout (Training:TrainingTimeout).";
            logger.LogWarning("Training {Model} for request {RequestId} failed: {Reason}", request.ModelName, request.RequestId, reason);
            var failed = await store.RegisterFailedVersionAsync(request.ModelName, h, reason, request.RequestId, CancellationToken.None);
            await recorder.FlushAsync();
            await store.FailRunAsync(claim.RunId, failed.Id, reason, CancellationToken.None);
            var outcome = new TrainingOutcome
            {
                RequestId = request.RequestId,
                ModelName = request.ModelName,
                Status = RunStatus.Failed,
                Version = failed,
                FailureReason = reason,
            };
            await events.TrainedAsync(outcome, CancellationToken.None);
            progress?.Report(new(RunStage.Failed, 100, reason));
            return outcome;
        }
        catch (Exception e)
        {
            // Unexpected (database gone, cancelled by the host): the run goes back to queued with the
            // error so a redelivery of the same request can take it again; the caller rethrows.
            logger.LogError(e, "Training {Model} for request {RequestId} stopped unexpectedly", request.ModelName, request.RequestId);
            try
            {
                await recorder.FlushAsync();
                await store.ReleaseRunAsync(claim.RunId, $"{e.GetType().Name}: {e.Message}", CancellationToken.None);
            }
            catch (Exception releaseError)
            {
                logger.LogError(releaseError, "Could not release training run {RunId}", claim.RunId);
            }
            throw;
        }
    }

    /// <summary>Reads the model's rows from the replica and trains it (no registry writes).</summary>
    public async Task<TrainedModel> TrainAsync(string model, Hyperparameters h, IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var trained = await ModelCatalog.Get(model).TrainAsync(source, h, progress, ct);
        var key = trained.KeyMetric;
        logger.LogInformation("Trained {Model} ({Algorithm}) on {Train}/{Calibration}/{Test} rows in {Seconds:0.0} s: {KeyMetric} = {Score:0.000} (baseline {Baseline:0.000})",
            model, trained.Algorithm, trained.Statistics.TrainRows, trained.Statistics.CalibrationRows, trained.Statistics.TestRows,
            trained.Duration.TotalSeconds, key, trained.KeyScore, trained.BaselineMetrics.GetValueOrDefault(key));
        return trained;
    }
}
