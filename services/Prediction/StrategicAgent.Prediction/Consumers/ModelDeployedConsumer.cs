using MassTransit;
using StrategicAgent.Contracts;
using StrategicAgent.Ml;
using StrategicAgent.Prediction.Data;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos;

namespace StrategicAgent.Prediction.Consumers;

/// <summary>
/// A model version was deployed: load it and swap it in. The registry is the truth (the event
/// only says "look now"), so duplicate, late or out-of-order events are harmless.
/// </summary>
public sealed partial class ModelDeployedConsumer(ModelLoader loader, DeployedModels<LoadedModel> models, ILogger<ModelDeployedConsumer> logger)
    : IConsumer<ModelDeployed>
{
    public async Task Consume(ConsumeContext<ModelDeployed> context)
    {
        var m = context.Message;
        if (!ModelNames.IsKnown(m.ModelName))
        {
            LogUnknown(logger, m.ModelName);
            return;
        }
        await loader.RefreshAsync(m.ModelName, context.CancellationToken);
        var serving = models.Find(m.ModelName);
        if (serving?.VersionId != m.VersionId)
        {
            // Either a newer deployment superseded it already, or the version failed to load.
            LogNotServing(logger, m.ModelName, m.Version, m.VersionId, serving?.Version);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ModelDeployed for unknown model {Model} ignored")]
    private static partial void LogUnknown(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ModelDeployed {Model} version {Version} (id {VersionId}) handled, but version {Serving} is serving (superseded or failed to load)")]
    private static partial void LogNotServing(ILogger logger, string model, int version, long versionId, int? serving);
}

public sealed class ModelDeployedConsumerDefinition : ConsumerDefinition<ModelDeployedConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ModelDeployedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // The registry may be briefly unreachable: retry before giving the message up.
        endpointConfigurator.UseMessageRetry(r => r.Intervals(200, 1000, 5000));
    }
}

/// <summary>Publishes AnomalyDetected for stored alerts.</summary>
public sealed class AlertPublisher(IBus bus) : IAlertPublisher
{
    public Task PublishAsync(long alertId, AnomalyAlert alert, CancellationToken ct) =>
        bus.Publish(new AnomalyDetected
        {
            AlertId = alertId,
            ClientId = alert.ClientId,
            ModelName = alert.ModelName,
            Severity = alert.Severity.ToWire(),
            Score = alert.Score,
            DetectedAt = alert.DetectedAt,
        }, ct);
}
