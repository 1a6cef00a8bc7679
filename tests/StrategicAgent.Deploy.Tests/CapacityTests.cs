using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// The autoscalers' maxima against the capacity model (docs/deploy.md, "Autoscaler maxima"): each maximum serves the
/// 1,000-tenant peak at the autoscaler's CPU target, recomputed from the manifests (each Deployment's CPU request,
/// each autoscaler's target and maximum) with the CPU per operation measured under <c>./run.sh</c> on <c>medium</c>
/// (deploy/README.md, "Resources"); and the tenant readers' connections at those maxima fit the pooler.
/// </summary>
public sealed class CapacityTests
{
    /// <summary>The 1,000-tenant peak: 0.1 asks/s and 5 prediction calls/s per tenant (docs/deploy.md, "Assumed").</summary>
    private const double AsksPerSecond = 100, PredictionCallsPerSecond = 5_000;

    /// <summary>CPU cores each service needs at that peak (upper figure of each measured range).</summary>
    private static readonly Dictionary<string, double> PeakCores = new()
    {
        ["gateway"] = AsksPerSecond * 2.7e-3 + PredictionCallsPerSecond * 0.43e-3,
        ["prediction"] = PredictionCallsPerSecond * 0.97e-3,
        ["agent"] = AsksPerSecond * 6.3e-3,
        ["validation"] = AsksPerSecond * 5.2e-3,
    };

    /// <summary>The maxima the model sets exactly (the others keep headroom above what the peak needs: docs/deploy.md).</summary>
    private static readonly HashSet<string> SetByTheModel = ["gateway", "prediction"];

    /// <summary>Services whose tenant reads go through the PgBouncer pooler, each pod with an Npgsql pool of 100.</summary>
    private static readonly string[] Readers = ["agent", "validation", "prediction"];

    private const int NpgsqlMaxPoolSize = 100;

    [Fact]
    public void Every_autoscaler_maximum_serves_the_1000_tenant_peak_at_its_target()
    {
        var objects = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        Assert.Empty(Check(objects));
        Assert.All(PeakCores.Keys, s => Assert.Contains(objects, m => m.Kind == "HorizontalPodAutoscaler" && Target(m) == s));
    }

    [Fact]
    public void A_lowered_maximum_a_raised_request_or_too_many_readers_fails()
    {
        var objects = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        IReadOnlyList<string> With(string kind, string name, Action<JsonObject> change) => Check(ManifestSet.Changed(objects, kind, name, change));

        // The maxima before the model set them (gateway 10, prediction 8): below what the peak needs.
        Assert.Contains(With("HorizontalPodAutoscaler", "gateway", h => h["spec"]!["maxReplicas"] = 10),
            e => e.Contains("gateway", StringComparison.Ordinal) && e.Contains("needs 14", StringComparison.Ordinal));
        Assert.Contains(With("HorizontalPodAutoscaler", "prediction", h => h["spec"]!["maxReplicas"] = 8),
            e => e.Contains("prediction", StringComparison.Ordinal) && e.Contains("needs 14", StringComparison.Ordinal));
        // A raised request (or target) makes the model's maximum smaller: the manifest no longer agrees with it.
        Assert.Contains(With("Deployment", "gateway", d => Container(d)["resources"]!["requests"]!["cpu"] = "500m"),
            e => e.Contains("gateway", StringComparison.Ordinal) && e.Contains("needs 7", StringComparison.Ordinal));
        Assert.Contains(With("HorizontalPodAutoscaler", "agent", h => h["spec"]!["metrics"]![0]!["resource"]!["target"]!["averageUtilization"] = 10),
            e => e.Contains("agent", StringComparison.Ordinal) && e.Contains("needs 26", StringComparison.Ordinal));
        // More reader pods than the pooler takes connections for.
        Assert.Contains(With("HorizontalPodAutoscaler", "validation", h => h["spec"]!["maxReplicas"] = 30),
            e => e.Contains("max_client_conn", StringComparison.Ordinal));
    }

    private static List<string> Check(IReadOnlyList<Manifest> objects)
    {
        var failures = new List<string>();
        var maxima = new Dictionary<string, int>();
        foreach (var hpa in objects.Where(m => m.Kind == "HorizontalPodAutoscaler"))
        {
            var service = Target(hpa);
            var deployment = objects.Single(m => m.Kind == "Deployment" && m.Name == service);
            var request = Cores((string)Container(deployment.Node)["resources"]!["requests"]!["cpu"]!);
            var target = Int(hpa.Node["spec"]!["metrics"]![0]!["resource"]!["target"]!["averageUtilization"]!) / 100.0;
            var max = Int(hpa.Node["spec"]!["maxReplicas"]!);
            maxima[service] = max;
            if (!PeakCores.TryGetValue(service, out var cores))
            {
                failures.Add($"{service}: an autoscaler the capacity model has no figure for (add it to docs/deploy.md and here)");
                continue;
            }
            var needs = (int)Math.Ceiling(cores / (request * target) - 1e-9);
            if (max < needs || (SetByTheModel.Contains(service) && max != needs))
            {
                failures.Add($"{service}: maxReplicas {max}, the 1,000-tenant peak needs {needs} " +
                    $"({cores:0.00} cores ÷ ({request:0.###} × {target:0.##}))");
            }
        }
        var poolerMax = int.Parse((string)objects.Single(m => m.Kind == "Pooler").Node["spec"]!["pgbouncer"]!["parameters"]!["max_client_conn"]!, CultureInfo.InvariantCulture);
        var readers = Readers.Sum(r => maxima.GetValueOrDefault(r)) * NpgsqlMaxPoolSize;
        if (readers > poolerMax)
        {
            failures.Add($"the readers may open {readers} connections at their maxima, the pooler's max_client_conn is {poolerMax}");
        }
        return failures;
    }

    private static string Target(Manifest hpa) => (string)hpa.Node["spec"]!["scaleTargetRef"]!["name"]!;

    private static JsonObject Container(JsonObject deployment) =>
        (JsonObject)deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;

    private static double Cores(string quantity) => quantity.EndsWith('m')
        ? double.Parse(quantity[..^1], CultureInfo.InvariantCulture) / 1000
        : double.Parse(quantity, CultureInfo.InvariantCulture);

    /// <summary>A YAML number as read (Int64) or as a test set it (Int32).</summary>
    private static int Int(JsonNode? node) => int.Parse(node!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
}
