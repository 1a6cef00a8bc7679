using MassTransit;
using Microsoft.Extensions.Options;
using StrategicAgent.Contracts;
using StrategicAgent.Ml;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Consumers;

/// <summary>
/// Evaluates the per-model retraining thresholds every <c>Training:SchedulerInterval</c> and
/// publishes TrainModel for the models that are due. Every decision is logged and stored in
/// ml.retraining_decisions with the numbers behind it.
/// </summary>
public sealed class RetrainingScheduler(
    IServiceScopeFactory scopes,
    IOptions<TrainingOptions> options,
    TimeProvider time,
    ILogger<RetrainingScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SchedulerEnabled)
        {
            logger.LogInformation("Retraining scheduler disabled (Training:SchedulerEnabled=false)");
            return;
        }
        using var timer = new PeriodicTimer(options.Value.SchedulerInterval, time);
        do
        {
            try
            {
                await EvaluateOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Retraining evaluation failed; trying again in {Interval}", options.Value.SchedulerInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<IReadOnlyList<RetrainingDecision>> EvaluateOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<SchedulerStore>();
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var now = time.GetUtcNow();
        var decisions = new List<RetrainingDecision>();
        foreach (var inputs in await store.ReadInputsAsync(ct))
        {
            var o = options.Value.For(inputs.ModelName);
            if (!o.Scheduled || !ModelNames.IsKnown(inputs.ModelName)) continue;
            var d = RetrainingPolicy.Decide(inputs, o, options.Value.HyperparametersFor(inputs.ModelName).MinRows, now);
            logger.LogInformation("Retraining {Model}: {Due} — {Reason} (days since {Days}, new rows {NewRows}, thresholds {MaxAgeDays} d / {MinNewRecords})",
                d.ModelName, d.Due ? "due" : "not due", d.Reason, d.DaysSinceTraining, d.NewRecords, d.MaxAgeDays, d.MinNewRecords);
            await store.RecordAsync(d, ct);
            if (d.Due && d.RequestId is not null)
            {
                await publish.Publish(new TrainModel { RequestId = d.RequestId, ModelName = d.ModelName, RequestedBy = "scheduler" }, ct);
            }
            decisions.Add(d);
        }
        return decisions;
    }
}
