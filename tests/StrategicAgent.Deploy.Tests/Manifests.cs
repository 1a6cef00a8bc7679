using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace StrategicAgent.Deploy.Tests;

/// <summary>One Kubernetes object of deploy/, as JSON (what the API server would receive).</summary>
public sealed record Manifest(string Source, JsonObject Node)
{
    public string ApiVersion => (string?)Node["apiVersion"] ?? string.Empty;
    public string Kind => (string?)Node["kind"] ?? string.Empty;
    public string Name => (string?)Node["metadata"]?["name"] ?? string.Empty;
    public string Group => ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
    public string Version => ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[(ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..] : ApiVersion;
    public override string ToString() => $"{Kind}/{Name} ({Source})";

    public string Annotation(string key) => (string?)Node["metadata"]?["annotations"]?[key] ?? string.Empty;
}

/// <summary>
/// Reads deploy/ the way <c>kubectl kustomize</c> does for what this repository uses: a
/// kustomization's <c>resources</c> (files, or directories holding a kustomization), in order,
/// each file split into its YAML documents. Anything else a kustomization could do (patches,
/// generators) is refused, so this reader never silently differs from kustomize.
/// </summary>
public static class ManifestSet
{
    private static readonly HashSet<string> KnownKustomizationKeys = ["apiVersion", "kind", "resources", "namespace"];

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string DeployDirectory => Path.Combine(RepoRoot, "deploy");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StrategicAgent.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("StrategicAgent.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every object a kustomization directory builds, and every file it read.</summary>
    public static (IReadOnlyList<Manifest> Objects, IReadOnlyList<string> Files) LoadKustomization(string directory)
    {
        var objects = new List<Manifest>();
        var files = new List<string>();
        Load(directory, objects, files);
        return (objects, files);
    }

    private static void Load(string directory, List<Manifest> objects, List<string> files)
    {
        var path = Path.Combine(directory, "kustomization.yaml");
        files.Add(path);
        var kustomization = ParseDocuments(File.ReadAllText(path), path).Single();
        var unknown = kustomization.Select(kv => kv.Key).Except(KnownKustomizationKeys).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"{path}: this reader does not implement {string.Join(", ", unknown)}; extend ManifestSet or keep the kustomization to resources.");
        }
        var ns = (string?)kustomization["namespace"];
        foreach (var resource in kustomization["resources"]?.AsArray() ?? [])
        {
            var full = Path.GetFullPath(Path.Combine(directory, (string)resource!));
            if (Directory.Exists(full))
            {
                Load(full, objects, files);
                continue;
            }
            files.Add(full);
            foreach (var node in ParseDocuments(File.ReadAllText(full), full))
            {
                if (ns is not null && node["metadata"] is JsonObject meta)
                {
                    meta["namespace"] = ns;
                }
                objects.Add(new Manifest(Path.GetRelativePath(RepoRoot, full), node));
            }
        }
    }

    /// <summary>The documents of a YAML stream as JSON objects (empty documents skipped).</summary>
    /// <summary>
    /// <paramref name="objects"/> with the one object of <paramref name="kind"/> and <paramref name="name"/> replaced by a
    /// copy <paramref name="change"/> has edited, or left out when <paramref name="change"/> is null: how a check is shown to fail.
    /// </summary>
    public static IReadOnlyList<Manifest> Changed(IReadOnlyList<Manifest> objects, string kind, string name, Action<JsonObject>? change)
    {
        if (objects.Count(m => m.Kind == kind && m.Name == name) != 1)
        {
            throw new InvalidOperationException($"Expected exactly one {kind}/{name} to change");
        }
        return [.. objects.Where(m => change is not null || m.Kind != kind || m.Name != name).Select(m =>
        {
            if (change is null || m.Kind != kind || m.Name != name)
            {
                return m;
            }
            var copy = (JsonObject)m.Node.DeepClone();
            change(copy);
            return m with { Node = copy };
        })];
    }

    public static IReadOnlyList<JsonObject> ParseDocuments(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new InvalidOperationException($"{source}: not valid YAML: {ex.Message}", ex);
        }
        var result = new List<JsonObject>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" })
            {
                continue;
            }
            result.Add(ToJson(document.RootNode) as JsonObject
                ?? throw new InvalidOperationException($"{source}: a document is not a mapping."));
        }
        return result;
    }

    private static readonly Regex Integer = new(@"^[-+]?(0|[1-9][0-9]*)$", RegexOptions.CultureInvariant);
    private static readonly Regex Float = new(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant);

    /// <summary>YAML 1.2 core schema: a plain scalar may be null, a boolean or a number; a quoted one is a string.</summary>
    public static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    if (obj.ContainsKey(name))
                    {
                        throw new InvalidOperationException($"Duplicate key '{name}' at {key.Start}.");
                    }
                    obj[name] = ToJson(value);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children)
                {
                    arr.Add(ToJson(item));
                }
                return arr;
            case YamlScalarNode scalar:
                var text = scalar.Value ?? string.Empty;
                if (scalar.Style is not ScalarStyle.Plain)
                {
                    return JsonValue.Create(text);
                }
                if (text is "" or "~" or "null" or "Null" or "NULL")
                {
                    return null;
                }
                if (text is "true" or "True" or "TRUE")
                {
                    return JsonValue.Create(true);
                }
                if (text is "false" or "False" or "FALSE")
                {
                    return JsonValue.Create(false);
                }
                if (Integer.IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    return JsonValue.Create(l);
                }
                if (Float.IsMatch(text))
                {
                    return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
                }
                return JsonValue.Create(text);
            default:
                throw new InvalidOperationException($"Unsupported YAML node at {node.Start}.");
        }
    }
}
