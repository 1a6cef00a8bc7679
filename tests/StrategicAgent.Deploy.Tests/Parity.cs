using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// Parity between the AppHost's model and deploy/: every project of the AppHost has a workload
/// (Deployment, or Job for a run-to-completion project) of the same name with a container of
/// that name; every variable the AppHost gives it is set there (connection strings log in as the
/// same role, with the password from a secret; service references resolve to a Service's gRPC
/// port; endpoint ports match the container's named ports); nothing set there is unknown to the
/// AppHost, except the variables listed below with their reasons and helper variables that only
/// feed <c>$(VAR)</c> into another one.
/// </summary>
public static partial class Parity
{
    /// <summary>What the AppHost sets that a cluster does not need, by pattern, and why.</summary>
    public static readonly IReadOnlyList<(Regex Pattern, string Reason)> AppHostOnly =
    [
        (new Regex(@"^[A-Z][A-Z0-9_]*_(HOST|PORT|PASSWORD|USERNAME|URI|JDBCCONNECTIONSTRING|DATABASENAME)$"),
            "Aspire 13's per-property copies of a connection string; the services read ConnectionStrings__<name> only"),
        (new Regex(@"^[A-Z][A-Z0-9_]*_(GRPC|HTTP)$"),
            "Aspire 13's endpoint URL copies; the services resolve services__<name>__grpc__0 only"),
        (new Regex(@"^services__(.+)__http__(\d+)$"),
            "the HTTP endpoint of a callee the service calls over gRPC (services__<name>__grpc__<n> is set too): " +
            "only its health endpoint, which probes reach directly; a callee called over HTTP (the web UI's gateway) is checked"),
        (new Regex(@"^ConnectionStrings__[a-z]+_[a-z_]+$"),
            "Aspire's underscore alias of a dashed connection name (replica_reader for replica-reader)"),
        (new Regex(@"^RunInfo__"),
            "the run command's run-info.json and demo API key file on the developer's disk; a cluster has neither"),
        (new Regex(@"^DemoData__Seed$"),
            "demo data only; the cluster's migrator loads none (DemoData__Size=None)"),
    ];

    /// <summary>What a Deployment may set that the AppHost does not, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> ClusterOnly = new Dictionary<string, string>
    {
        ["DOTNET_ENVIRONMENT"] = "Production in the cluster; the AppHost runs Development",
        ["Endpoints__BindAnyAddress"] = "listen on the pod's address, not only loopback (ServiceDefaults)",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "any OTLP backend (ConfigMap sa-telemetry); the AppHost points at its dashboard at run time only",
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "the OTLP backend's protocol (ConfigMap sa-telemetry); the AppHost's dashboard takes gRPC, set at run time only",
        ["OTEL_EXPORTER_OTLP_HEADERS"] = "the OTLP backend's API key if it wants one (Secret sa-telemetry); the AppHost sets its dashboard's at run time only",
        ["OTEL_SERVICE_NAME"] = "the service's name in traces; the AppHost sets it at run time only",
        ["Replication__Subscription"] = "the Subscription resource owns the subscription on Kubernetes (deploy/README.md)",
    };

    private static readonly HashSet<string> WorkloadKinds = ["Deployment", "Job", "StatefulSet"];

