using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace StrategicAgent.Deploy.Tests;

/// <summary>A security finding: the object, the rule it breaks, and what is wrong.</summary>
public sealed record Finding(string Resource, string Rule, string Message)
{
    public override string ToString() => $"{Resource}: [{Rule}] {Message}";
}

/// <summary>
/// The security rules for every workload of deploy/ (Deployment, StatefulSet, DaemonSet, Job,
/// CronJob) and for plain secrets anywhere. A workload may be excused from one rule by the
/// annotation <c>security.strategicagent.io/allow-&lt;rule&gt;: "&lt;reason&gt;"</c>; an excuse
/// without a reason, for an unknown rule, or for a rule the workload does not break is itself a
/// finding, so excuses cannot pile up unnoticed.
/// </summary>
public static partial class SecurityRules
{
    public const string ExceptionPrefix = "security.strategicagent.io/allow-";

    public const string NonRoot = "run-as-non-root";
    public const string ReadOnlyRoot = "read-only-root-filesystem";
    public const string NoEscalation = "no-privilege-escalation";
    public const string DropCapabilities = "drop-all-capabilities";
    public const string Seccomp = "seccomp-runtime-default";
    public const string Resources = "requests-and-limits";
    public const string Probes = "probes";
    public const string PinnedImage = "pinned-image";
    public const string NoPlainSecrets = "no-plain-secrets";
    public const string HostAccess = "no-host-access";

    public static readonly IReadOnlySet<string> All = new HashSet<string>
    {
        NonRoot, ReadOnlyRoot, NoEscalation, DropCapabilities, Seccomp, Resources, Probes, PinnedImage, NoPlainSecrets, HostAccess,
    };

