using System.Text.Json.Nodes;
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

    /// <summary>
    /// KEDA's defaults are in its operator's code, not in its CRD (kedacore/keda <c>apis/keda/v1alpha1</c>: an unset or 0
    /// <c>minReplicaCount</c> gives the HPA 1, an unset <c>maxReplicaCount</c> 100; the controller polls every 30 s and
    /// cools down for 300 s), so the schema check cannot see what an unset field means: deploy/keda sets each one, and
    /// the values agree with the capacity model (docs/deploy.md: 1–2 trainers at 1,000 tenants; a model on
    /// <c>large</c> trains for minutes).
    /// </summary>
    [Fact]
    public void The_scaler_sets_every_bound_keda_would_otherwise_default()
    {
        var spec = ScaledObject()["spec"]!;
        foreach (var field in new[] { "pollingInterval", "cooldownPeriod", "minReplicaCount", "maxReplicaCount" })
        {
            Assert.True(spec[field] is not null, $"spec.{field} is not set: KEDA's default applies");
        }
        var (polling, cooldown, min, max) = (Int(spec["pollingInterval"]!), Int(spec["cooldownPeriod"]!), Int(spec["minReplicaCount"]!), Int(spec["maxReplicaCount"]!));
        // One trainer at rest (the PodDisruptionBudget's maxUnavailable 1 assumes one), a few under a queue, never KEDA's 100.
        Assert.Equal(1, min);
        Assert.InRange(max, 2, 10);
        Assert.InRange(polling, 5, 60);
        // Extra trainers stay at least KEDA's default cooldown, and longer than a poll.
        Assert.True(cooldown >= 300 && cooldown > polling, $"cooldownPeriod {cooldown}");
    }

    /// <summary>
    /// What KEDA's admission webhook refuses (kedacore/keda <c>CheckReplicaCountBoundsAreValid</c>,
    /// <c>CheckFallbackValid</c>), mirrored here because neither the CRD nor its (absent) CEL rules say it: the scaler
    /// passes, and each rule fails on a broken copy.
    /// </summary>
    [Fact]
    public void The_scaler_passes_keda_s_admission_rules_and_each_rule_can_fail()
    {
        Assert.Empty(KedaAdmission(ScaledObject()));
        IReadOnlyList<string> Broken(Action<JsonNode> change)
        {
            var copy = ScaledObject().DeepClone();
            change(copy);
            return KedaAdmission(copy);
        }
        Assert.Contains(Broken(s => s["spec"]!["minReplicaCount"] = 7), e => e.Contains("MinReplicaCount=7 must be less than MaxReplicaCount=6", StringComparison.Ordinal));
        // Without maxReplicaCount KEDA admits the scaler with its default of 100 trainers: what the test above is for.
        Assert.Empty(Broken(s => s["spec"]!.AsObject().Remove("maxReplicaCount")));
        Assert.Contains(Broken(s => s["spec"]!["idleReplicaCount"] = 1), e => e.Contains("IdleReplicaCount=1 must be less than MinReplicaCount=1", StringComparison.Ordinal));
        Assert.Contains(Broken(s => s["spec"]!["fallback"] = new JsonObject { ["failureThreshold"] = -1, ["replicas"] = 2 }), e => e.Contains("FailureThreshold=-1", StringComparison.Ordinal));
        // The queue-length trigger has no metricType: KEDA's fallback needs AverageValue.
        Assert.Contains(Broken(s => s["spec"]!["fallback"] = new JsonObject { ["failureThreshold"] = 3, ["replicas"] = 2 }), e => e.Contains("AverageValue", StringComparison.Ordinal));
        Assert.Contains(Broken(s =>
        {
            s["spec"]!["fallback"] = new JsonObject { ["failureThreshold"] = 3, ["replicas"] = 2 };
            s["spec"]!["triggers"]![0]!["type"] = "cpu";
        }), e => e.Contains("CPU & memory", StringComparison.Ordinal));
        Assert.Empty(Broken(s =>
        {
            s["spec"]!["fallback"] = new JsonObject { ["failureThreshold"] = 3, ["replicas"] = 2 };
            s["spec"]!["triggers"]![0]!["metricType"] = "AverageValue";
        }));
    }

    /// <summary>
    /// The vendored KEDA CRDs carry no CEL rules (<c>x-kubernetes-validations</c>) and no defaults — KEDA's published CRDs
    /// have none for these kinds either: its rules are the admission webhook's and its defaults the operator's (the two
    /// tests above). Should a regenerated CRD bring some, this fails, so they get checked instead of silently skipped.
    /// </summary>
    [Fact]
    public void The_vendored_keda_crds_hold_no_cel_rules_or_defaults_left_unchecked()
    {
        var crds = Directory.GetFiles(Path.Combine(ManifestSet.DeployDirectory, "crds"), "keda.sh_*.yaml");
        Assert.Equal(4, crds.Length);
        foreach (var crd in crds)
        {
            var text = File.ReadAllText(crd);
            Assert.DoesNotContain("x-kubernetes-validations", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex(@"^\s*default:", System.Text.RegularExpressions.RegexOptions.Multiline), text);
        }
    }

    private static JsonNode ScaledObject() =>
        ManifestSet.LoadKustomization(Path.Combine(ManifestSet.DeployDirectory, "keda")).Objects.Single(m => m.Kind == "ScaledObject").Node.DeepClone();

    /// <summary>KEDA's admission checks of a ScaledObject's replica bounds and fallback, as its webhook words them.</summary>
    private static List<string> KedaAdmission(JsonNode scaledObject)
    {
        var spec = scaledObject["spec"]!;
        var errors = new List<string>();
        // GetHPAMinReplicas: a set minReplicaCount of 0 still gives the HPA 1; unset counts as 0 here.
        var min = spec["minReplicaCount"] is { } m ? Math.Max(1, Int(m)) : 0;
        var max = spec["maxReplicaCount"] is { } x ? Int(x) : 100;
        if (min > max)
        {
            errors.Add($"MinReplicaCount={min} must be less than MaxReplicaCount={max}");
        }
        if (spec["idleReplicaCount"] is { } idle && Int(idle) >= min)
        {
            errors.Add($"IdleReplicaCount={Int(idle)} must be less than MinReplicaCount={min}");
        }
        if (spec["fallback"] is { } fallback)
        {
            var (threshold, replicas) = (Int(fallback["failureThreshold"]!), Int(fallback["replicas"]!));
            if (threshold < 0 || replicas < 0)
            {
                errors.Add($"FailureThreshold={threshold} & Replicas={replicas} must both be greater than or equal to 0");
            }
            foreach (var trigger in spec["triggers"]!.AsArray())
            {
                var type = (string?)trigger!["type"];
                if (type is "cpu" or "memory")
                {
                    errors.Add($"type is {type}, but fallback it is not supported by the CPU & memory scalers");
                }
                else if ((string?)trigger["metricType"] != "AverageValue")
                {
                    errors.Add($"MetricType={(string?)trigger["metricType"]}, but Fallback can only be enabled for triggers with metric of type AverageValue");
                }
            }
        }
        return errors;
    }

    private static string KebabCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>A YAML number as read (Int64) or as a test set it (Int32).</summary>
    private static int Int(JsonNode? node) => int.Parse(node!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
}