    public static IReadOnlyList<string> Check(IReadOnlyDictionary<string, AppService> appHost, IReadOnlyList<Manifest> manifests)
    {
        var findings = new List<string>();
        var workloads = manifests.Where(m => WorkloadKinds.Contains(m.Kind)).ToList();
        var services = manifests.Where(m => m.Kind == "Service").ToDictionary(m => m.Name);
        foreach (var project in appHost.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var workload = workloads.FirstOrDefault(w => w.Name == project.Name);
            var container = (workload?.Node["spec"]?["template"]?["spec"]?["containers"]?.AsArray() ?? [])
                .OfType<JsonObject>().FirstOrDefault(c => (string?)c["name"] == project.Name);
            if (workload is null || container is null)
            {
                findings.Add($"{project.Name}: the AppHost runs it, but no Deployment/Job '{project.Name}' with a container '{project.Name}' is in deploy/");
                continue;
            }
            if (container["envFrom"] is not null)
            {
                findings.Add($"{project.Name}: envFrom hides which variables are set; list them under env");
            }
            var env = (container["env"]?.AsArray() ?? []).OfType<JsonObject>()
                .ToDictionary(e => (string)e["name"]!, e => e);
            string? Value(string name) => env.TryGetValue(name, out var e) ? (string?)e["value"] : null;
            var referenced = env.Values.Select(e => (string?)e["value"] ?? string.Empty)
                .SelectMany(v => VariableReference().Matches(v).Select(m => m.Groups[1].Value)).ToHashSet();

            var expected = project.Environment.Where(kv => !IsAppHostOnly(kv.Key, project.Environment)).ToList();
            foreach (var (key, appValue) in expected)
            {
                if (!env.ContainsKey(key))
                {
                    findings.Add($"{project.Name}: the AppHost sets {key}, the {workload.Kind} does not");
                    continue;
                }
                var value = Value(key) ?? string.Empty;
                if (ConnectionReference().Match(appValue) is { Success: true } connection
                    && project.ConnectionUsers.TryGetValue(connection.Groups[1].Value, out var user) && user.Length > 0)
                {
                    if (!value.Contains($"Username={user};", StringComparison.Ordinal))
                    {
                        findings.Add($"{project.Name}: {key} must log in as {user} (as under the AppHost: {appValue})");
                    }
                    var password = PasswordReference().Match(value);
                    if (!password.Success || !IsSecretRef(env, password.Groups[1].Value))
                    {
                        findings.Add($"{project.Name}: {key} must take its password from a secret as Password=$(VAR), VAR a secretKeyRef");
                    }
                }
                if (ServiceReference().Match(key) is { Success: true } reference)
                {
                    var target = reference.Groups[1].Value;
                    var url = UrlPattern().Match(value);
                    var port = services.TryGetValue(target, out var svc)
                        ? (svc.Node["spec"]?["ports"]?.AsArray() ?? []).FirstOrDefault(p => (string?)p?["name"] == reference.Groups[2].Value)
                        : null;
                    if (!url.Success || url.Groups[1].Value != target || port is null
                        || (long?)port["port"] != long.Parse(url.Groups[2].Value, CultureInfo.InvariantCulture))
                    {
                        findings.Add($"{project.Name}: {key}={value} does not reach Service '{target}' port '{reference.Groups[2].Value}'");
                    }
                }
                if (TargetPortReference().Match(appValue) is { Success: true } endpoint)
                {
                    var named = (container["ports"]?.AsArray() ?? []).FirstOrDefault(p => (string?)p?["name"] == endpoint.Groups[1].Value);
                    if (named is null || ((long?)named["containerPort"])?.ToString(CultureInfo.InvariantCulture) != value)
                    {
                        findings.Add($"{project.Name}: {key}={value} but the container's port '{endpoint.Groups[1].Value}' is {(named is null ? "missing" : (long?)named["containerPort"])}");
                    }
                }
            }
            foreach (var name in env.Keys)
            {
                if (!project.Environment.ContainsKey(name) && !ClusterOnly.ContainsKey(name) && !referenced.Contains(name))
                {
                    findings.Add($"{project.Name}: the {workload.Kind} sets {name}, which the AppHost does not give the service (add it to the AppHost, or to Parity.ClusterOnly with its reason)");
                }
            }
        }
        foreach (var workload in workloads.Where(w => !appHost.ContainsKey(w.Name)))
        {
            findings.Add($"{workload}: a workload the AppHost does not run");
        }
        return findings;
    }

    /// <summary>
    /// Whether <paramref name="key"/> is one of <see cref="AppHostOnly"/>; a callee's HTTP endpoint is one only
    /// when the service reaches that callee over gRPC.
    /// </summary>
    private static bool IsAppHostOnly(string key, IReadOnlyDictionary<string, string> environment) =>
        AppHostOnly.Any(a => a.Pattern.Match(key) is { Success: true } m
            && (!key.StartsWith("services__", StringComparison.Ordinal) || environment.ContainsKey($"services__{m.Groups[1].Value}__grpc__{m.Groups[2].Value}")));

    private static bool IsSecretRef(Dictionary<string, JsonObject> env, string variable) =>
        env.TryGetValue(variable, out var e) && e["valueFrom"]?["secretKeyRef"] is JsonObject;

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"^\{([^.}]+)\.connectionString\}$")]
    private static partial Regex ConnectionReference();

    [GeneratedRegex(@"Password=\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex PasswordReference();

    [GeneratedRegex(@"^services__(.+)__(grpc|http)__0$")]
    private static partial Regex ServiceReference();

    [GeneratedRegex(@"^https?://([a-z0-9-]+):(\d+)$")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"^\{[^.}]+\.bindings\.([^.}]+)\.targetPort\}$")]
    private static partial Regex TargetPortReference();
}