    private static readonly HashSet<string> Workloads = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];
    private static readonly HashSet<string> LongRunning = ["Deployment", "StatefulSet", "DaemonSet"];

    /// <summary>Every unexplained finding and every bad excuse in <paramref name="manifests"/>.</summary>
    public static IReadOnlyList<Finding> Check(IEnumerable<Manifest> manifests)
    {
        var result = new List<Finding>();
        foreach (var manifest in manifests)
        {
            var raw = Raw(manifest).ToList();
            var excuses = (manifest.Node["metadata"]?["annotations"] as JsonObject ?? [])
                .Where(kv => kv.Key.StartsWith(ExceptionPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[ExceptionPrefix.Length..], kv => (string?)kv.Value ?? string.Empty);
            foreach (var (rule, reason) in excuses)
            {
                if (!All.Contains(rule))
                {
                    result.Add(new Finding(manifest.ToString(), rule, $"an exception for an unknown rule (known: {string.Join(", ", All.Order(StringComparer.Ordinal))})"));
                }
                else if (reason.Trim().Length < 10)
                {
                    result.Add(new Finding(manifest.ToString(), rule, "an exception needs its reason as the annotation's value"));
                }
                else if (raw.All(f => f.Rule != rule))
                {
                    result.Add(new Finding(manifest.ToString(), rule, "an exception for a rule the object does not break: remove the annotation"));
                }
            }
            result.AddRange(raw.Where(f => !excuses.ContainsKey(f.Rule)));
        }
        return result;
    }

    /// <summary>The rules an object breaks, before exceptions.</summary>
    private static IEnumerable<Finding> Raw(Manifest m)
    {
        Finding F(string rule, string message) => new(m.ToString(), rule, message);

        if (m.Kind is "Secret" && (m.Node["data"] is JsonObject { Count: > 0 } || m.Node["stringData"] is JsonObject { Count: > 0 }))
        {
            yield return F(NoPlainSecrets, "a Secret with values in the repository; create it in the cluster (README) and reference it");
        }
        if (m.Kind is "ConfigMap")
        {
            foreach (var (key, value) in m.Node["data"] as JsonObject ?? [])
            {
                if (LooksSecret(key, (string?)value))
                {
                    yield return F(NoPlainSecrets, $"ConfigMap key '{key}' holds a secret value");
                }
            }
        }
        if (!Workloads.Contains(m.Kind))
        {
            yield break;
        }
        var pod = m.Kind == "CronJob" ? m.Node["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"] : m.Node["spec"]?["template"]?["spec"];
        if (pod is not JsonObject podSpec)
        {
            yield return F(Resources, "no pod template");
            yield break;
        }
        var podSecurity = podSpec["securityContext"];
        if ((bool?)podSpec["hostNetwork"] == true || (bool?)podSpec["hostPID"] == true || (bool?)podSpec["hostIPC"] == true
            || (podSpec["volumes"]?.AsArray() ?? []).Any(v => v?["hostPath"] is not null))
        {
            yield return F(HostAccess, "host network, PID, IPC or a hostPath volume");
        }
        var containers = (podSpec["containers"]?.AsArray() ?? []).Concat(podSpec["initContainers"]?.AsArray() ?? []).OfType<JsonObject>();
        foreach (var c in containers)
        {
            var name = (string?)c["name"] ?? "?";
            var sc = c["securityContext"];
            var nonRoot = (bool?)sc?["runAsNonRoot"] ?? (bool?)podSecurity?["runAsNonRoot"];
            var user = (long?)sc?["runAsUser"] ?? (long?)podSecurity?["runAsUser"];
            if (nonRoot != true || user == 0)
            {
                yield return F(NonRoot, $"container '{name}': runAsNonRoot is not true (or runAsUser is 0)");
            }
            if ((bool?)sc?["readOnlyRootFilesystem"] != true)
            {
                yield return F(ReadOnlyRoot, $"container '{name}': readOnlyRootFilesystem is not true");
            }
            if ((bool?)sc?["allowPrivilegeEscalation"] != false || (bool?)sc?["privileged"] == true)
            {
                yield return F(NoEscalation, $"container '{name}': allowPrivilegeEscalation is not false (or privileged)");
            }
            var drop = (sc?["capabilities"]?["drop"]?.AsArray() ?? []).Select(x => (string?)x).ToList();
            if (!drop.Contains("ALL") || sc?["capabilities"]?["add"] is JsonArray { Count: > 0 })
            {
                yield return F(DropCapabilities, $"container '{name}': capabilities.drop lacks ALL (or capabilities are added)");
            }
            var seccomp = (string?)sc?["seccompProfile"]?["type"] ?? (string?)podSecurity?["seccompProfile"]?["type"];
            if (seccomp is not ("RuntimeDefault" or "Localhost"))
            {
                yield return F(Seccomp, $"container '{name}': seccompProfile is not RuntimeDefault");
            }
            var resources = c["resources"];
            var missing = new[] { "requests.cpu", "requests.memory", "limits.cpu", "limits.memory" }
                .Where(path => resources?[path.Split('.')[0]]?[path.Split('.')[1]] is null).ToList();
            if (missing.Count > 0)
            {
                yield return F(Resources, $"container '{name}': no {string.Join(", ", missing)}");
            }
            if (LongRunning.Contains(m.Kind) && (c["readinessProbe"] is null || c["livenessProbe"] is null))
            {
                yield return F(Probes, $"container '{name}': a long-running container needs readinessProbe and livenessProbe");
            }
            var image = (string?)c["image"] ?? string.Empty;
            if (!PinnedImagePattern().IsMatch(image))
            {
                yield return F(PinnedImage, $"container '{name}': image '{image}' has no tag or digest, or uses 'latest'");
            }
            foreach (var env in c["env"]?.AsArray() ?? [])
            {
                if (env?["value"] is JsonValue value && LooksSecret((string?)env["name"] ?? string.Empty, value.ToString()))
                {
                    yield return F(NoPlainSecrets, $"container '{name}': env {(string?)env["name"]} holds a literal secret; use valueFrom.secretKeyRef and $(VAR)");
                }
            }
        }
    }

    /// <summary>A literal secret: a password/token/key variable with a literal value, or a connection string with a literal password.</summary>
    private static bool LooksSecret(string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }
        if (SecretName().IsMatch(name) && !value.StartsWith("$(", StringComparison.Ordinal))
        {
            return true;
        }
        return LiteralPassword().Matches(value)
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)
            .Any(password => !password.StartsWith("$(", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^[^\s:@]+(:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$")]
    private static partial Regex PinnedImagePattern();

    [GeneratedRegex(@"(PASSWORD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    // Password=... in a key=value connection string, or user:password@ in a URI.
    [GeneratedRegex(@"Password=([^;\s]+)|://[^:/@\s]+:([^@\s/]+)@", RegexOptions.IgnoreCase)]
    private static partial Regex LiteralPassword();
}
