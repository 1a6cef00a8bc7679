using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// Each workload's memory request and limit against its measured peak RSS (deploy/README.md, "Resources"): the
/// request is at least 1.2 × the peak (the scheduler places the pod where its working set fits, with room for the
/// GC's swings), the limit at least 2 × the peak (a pod is OOM-killed only well beyond anything measured).
/// </summary>
public sealed class MemoryTests
{
    private const double RequestFactor = 1.2, LimitFactor = 2.0;

    /// <summary>
    /// Peak RSS in MiB, the highest figure deploy/README.md's "Resources" cites for each workload: each process sampled
    /// from <c>/proc</c> under <c>./run.sh</c> on <c>medium</c> with asks and predictions (2026-12-06, commit 369d960:
    /// agent, gateway, validation and prediction, the higher of the sampled peak and the process's VmHWM),
    /// <c>./bench.sh training --size large</c> (ml-training, 830 MB), <c>./bench.sh ui</c> (web, 21 signed-in circuits).
    /// </summary>
    private static readonly Dictionary<string, double> PeakMiB = new()
    {
        ["agent"] = 602,
        ["gateway"] = 230,
        ["validation"] = 221,
        ["prediction"] = 510,
        ["ml-training"] = 792,
        ["web"] = 237,
        ["migrator"] = 143,
    };

    [Fact]
    public void Every_memory_request_and_limit_covers_the_measured_peak()
    {
        var objects = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        Assert.Empty(Check(objects));
        Assert.All(PeakMiB.Keys, w => Assert.Contains(objects, m => m.Kind is "Deployment" or "Job" && m.Name == w));
    }

    [Fact]
    public void A_request_or_limit_below_the_measured_peak_or_an_unmeasured_workload_fails()
    {
        var objects = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        IReadOnlyList<string> With(string kind, string name, Action<JsonObject> change) => Check(ManifestSet.Changed(objects, kind, name, change));

        // The agent's request before the sentence-embedding model was counted (384Mi): below 1.2 × its peak.
        Assert.Contains(With("Deployment", "agent", d => Resources(d)["requests"]!["memory"] = "384Mi"),
            e => e.StartsWith("agent: memory request 384Mi", StringComparison.Ordinal));
        // A limit under twice the peak, in another unit.
        Assert.Contains(With("Deployment", "gateway", d => Resources(d)["limits"]!["memory"] = "0.25Gi"),
            e => e.StartsWith("gateway: memory limit 0.25Gi", StringComparison.Ordinal));
        Assert.Contains(With("Job", "migrator", d => Resources(d)["limits"]!["memory"] = "200M"),
            e => e.StartsWith("migrator: memory limit 200M", StringComparison.Ordinal));
        // A workload nobody measured.
        Assert.Contains(With("Deployment", "web", d => d["metadata"]!["name"] = "reports"),
            e => e.StartsWith("reports:", StringComparison.Ordinal) && e.Contains("no measured peak", StringComparison.Ordinal));
    }

    private static List<string> Check(IReadOnlyList<Manifest> objects)
    {
        var failures = new List<string>();
        foreach (var workload in objects.Where(m => m.Kind is "Deployment" or "Job"))
        {
            if (!PeakMiB.TryGetValue(workload.Name, out var peak))
            {
                failures.Add($"{workload.Name}: no measured peak RSS (measure it: deploy/README.md, \"Resources\"; add it here)");
                continue;
            }
            var resources = Resources(workload.Node);
            foreach (var (kind, factor) in new[] { ("request", RequestFactor), ("limit", LimitFactor) })
            {
                var quantity = (string?)resources[kind + "s"]?["memory"];
                if (quantity is null || MiB(quantity) < factor * peak)
                {
                    failures.Add($"{workload.Name}: memory {kind} {quantity ?? "(none)"} is below {factor} × the measured peak {peak} MiB = {factor * peak:0} MiB");
                }
            }
        }
        return failures;
    }

    private static JsonObject Resources(JsonObject workload) =>
        (JsonObject)workload["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!;

    /// <summary>A Kubernetes memory quantity in MiB (binary and decimal suffixes, or plain bytes).</summary>
    private static double MiB(string quantity)
    {
        (string Suffix, double Bytes)[] units = [("Ki", 1024), ("Mi", 1 << 20), ("Gi", 1 << 30), ("k", 1e3), ("M", 1e6), ("G", 1e9)];
        foreach (var (suffix, bytes) in units)
        {
            if (quantity.EndsWith(suffix, StringComparison.Ordinal))
            {
                return double.Parse(quantity[..^suffix.Length], CultureInfo.InvariantCulture) * bytes / (1 << 20);
            }
        }
        return double.Parse(quantity, CultureInfo.InvariantCulture) / (1 << 20);
    }
}
