using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>Every object of deploy/ against its API schema, offline; and that the check can fail.</summary>
public sealed class ManifestTests
{
    private static readonly Lazy<SchemaValidator> Validator = new(() => new SchemaValidator(Path.Combine(ManifestSet.DeployDirectory, "crds")));

    private static Manifest Parse(string yaml) => new("test.yaml", ManifestSet.ParseDocuments(yaml, "test.yaml").Single());

    [Fact]
    public void Every_object_matches_its_schema()
    {
        var (objects, _) = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory);
        Assert.True(objects.Count > 20, $"only {objects.Count} objects read from deploy/");
        var errors = objects.SelectMany(Validator.Value.Validate).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        // The operators' kinds are checked against their CRDs, not skipped.
        Assert.Contains(objects, o => o.Kind == "Cluster");
        Assert.Contains(objects, o => o.Kind == "Subscription");
        Assert.Contains(objects, o => o.Kind == "Pooler");
        Assert.Contains(objects, o => o.Kind == "RabbitmqCluster");
    }

    /// <summary>
    /// deploy/keda (optional, its own kustomization) against KEDA's schema: the CRDs generated from npm
    /// <c>@kubernetes-models/keda</c> (deploy/crds/README.md), unknown fields rejected like the operators' kinds.
    /// </summary>
    [Fact]
    public void The_keda_objects_match_keda_s_schema()
    {
        var (objects, _) = ManifestSet.LoadKustomization(Path.Combine(ManifestSet.DeployDirectory, "keda"));
        var errors = objects.SelectMany(Validator.Value.Validate).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Contains(objects, o => o.Kind == "ScaledObject");
        Assert.Contains(objects, o => o.Kind == "TriggerAuthentication");
        Assert.Contains(("keda.sh", "ScaledObject", "v1alpha1"), Validator.Value.CustomKinds);
        Assert.Contains(("keda.sh", "TriggerAuthentication", "v1alpha1"), Validator.Value.CustomKinds);
    }

    [Fact]
    public void An_invalid_field_in_the_keda_objects_fails()
    {
        // The scaler as deploy/keda writes it, broken one field at a time.
        const string scaler = """
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: { name: x }
            spec:
              scaleTargetRef: { name: ml-training }
              minReplicaCount: 1
              triggers:
              - type: rabbitmq
                metadata: { queueName: train-model, mode: QueueLength, value: "2" }
                authenticationRef: { name: sa-messaging }
            """;
        Assert.Empty(Validator.Value.Validate(Parse(scaler)));
        IReadOnlyList<string> Broken(string from, string to)
        {
            Assert.Contains(from, scaler, StringComparison.Ordinal);
            return Validator.Value.Validate(Parse(scaler.Replace(from, to, StringComparison.Ordinal)));
        }
        // An unknown field (a misspelt one would be pruned by the API server without a word).
        Assert.Contains(Broken("minReplicaCount: 1", "minReplicas: 1"), e => e.Contains("minReplicas", StringComparison.Ordinal));
        // A value of the wrong type: a string, and a number that is not an integer.
        Assert.Contains(Broken("minReplicaCount: 1", "minReplicaCount: one"), e => e.Contains("minReplicaCount", StringComparison.Ordinal));
        Assert.Contains(Broken("minReplicaCount: 1", "minReplicaCount: 1.5"), e => e.Contains("minReplicaCount", StringComparison.Ordinal));
        // A required field missing, a trigger's metadata value that is not a string.
        Assert.Contains(Broken("{ name: ml-training }", "{ kind: Deployment }"), e => e.Contains("/spec/scaleTargetRef", StringComparison.Ordinal) && e.Contains("name", StringComparison.Ordinal));
        Assert.Contains(Broken("- type: rabbitmq", "- name: rabbitmq"), e => e.Contains("/spec/triggers/0", StringComparison.Ordinal) && e.Contains("type", StringComparison.Ordinal));
        Assert.Contains(Broken("value: \"2\"", "value: 2"), e => e.Contains("/spec/triggers/0/metadata/value", StringComparison.Ordinal));

        var auth = Validator.Value.Validate(Parse("""
            apiVersion: keda.sh/v1alpha1
            kind: TriggerAuthentication
            metadata: { name: x }
            spec:
              secretTargetRef:
              - { parameter: host, name: sa-messaging-default-user }
            """));
        Assert.Contains(auth, e => e.Contains("/spec/secretTargetRef/0", StringComparison.Ordinal) && e.Contains("key", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_yaml_file_of_deploy_is_built_by_a_kustomization()
    {
        var (_, files) = ManifestSet.LoadKustomization(ManifestSet.DeployDirectory);
        var (_, kedaFiles) = ManifestSet.LoadKustomization(Path.Combine(ManifestSet.DeployDirectory, "keda"));
        var built = files.Concat(kedaFiles).Select(Path.GetFullPath).ToHashSet();
        var orphans = Directory.GetFiles(ManifestSet.DeployDirectory, "*.yaml", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}crds{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => !built.Contains(Path.GetFullPath(f)))
            .ToList();
        Assert.True(orphans.Count == 0, "not in any kustomization (never applied, never checked): " + string.Join(", ", orphans));
    }

    [Fact]
    public void An_unknown_field_in_a_core_kind_fails()
    {
        var errors = Validator.Value.Validate(Parse("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: x }
            spec:
              replica: 2
              selector: { matchLabels: { a: b } }
              template: { metadata: { labels: { a: b } }, spec: { containers: [{ name: x, image: "x:1" }] } }
            """));
        Assert.Contains(errors, e => e.Contains("replica", StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_of_the_wrong_type_in_a_core_kind_fails()
    {
        var errors = Validator.Value.Validate(Parse("""
            apiVersion: v1
            kind: Service
            metadata: { name: x }
            spec:
              ports: [{ name: http, port: eighty }]
            """));
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void An_unknown_field_and_a_wrong_enum_in_a_custom_resource_fail()
    {
        var unknown = Validator.Value.Validate(Parse("""
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata: { name: x }
            spec:
              instance: 3
              storage: { size: 1Gi }
            """));
        Assert.Contains(unknown, e => e.Contains("instance", StringComparison.Ordinal));

        var wrongEnum = Validator.Value.Validate(Parse("""
            apiVersion: postgresql.cnpg.io/v1
            kind: Pooler
            metadata: { name: x }
            spec:
              cluster: { name: c }
              pgbouncer: { poolMode: statement-ish }
            """));
        Assert.NotEmpty(wrongEnum);

        var missingRequired = Validator.Value.Validate(Parse("""
            apiVersion: postgresql.cnpg.io/v1
            kind: Subscription
            metadata: { name: x }
            spec:
              cluster: { name: c }
              dbname: d
              name: s
              publicationName: p
            """));
        Assert.Contains(missingRequired, e => e.Contains("externalClusterName", StringComparison.Ordinal));
    }

    [Fact]
    public void A_kind_with_no_schema_fails()
    {
        var errors = Validator.Value.Validate(Parse("""
            apiVersion: monitoring.coreos.com/v1
            kind: ServiceMonitor
            metadata: { name: x }
            spec: { endpoints: [{ port: http }] }
            """));
        Assert.NotEmpty(errors);
    }

    /// <summary>kubectl's own kustomize builds deploy/ into the same objects this reader checks.</summary>
    [Fact]
    public async Task Kubectl_kustomize_builds_the_objects_that_are_checked()
    {
        var ct = TestContext.Current.CancellationToken;
        var kubectl = Environment.GetEnvironmentVariable("PATH")!.Split(':')
            .Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists);
        Assert.SkipWhen(kubectl is null, "kubectl is not installed (it is not a Debian package); the reader's own build is checked by the other tests");
        foreach (var directory in new[] { ManifestSet.DeployDirectory, Path.Combine(ManifestSet.DeployDirectory, "keda") })
        {
            var start = new ProcessStartInfo(kubectl!, ["kustomize", directory]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory}: {await stderr}");
            static string Key(JsonObject o) => $"{o["apiVersion"]}/{o["kind"]}/{o["metadata"]?["namespace"]}/{o["metadata"]?["name"]}";
            var theirs = ManifestSet.ParseDocuments(await stdout, "kubectl kustomize").Select(o => (Key(o), o.ToJsonString())).Order().ToList();
            var ours = ManifestSet.LoadKustomization(directory).Objects.Select(m => (Key(m.Node), m.Node.ToJsonString())).Order().ToList();
            Assert.Equal(theirs.Select(t => t.Item1), ours.Select(o => o.Item1));
            // Same content too (kustomize may reorder keys, so compare parsed objects).
            foreach (var ((key, json), (_, ourJson)) in theirs.Zip(ours))
            {
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(ourJson)), $"{key} differs between kubectl kustomize and the checked objects");
            }
        }
    }
}
