using System.Text.Json.Nodes;
using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// Where telemetry goes is set in one place for every workload that runs one of our images (each service's Deployment,
/// the web UI's, the migrator Job): the OTLP exporter settings the ServiceDefaults' <c>UseOtlpExporter</c> reads come
/// from the optional ConfigMap <c>sa-telemetry</c> (endpoint, protocol) and the optional Secret <c>sa-telemetry</c>
/// (headers: a backend's API key is a credential), never a literal or another object, so pointing the platform at any
/// OTLP backend is one <c>kubectl create configmap</c>; and each workload names itself in <c>OTEL_SERVICE_NAME</c>.
/// </summary>
public sealed class TelemetryTests
{
    /// <summary>The one place.</summary>
    public const string Source = "sa-telemetry";

    /// <summary>
    /// What the OpenTelemetry OTLP exporter reads (ServiceDefaults turns it on when the endpoint is set), the kind of
    /// object each comes from and its key there.
    /// </summary>
    public static readonly IReadOnlyList<(string Variable, string From, string Key)> Settings =
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "configMapKeyRef", "endpoint"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "configMapKeyRef", "protocol"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "secretKeyRef", "headers"),
    ];

    private static IReadOnlyList<Manifest> Deploy() => ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;

    [Fact]
    public void Every_workload_takes_its_otlp_exporter_from_the_one_configmap_and_secret()
    {
        var objects = Deploy();
        // The check covers what it should: every service, the web UI and the migrator.
        Assert.Superset(new HashSet<string> { "migrator", "validation", "prediction", "ml-training", "agent", "gateway", "web" },
            Workloads(objects).Select(w => w.Name).ToHashSet());
        var findings = Check(objects);
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void A_workload_without_the_endpoint_or_with_its_own_fails()
    {
        var objects = Deploy();
        IReadOnlyList<string> With(string kind, string name, Action<JsonArray> edit) =>
            Check(ManifestSet.Changed(objects, kind, name, w => edit(w["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray())));
        static JsonObject Var(JsonArray env, string name) => env.OfType<JsonObject>().Single(e => (string?)e["name"] == name);

        Assert.Contains(With("Deployment", "agent", env => env.Remove(Var(env, "OTEL_EXPORTER_OTLP_ENDPOINT"))),
            f => f == "agent: OTEL_EXPORTER_OTLP_ENDPOINT is not set (from configMapKeyRef sa-telemetry/endpoint)");
        Assert.Contains(With("Deployment", "web", env => env.Remove(Var(env, "OTEL_EXPORTER_OTLP_HEADERS"))),
            f => f == "web: OTEL_EXPORTER_OTLP_HEADERS is not set (from secretKeyRef sa-telemetry/headers)");
        Assert.Contains(With("Job", "migrator", env => env.Remove(Var(env, "OTEL_EXPORTER_OTLP_PROTOCOL"))),
            f => f == "migrator: OTEL_EXPORTER_OTLP_PROTOCOL is not set (from configMapKeyRef sa-telemetry/protocol)");
        Assert.Contains(With("Deployment", "gateway", env => env[env.IndexOf(Var(env, "OTEL_EXPORTER_OTLP_ENDPOINT"))] =
                new JsonObject { ["name"] = "OTEL_EXPORTER_OTLP_ENDPOINT", ["value"] = "http://jaeger:4317" }),
            f => f.StartsWith("gateway: OTEL_EXPORTER_OTLP_ENDPOINT must come from configMapKeyRef sa-telemetry/endpoint", StringComparison.Ordinal));
        Assert.Contains(With("Deployment", "prediction", env => Var(env, "OTEL_EXPORTER_OTLP_ENDPOINT")["valueFrom"]!["configMapKeyRef"]!["name"] = "prediction-telemetry"),
            f => f.StartsWith("prediction: OTEL_EXPORTER_OTLP_ENDPOINT must come from configMapKeyRef sa-telemetry/endpoint", StringComparison.Ordinal));
        Assert.Contains(With("Deployment", "validation", env => Var(env, "OTEL_EXPORTER_OTLP_HEADERS")["valueFrom"] =
                JsonNode.Parse("""{ "configMapKeyRef": { "name": "sa-telemetry", "key": "headers", "optional": true } }""")),
            f => f.StartsWith("validation: OTEL_EXPORTER_OTLP_HEADERS must come from secretKeyRef sa-telemetry/headers", StringComparison.Ordinal));
        Assert.Contains(With("Deployment", "ml-training", env => Var(env, "OTEL_EXPORTER_OTLP_ENDPOINT")["valueFrom"]!["configMapKeyRef"]!["optional"] = false),
            f => f == "ml-training: OTEL_EXPORTER_OTLP_ENDPOINT must be optional (a cluster without a backend still starts)");
        Assert.Contains(With("Deployment", "agent", env => Var(env, "OTEL_SERVICE_NAME")["value"] = "gateway"),
            f => f == "agent: OTEL_SERVICE_NAME is 'gateway', not the workload's name");
    }

    /// <summary>Deployments and Jobs whose containers run one of this repository's images.</summary>
    private static IEnumerable<Manifest> Workloads(IReadOnlyList<Manifest> objects) =>
        objects.Where(m => m.Kind is "Deployment" or "Job" && Containers(m).Any(c => ((string?)c["image"] ?? "").StartsWith("strategicagent/", StringComparison.Ordinal)));

    private static IEnumerable<JsonObject> Containers(Manifest m) =>
        (m.Node["spec"]?["template"]?["spec"]?["containers"]?.AsArray() ?? []).OfType<JsonObject>();

    private static List<string> Check(IReadOnlyList<Manifest> objects)
    {
        var findings = new List<string>();
        foreach (var workload in Workloads(objects))
        {
            foreach (var container in Containers(workload).Where(c => ((string?)c["image"] ?? "").StartsWith("strategicagent/", StringComparison.Ordinal)))
            {
                var env = (container["env"]?.AsArray() ?? []).OfType<JsonObject>().ToDictionary(e => (string)e["name"]!);
                foreach (var (variable, from, key) in Settings)
                {
                    if (!env.TryGetValue(variable, out var entry))
                    {
                        findings.Add($"{workload.Name}: {variable} is not set (from {from} {Source}/{key})");
                        continue;
                    }
                    var reference = entry["valueFrom"]?[from];
                    if (entry["value"] is not null || reference is null || (string?)reference["name"] != Source || (string?)reference["key"] != key)
                    {
                        findings.Add($"{workload.Name}: {variable} must come from {from} {Source}/{key}, not {entry.ToJsonString()}");
                    }
                    else if ((bool?)reference["optional"] != true)
                    {
                        findings.Add($"{workload.Name}: {variable} must be optional (a cluster without a backend still starts)");
                    }
                }
                var serviceName = env.TryGetValue("OTEL_SERVICE_NAME", out var named) ? (string?)named["value"] : null;
                if (serviceName != workload.Name)
                {
                    findings.Add($"{workload.Name}: OTEL_SERVICE_NAME is '{serviceName}', not the workload's name");
                }
            }
        }
        return findings;
    }
}
