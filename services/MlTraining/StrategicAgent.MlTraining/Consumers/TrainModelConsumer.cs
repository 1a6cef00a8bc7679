using MassTransit;
using StrategicAgent.Contracts;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Ml.Training;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.MlTraining.Consumers;

/// <summary>
/// Trains on a TrainModel command. Idempotent on RequestId (a duplicate does nothing); a training
/// failure is recorded and published, not retried; an unexpected error is retried by the
/// definition and ends in the error queue rather than being lost.
/// </summary>
public sealed class TrainModelConsumer(TrainingRunner runner, ILogger<TrainModelConsumer> logger) : IConsumer<TrainModel>
{
    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var m = context.Message;
        TrainingRequest request;
        try
        {
            request = new TrainingRequest
            {
                RequestId = m.RequestId,
                ModelName = m.ModelName,
                DeployStrategy = StrategyOf(m.DeployStrategy),
                Hyperparameters = m.Hyperparameters,
                RequestedBy = m.RequestedBy,
            };
            runner.Validate(request);
        }
        catch (ArgumentException e)
        {
            // A malformed command never succeeds on retry: report it and drop it.
            logger.LogWarning("Rejected TrainModel {RequestId}: {Reason}", m.RequestId, e.Message);
            await context.Publish(new ModelTrained
            {
                RequestId = m.RequestId ?? "",
                ModelName = m.ModelName ?? "",
                Succeeded = false,
                FailureReason = "Invalid request: " + e.Message,
            });
            return;
        }
        var outcome = await runner.RunAsync(request, progress: null, context.CancellationToken);
        logger.LogInformation("TrainModel {RequestId} for {Model}: {Status}", m.RequestId, m.ModelName,
            outcome.Duplicate ? "duplicate of a run " + outcome.Status.ToText() : outcome.Status.ToText());
    }

    /// <summary>The message's strategy (its text as the registry stores it; empty = best_score).</summary>
    private static DeployStrategy StrategyOf(string? text) =>
        string.IsNullOrWhiteSpace(text) ? DeployStrategy.BestScore
        : RegistryText.TryParse(text, out var s) ? s
        : throw new ArgumentException($"Unknown deploy strategy '{text}'. Use one of: {DeployStrategies.Names(DeployStrategies.AfterTraining)}.");
}

public sealed class TrainModelConsumerDefinition : ConsumerDefinition<TrainModelConsumer>
{
    public TrainModelConsumerDefinition()
    {
        // Trainings are CPU-heavy and serialised per model by a database lock: a couple at a time.
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TrainModelConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<ArgumentException>();
            r.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
        });
    }
}
