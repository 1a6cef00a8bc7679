using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// The PodDisruptionBudgets (deploy/50-scaling.yaml): every Deployment that runs two or more pods at its minimum (its
/// autoscaler's <c>minReplicas</c>, else <c>replicas</c>) has one budget selecting its pods that keeps at least one
/// available during a drain and still lets a drain take one pod at that minimum; a one-pod Deployment's budget, if it
/// has one, must let a drain take the pod (a budget that can never be met blocks node maintenance for good).
/// </summary>
public sealed class DisruptionTests
{
    [Fact]
    public void Every_scaled_out_deployment_keeps_a_pod_through_a_drain_and_no_budget_blocks_one()
    {
        var findings = Check(ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects);
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void A_missing_budget_one_that_blocks_drains_or_one_that_keeps_nothing_fails()
    {
        var objects = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        IReadOnlyList<string> With(string kind, string name, Action<JsonObject>? change) => Check(ManifestSet.Changed(objects, kind, name, change));

        Assert.Contains(With("PodDisruptionBudget", "agent", null), e => e == "agent: 2 pods at its minimum, but no PodDisruptionBudget selects them");
        Assert.Contains(With("PodDisruptionBudget", "gateway", p => p["spec"]!["minAvailable"] = 2),
            e => e.StartsWith("gateway: PodDisruptionBudget 'gateway' lets a drain take 0 of its 2 pods", StringComparison.Ordinal));
        Assert.Contains(With("PodDisruptionBudget", "prediction", p => p["spec"]!["minAvailable"] = "100%"),
            e => e.StartsWith("prediction: PodDisruptionBudget 'prediction' lets a drain take 0 of its 2 pods", StringComparison.Ordinal));
        Assert.Contains(With("PodDisruptionBudget", "ml-training", p => p["spec"]!["maxUnavailable"] = 0),
            e => e.StartsWith("ml-training: PodDisruptionBudget 'ml-training' lets a drain take 0 of its 1 pod", StringComparison.Ordinal));
        Assert.Contains(With("PodDisruptionBudget", "validation", p => p["spec"]!["minAvailable"] = 0),
            e => e.StartsWith("validation: PodDisruptionBudget 'validation' keeps 0 of its 2 pods", StringComparison.Ordinal));
        Assert.Contains(With("PodDisruptionBudget", "validation", p => p["spec"]!["selector"]!["matchLabels"]!["app.kubernetes.io/name"] = "validator"),
            e => e == "validation: 2 pods at its minimum, but no PodDisruptionBudget selects them");
    }

    private static List<string> Check(IReadOnlyList<Manifest> objects)
    {
        var findings = new List<string>();
        var budgets = objects.Where(m => m.Kind == "PodDisruptionBudget").ToList();
        foreach (var deployment in objects.Where(m => m.Kind == "Deployment"))
        {
            var hpa = objects.FirstOrDefault(m => m.Kind == "HorizontalPodAutoscaler" && (string?)m.Node["spec"]?["scaleTargetRef"]?["name"] == deployment.Name);
            var minimum = Int(hpa?.Node["spec"]?["minReplicas"] ?? deployment.Node["spec"]?["replicas"]) ?? 1;
            var labels = deployment.Node["spec"]?["template"]?["metadata"]?["labels"]?.AsObject() ?? [];
            var mine = budgets.Where(b => (b.Node["spec"]?["selector"]?["matchLabels"]?.AsObject() ?? [])
                .All(kv => labels.TryGetPropertyValue(kv.Key, out var v) && (string?)v == (string?)kv.Value)
                && b.Node["spec"]?["selector"]?["matchLabels"]?.AsObject().Count > 0).ToList();
            var pods = minimum == 1 ? "1 pod" : $"{minimum} pods";
            if (mine.Count == 0)
            {
                if (minimum >= 2)
                {
                    findings.Add($"{deployment.Name}: {pods} at its minimum, but no PodDisruptionBudget selects them");
                }
                continue;
            }
            foreach (var budget in mine)
            {
                var spec = budget.Node["spec"]!;
                var available = spec["minAvailable"] is { } min ? Count(min, minimum)
                    : minimum - Count(spec["maxUnavailable"], minimum);
                if (minimum - available < 1)
                {
                    findings.Add($"{deployment.Name}: PodDisruptionBudget '{budget.Name}' lets a drain take 0 of its {pods} (a drain would wait for ever)");
                }
                else if (minimum >= 2 && available < 1)
                {
                    findings.Add($"{deployment.Name}: PodDisruptionBudget '{budget.Name}' keeps 0 of its {pods} available during a drain");
                }
            }
        }
        return findings;
    }

    /// <summary>An int-or-percent of <paramref name="total"/> (a budget's percentages are rounded up, for both fields).</summary>
    private static int Count(JsonNode? value, int total)
    {
        var text = value?.ToString() ?? "0";
        return text.EndsWith('%')
            ? (int)Math.Ceiling(total * double.Parse(text[..^1], CultureInfo.InvariantCulture) / 100)
            : int.Parse(text, CultureInfo.InvariantCulture);
    }

    private static int? Int(JsonNode? node) => node is null ? null : int.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);
}
