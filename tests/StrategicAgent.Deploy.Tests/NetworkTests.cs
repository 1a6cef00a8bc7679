using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// The NetworkPolicies against who calls whom (deploy/README.md, "Pods and network"): ingress is denied by default;
/// each service, database, pooler and broker lets in exactly the workloads whose environment connects to it (a
/// service reference <c>http://name:port</c>, a connection string's <c>Host=</c> or AMQP host — the same environment
/// <see cref="ParityTests"/> holds to the AppHost's model), no other workload; only the workloads an Ingress routes to
/// are reachable from the ingress controller's namespace.
/// </summary>
public sealed partial class NetworkTests
{
    private const string NameLabel = "app.kubernetes.io/name";

    [Fact]
    public void Each_policy_lets_in_exactly_the_workloads_that_connect()
    {
        var objects = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        var findings = Check(objects);
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void A_missing_or_extra_caller_a_reachable_service_or_no_default_deny_fails()
    {
        var objects = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;
        IReadOnlyList<string> With(string name, Action<JsonObject> change) => Check(ManifestSet.Changed(objects, "NetworkPolicy", name, change));
        static JsonArray From(JsonObject policy) => policy["spec"]!["ingress"]![0]!["from"]!.AsArray();
        static JsonObject Pod(string name) => new() { ["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { [NameLabel] = name } } };

        // The agent calls validation: without it in validation's policy, asks fail.
        Assert.Contains(With("validation", p => From(p).RemoveAt(1)),
            e => e == "validation: agent connects to it, its NetworkPolicy does not let it in");
        // ml-training never calls the agent; nothing inside the namespace calls the web UI.
        Assert.Contains(With("web", p => From(p).Add(Pod("agent"))),
            e => e == "web: its NetworkPolicy lets in agent, which does not connect to it");
        Assert.Contains(With("agent", p => From(p).Add(Pod("ml-training"))),
            e => e == "agent: its NetworkPolicy lets in ml-training, which does not connect to it");
        // A database reachable by a workload that has no login on it.
        Assert.Contains(With("sa-primary", p => From(p).Add(Pod("validation"))),
            e => e == "sa-primary: its NetworkPolicy lets in validation, which does not connect to it");
        // An internal service reachable from the ingress controller.
        Assert.Contains(With("prediction", p => From(p).Add(new JsonObject { ["namespaceSelector"] = new JsonObject() })),
            e => e.StartsWith("prediction: reachable from other namespaces", StringComparison.Ordinal));
        // Without the default deny, every pod without a policy is open.
        Assert.Contains(With("default-deny-ingress", p => p["spec"]!["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { [NameLabel] = "web" } }),
            e => e.StartsWith("no default-deny", StringComparison.Ordinal));
    }

    private static List<string> Check(IReadOnlyList<Manifest> objects)
    {
        var findings = new List<string>();
        var policies = objects.Where(m => m.Kind == "NetworkPolicy").ToList();
        if (!policies.Any(p => p.Node["spec"]?["podSelector"] is JsonObject s && s.Count == 0 && p.Node["spec"]?["ingress"] is null
                && (p.Node["spec"]?["policyTypes"]?.AsArray().Any(t => (string?)t == "Ingress") ?? false)))
        {
            findings.Add("no default-deny NetworkPolicy (podSelector {} with policyType Ingress and no rule)");
        }

        // Where each host name leads: an app Service to its selector, an operator's service to its cluster's pods.
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in objects)
        {
            var selected = (string?)m.Node["spec"]?["selector"]?[NameLabel];
            if (m.Kind == "Service" && selected is not null)
            {
                targets[m.Name] = Key(NameLabel, selected);
            }
            else if (m.Kind == "Cluster" && m.Group == "postgresql.cnpg.io")
            {
                targets[m.Name + "-rw"] = targets[m.Name + "-ro"] = targets[m.Name + "-r"] = Key("cnpg.io/cluster", m.Name);
            }
            else if (m.Kind == "Pooler")
            {
                targets[m.Name] = Key("cnpg.io/poolerName", m.Name);
            }
            else if (m.Kind == "RabbitmqCluster")
            {
                targets[m.Name] = Key(NameLabel, m.Name);
            }
        }

        // Who connects to what, from each workload's environment.
        var workloads = objects.Where(m => m.Kind is "Deployment" or "Job" or "StatefulSet").ToList();
        var callers = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            var env = (workload.Node["spec"]?["template"]?["spec"]?["containers"]?.AsArray() ?? [])
                .SelectMany(c => c?["env"]?.AsArray() ?? []).Select(e => (string?)e?["value"] ?? string.Empty);
            foreach (var value in env)
            {
                foreach (Match host in Host().Matches(value))
                {
                    var name = host.Groups["h"].Value;
                    if (!targets.TryGetValue(name, out var target))
                    {
                        findings.Add($"{workload.Name}: connects to '{name}', which no Service, Cluster, Pooler or RabbitmqCluster of deploy/ provides");
                        continue;
                    }
                    (callers.TryGetValue(target, out var set) ? set : callers[target] = new SortedSet<string>(StringComparer.Ordinal)).Add(workload.Name);
                }
            }
        }
        var routed = objects.Where(m => m.Kind == "Ingress")
            .SelectMany(i => i.Node["spec"]?["rules"]?.AsArray() ?? [])
            .SelectMany(r => r?["http"]?["paths"]?.AsArray() ?? [])
            .Select(p => (string?)p?["backend"]?["service"]?["name"])
            .OfType<string>().Where(targets.ContainsKey).Select(s => targets[s]).ToHashSet(StringComparer.Ordinal);
        var workloadNames = workloads.Select(w => w.Name).ToHashSet(StringComparer.Ordinal);

        // Every target a workload connects to, and every pod set a policy opens (a policy whose pods nobody calls lets in no workload).
        var opened = policies.Select(p => Selector(p.Node["spec"]?["podSelector"])).Where(s => s.Length > 0);
        foreach (var target in callers.Keys.Union(opened, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var set = callers.GetValueOrDefault(target) ?? [];
            var policy = policies.FirstOrDefault(p => Selector(p.Node["spec"]?["podSelector"]) == target);
            var label = target[(target.IndexOf('=', StringComparison.Ordinal) + 1)..];
            if (policy is null)
            {
                findings.Add($"{label}: {string.Join(", ", set)} connect(s) to it, but no NetworkPolicy selects its pods (the default deny shuts them out)");
                continue;
            }
            var peers = (policy.Node["spec"]?["ingress"]?.AsArray() ?? []).SelectMany(r => r?["from"]?.AsArray() ?? []).OfType<JsonObject>().ToList();
            var allowed = peers.Where(p => p["namespaceSelector"] is null)
                .Select(p => Selector(p["podSelector"]))
                .Where(s => s.StartsWith(NameLabel + "=", StringComparison.Ordinal))
                .Select(s => s[(NameLabel.Length + 1)..])
                .Where(workloadNames.Contains).ToHashSet(StringComparer.Ordinal);
            foreach (var caller in set.Where(c => c != label && !allowed.Contains(c)))
            {
                findings.Add($"{policy.Name}: {caller} connects to it, its NetworkPolicy does not let it in");
            }
            foreach (var extra in allowed.Where(a => !set.Contains(a)).Order(StringComparer.Ordinal))
            {
                findings.Add($"{policy.Name}: its NetworkPolicy lets in {extra}, which does not connect to it");
            }
        }
        foreach (var policy in policies)
        {
            var target = Selector(policy.Node["spec"]?["podSelector"]);
            // Other namespaces: the ingress controller's, only for what an Ingress routes to; an operator's, only for its own custom resources' pods.
            var other = (policy.Node["spec"]?["ingress"]?.AsArray() ?? []).SelectMany(r => r?["from"]?.AsArray() ?? []).OfType<JsonObject>()
                .Where(p => p["namespaceSelector"] is not null).Select(p => Selector(p["namespaceSelector"])).ToList();
            foreach (var ns in other)
            {
                var operatorOwn = (ns == "kubernetes.io/metadata.name=cnpg-system" && target.StartsWith("cnpg.io/", StringComparison.Ordinal))
                    || (ns == "kubernetes.io/metadata.name=rabbitmq-system" && objects.Any(m => m.Kind == "RabbitmqCluster" && target == Key(NameLabel, m.Name)));
                if (!(routed.Contains(target) && ns == Key(NameLabel, "ingress-nginx")) && !operatorOwn)
                {
                    findings.Add($"{policy.Name}: reachable from other namespaces ({(ns.Length == 0 ? "all" : ns)}), but no Ingress routes to it");
                }
            }
        }
        return findings;
    }

    private static string Key(string label, string value) => label + "=" + value;

    /// <summary>A selector's matchLabels as "k=v,…" ("" for an empty selector: everything).</summary>
    private static string Selector(JsonNode? selector) =>
        string.Join(",", (selector?["matchLabels"]?.AsObject() ?? []).Select(kv => kv.Key + "=" + (string?)kv.Value).Order(StringComparer.Ordinal));

    /// <summary>A host a value connects to: <c>Host=h</c> of a connection string, or <c>scheme://[user@]h:port</c>.</summary>
    [GeneratedRegex(@"(?:Host=|://(?:[^@/\s]*@)?)(?<h>[a-z0-9-]+)(?=[;:/]|$)")]
    private static partial Regex Host();
}
