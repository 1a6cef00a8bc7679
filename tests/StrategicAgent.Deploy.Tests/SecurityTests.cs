using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>The security rules over deploy/, and that each rule and the exception mechanism can fail.</summary>
public sealed class SecurityTests
{
    private const string Good = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: x
        spec:
          selector: { matchLabels: { a: b } }
          template:
            metadata: { labels: { a: b } }
            spec:
              securityContext: { runAsNonRoot: true, runAsUser: 1654, seccompProfile: { type: RuntimeDefault } }
              containers:
              - name: x
                image: strategicagent/x:1.2.3
                env:
                - name: PG_PASSWORD
                  valueFrom: { secretKeyRef: { name: s, key: password } }
                - { name: ConnectionStrings__db, value: "Host=h;Username=u;Password=$(PG_PASSWORD)" }
                readinessProbe: { httpGet: { path: /health, port: 8080 } }
                livenessProbe: { httpGet: { path: /alive, port: 8080 } }
                resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { cpu: "1", memory: 128Mi } }
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
        """;

    private static IReadOnlyList<Finding> CheckYaml(string yaml) =>
        SecurityRules.Check(ManifestSet.ParseDocuments(yaml, "test.yaml").Select(n => new Manifest("test.yaml", n)).ToList());

    [Fact]
    public void Deploy_has_no_unexplained_finding()
    {
        var manifests = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects
            .Concat(ManifestSet.LoadKustomization(Path.Combine(ManifestSet.DeployDirectory, "keda")).Objects).ToList();
        // Every workload the AppHost runs is checked, the web UI's included.
        foreach (var name in new[] { "validation", "prediction", "ml-training", "agent", "gateway", "web" })
        {
            Assert.Contains(manifests, m => m.Kind == "Deployment" && m.Name == name);
        }
        var findings = SecurityRules.Check(manifests);
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void The_reference_workload_passes() => Assert.Empty(CheckYaml(Good));

    [Theory]
    [InlineData("runAsNonRoot: true, runAsUser: 1654", "runAsNonRoot: false, runAsUser: 1654", SecurityRules.NonRoot)]
    [InlineData("runAsNonRoot: true, runAsUser: 1654", "runAsNonRoot: true, runAsUser: 0", SecurityRules.NonRoot)]
    [InlineData("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", SecurityRules.ReadOnlyRoot)]
    [InlineData("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", SecurityRules.NoEscalation)]
    [InlineData("drop: [ALL]", "drop: [NET_RAW]", SecurityRules.DropCapabilities)]
    [InlineData("type: RuntimeDefault", "type: Unconfined", SecurityRules.Seccomp)]
    [InlineData(", limits: { cpu: \"1\", memory: 128Mi }", "", SecurityRules.Resources)]
    [InlineData("livenessProbe: { httpGet: { path: /alive, port: 8080 } }", "", SecurityRules.Probes)]
    [InlineData("strategicagent/x:1.2.3", "strategicagent/x:latest", SecurityRules.PinnedImage)]
    [InlineData("strategicagent/x:1.2.3", "strategicagent/x", SecurityRules.PinnedImage)]
    [InlineData("Password=$(PG_PASSWORD)", "Password=hunter2hunter2", SecurityRules.NoPlainSecrets)]
    [InlineData("valueFrom: { secretKeyRef: { name: s, key: password } }", "value: hunter2hunter2", SecurityRules.NoPlainSecrets)]
    [InlineData("Host=h;Username=u;Password=$(PG_PASSWORD)", "amqp://guest:hunter2@rabbit:5672", SecurityRules.NoPlainSecrets)]
    [InlineData("securityContext: { runAsNonRoot", "hostNetwork: true\n      securityContext: { runAsNonRoot", SecurityRules.HostAccess)]
    public void Each_rule_finds_its_breach(string from, string to, string rule)
    {
        Assert.Contains(from, Good, StringComparison.Ordinal);
        var findings = CheckYaml(Good.Replace(from, to, StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Rule == rule);
    }

    [Fact]
    public void A_secret_with_values_is_a_finding()
    {
        var findings = CheckYaml("""
            apiVersion: v1
            kind: Secret
            metadata: { name: s }
            stringData: { password: hunter2hunter2 }
            """);
        Assert.Contains(findings, f => f.Rule == SecurityRules.NoPlainSecrets);
    }

    [Fact]
    public void An_exception_needs_a_reason_a_known_rule_and_a_breach()
    {
        var root = Good.Replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", StringComparison.Ordinal);
        string With(string yaml, string annotation) => yaml.Replace("  name: x\n", $"  name: x\n  annotations: {{ {annotation} }}\n", StringComparison.Ordinal);

        Assert.Empty(CheckYaml(With(root, $"{SecurityRules.ExceptionPrefix}{SecurityRules.ReadOnlyRoot}: \"the tool writes its cache next to its binary\"")));
        Assert.Contains(CheckYaml(With(root, $"{SecurityRules.ExceptionPrefix}{SecurityRules.ReadOnlyRoot}: \"\"")), f => f.Rule == SecurityRules.ReadOnlyRoot);
        Assert.Contains(CheckYaml(With(Good, $"{SecurityRules.ExceptionPrefix}{SecurityRules.ReadOnlyRoot}: \"no longer needed but left here\"")),
            f => f.Message.Contains("does not break", StringComparison.Ordinal));
        Assert.Contains(CheckYaml(With(Good, $"{SecurityRules.ExceptionPrefix}be-nice: \"a rule nobody knows about\"")),
            f => f.Message.Contains("unknown rule", StringComparison.Ordinal));
    }
}
