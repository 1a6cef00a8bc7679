using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using k8s;

namespace StrategicAgent.Deploy.Tests;

/// <summary>
/// Checks one object against its API schema, offline. Core kinds (those the Kubernetes client
/// knows): strict typed loading, which fails on an unknown field or a value of the wrong type.
/// Custom resources: the <c>openAPIV3Schema</c> of the CRD in deploy/crds for that group, kind and
/// version, made strict the way the API server's pruning makes it (an object schema that lists its
/// properties and does not preserve unknown fields gets <c>additionalProperties: false</c>), so an
/// unknown field is an error here instead of being silently dropped by the cluster.
/// A kind that is neither is an error: every object must be checked by something.
/// </summary>
public sealed class SchemaValidator
{
    private readonly Dictionary<(string Group, string Kind, string Version), JsonSchema> crds = [];

    public SchemaValidator(string crdDirectory)
    {
        foreach (var file in Directory.GetFiles(crdDirectory, "*.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var crd in ManifestSet.ParseDocuments(File.ReadAllText(file), file))
            {
                if ((string?)crd["kind"] != "CustomResourceDefinition")
                {
                    continue;
                }
                var group = (string)crd["spec"]!["group"]!;
                var kind = (string)crd["spec"]!["names"]!["kind"]!;
                foreach (var version in crd["spec"]!["versions"]!.AsArray())
                {
                    var schema = version!["schema"]!["openAPIV3Schema"]!.DeepClone();
                    MakeStrict(schema);
                    crds[(group, kind, (string)version["name"]!)] = JsonSchema.FromText(schema.ToJsonString());
                }
            }
        }
    }

    public IReadOnlyCollection<(string Group, string Kind, string Version)> CustomKinds => crds.Keys;

    /// <summary>Every error in <paramref name="manifest"/>; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate(Manifest manifest)
    {
        if (manifest.ApiVersion.Length == 0 || manifest.Kind.Length == 0 || manifest.Name.Length == 0)
        {
            return [$"{manifest.Source}: an object without apiVersion, kind or metadata.name"];
        }
        if (crds.TryGetValue((manifest.Group, manifest.Kind, manifest.Version), out var schema))
        {
            using var doc = JsonDocument.Parse(manifest.Node.ToJsonString());
            var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            return result.IsValid
                ? []
                : (result.Details ?? [])
                    .Where(d => d.Errors is { Count: > 0 })
                    .SelectMany(d => d.Errors!.Select(e => $"{manifest}: {d.InstanceLocation}: {e.Value}"))
                    .Distinct()
                    .ToList() is { Count: > 0 } errors ? errors : [$"{manifest}: does not match its CRD schema"];
        }
        try
        {
            // JSON is YAML: the object as the API server would get it, through the client's strict deserializer.
            var objects = KubernetesYaml.LoadAllFromString(manifest.Node.ToJsonString(), typeMap: null, strict: true);
            return objects.Count == 1 ? [] : [$"{manifest}: read as {objects.Count} objects"];
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            var message = ex is YamlDotNet.Core.YamlException { InnerException: { } inner } y ? $"{y.Message} {inner.Message}" : ex.Message;
            return [$"{manifest}: {message}"];
        }
    }

    /// <summary>
    /// Walks the schema (not the property maps as if they were schemas): closes every object that
    /// lists its properties, and removes the OpenAPI/Kubernetes keywords that are not JSON Schema
    /// (<c>nullable</c>, <c>x-kubernetes-*</c>; CEL rules are not evaluated here).
    /// </summary>
    private static void MakeStrict(JsonNode? node, bool close = true)
    {
        if (node is not JsonObject schema)
        {
            return;
        }
        var preserves = (bool?)schema["x-kubernetes-preserve-unknown-fields"] == true;
        foreach (var key in schema.Select(kv => kv.Key).Where(k => k == "nullable" || k.StartsWith("x-", StringComparison.Ordinal)).ToList())
        {
            schema.Remove(key);
        }
        if (schema["properties"] is JsonObject properties)
        {
            if (close && !schema.ContainsKey("additionalProperties") && !preserves)
            {
                schema["additionalProperties"] = false;
            }
            foreach (var (_, child) in properties)
            {
                MakeStrict(child);
            }
        }
        MakeStrict(schema["items"]);
        MakeStrict(schema["additionalProperties"]);
        // allOf/anyOf/oneOf/not in a structural schema only add value checks to fields listed
        // outside them: closing them would reject fields the outer schema allows.
        foreach (var combinator in new[] { "allOf", "anyOf", "oneOf" })
        {
            foreach (var child in schema[combinator]?.AsArray() ?? [])
            {
                MakeStrict(child, close: false);
            }
        }
        MakeStrict(schema["not"], close: false);
    }
}
