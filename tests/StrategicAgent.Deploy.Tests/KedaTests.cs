using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// What deploy/keda's objects point at, which is what breaks silently when something is renamed (their fields are
/// checked against KEDA's schema by <see cref="ManifestTests"/>).
/// </summary>
public sealed class KedaTests
{
    [Fact]
    public void The_scaler_targets_ml_training_and_its_queue_with_the_messaging_secret()
    {
        var keda = ManifestSet.LoadKustomization(Path.Combine(ManifestSet.DeployDirectory, "keda")).Objects;
        var deploy = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        var scaled = keda.Single(m => m.Kind == "ScaledObject");
        var target = (string)scaled.Node["spec"]!["scaleTargetRef"]!["name"]!;
        Assert.Contains(deploy, m => m.Kind == "Deployment" && m.Name == target);
        // KEDA owns the autoscaler of its target: no second HPA in deploy/.
        Assert.DoesNotContain(deploy, m => m.Kind == "HorizontalPodAutoscaler" && (string?)m.Node["spec"]!["scaleTargetRef"]!["name"] == target);
        var trigger = scaled.Node["spec"]!["triggers"]![0]!;
        Assert.Equal("rabbitmq", (string?)trigger["type"]);
        // MassTransit's kebab-case endpoint name of the consumer: ml-training registers TrainModelConsumer through the
        // shared AddMessaging, which sets SetKebabCaseEndpointNameFormatter. Read from the sources, so a renamed
        // consumer, a consumer registered elsewhere or another formatter fails here.
        var service = Path.Combine(ManifestSet.RepoRoot, "services", "MlTraining", "StrategicAgent.MlTraining");
        var messaging = Path.Combine(ManifestSet.RepoRoot, "ServiceDefaults", "StrategicAgent.ServiceDefaults", "MessagingExtensions.cs");
        Assert.Contains("SetKebabCaseEndpointNameFormatter()", File.ReadAllText(messaging), StringComparison.Ordinal);
        Assert.Contains("AddMessaging(x => x.AddConsumer<TrainModelConsumer,", File.ReadAllText(Path.Combine(service, "Extensions", "Extensions.cs")), StringComparison.Ordinal);
        Assert.Contains("class TrainModelConsumer(", File.ReadAllText(Path.Combine(service, "Consumers", "TrainModelConsumer.cs")), StringComparison.Ordinal);
        Assert.DoesNotContain("EndpointName", File.ReadAllText(Path.Combine(service, "Consumers", "TrainModelConsumer.cs")), StringComparison.Ordinal);
        Assert.Equal(KebabCase("TrainModel"), (string?)trigger["metadata"]!["queueName"]);
        var auth = keda.Single(m => m.Kind == "TriggerAuthentication" && m.Name == (string?)trigger["authenticationRef"]!["name"]);
        var secret = (string)auth.Node["spec"]!["secretTargetRef"]![0]!["name"]!;
        Assert.Equal("sa-messaging-default-user", secret);
        Assert.Contains(deploy, m => m.Kind == "RabbitmqCluster" && secret == m.Name + "-default-user");
    }

    private static string KebabCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
