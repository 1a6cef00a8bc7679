using MassTransit;
using Microsoft.Extensions.Options;
using StrategicAgent.Contracts;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.MlTraining.Consumers;

/// <summary>Sends TrainModel on the bus (published, as the retraining scheduler does; the consumer's queue receives it).</summary>
public sealed class MassTransitTrainingCommands(IPublishEndpoint publish, IOptions<TrainingOptions> options) : ITrainingCommands
{
    public async Task QueueAsync(TrainingRequest request, CancellationToken ct)
    {
        // A broker that is down would otherwise hold the caller until MassTransit gives up reconnecting.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.QueueTimeout);
        await publish.Publish(new TrainModel
        {
            RequestId = request.RequestId,
            ModelName = request.ModelName,
            DeployStrategy = request.DeployStrategy.ToText(),
            Hyperparameters = new Dictionary<string, string>(request.Hyperparameters),
            RequestedBy = request.RequestedBy,
        }, timeout.Token);
    }
}
