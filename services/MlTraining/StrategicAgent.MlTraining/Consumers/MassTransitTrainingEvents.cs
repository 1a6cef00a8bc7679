using MassTransit;
using StrategicAgent.Contracts;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.MlTraining.Consumers;

/// <summary>Publishes ModelTrained and ModelDeployed on the bus.</summary>
public sealed class MassTransitTrainingEvents(IPublishEndpoint publish) : ITrainingEvents
{
    public Task TrainedAsync(TrainingOutcome outcome, CancellationToken ct) => publish.Publish(new ModelTrained
    {
        RequestId = outcome.RequestId,
        ModelName = outcome.ModelName,
        Succeeded = outcome.Status == RunStatus.Succeeded && !outcome.Duplicate,
        VersionId = outcome.Version?.Id,
        Version = outcome.Version?.Version,
        FailureReason = outcome.FailureReason,
        Metrics = outcome.Version?.Metrics ?? new Dictionary<string, double>(),
    }, ct);

    public Task DeployedAsync(string modelName, DeployDecision decision, CancellationToken ct) => publish.Publish(new ModelDeployed
    {
        ModelName = modelName,
        VersionId = decision.VersionId ?? 0,
        Version = decision.Version ?? 0,
        PreviousVersionId = decision.PreviousVersionId,
        Strategy = decision.Strategy.ToText(),
        DeployedAt = decision.DeployedAt ?? DateTimeOffset.UtcNow,
    }, ct);
}
