using StrategicAgent.Ml.Models.Anomaly;
using StrategicAgent.Ml.Models.Complexity;
using StrategicAgent.Ml.Models.Rework;
using StrategicAgent.Ml.Models.Trajectory;
using StrategicAgent.Ml.Models.Unified;

namespace StrategicAgent.Ml.Models;

/// <summary>The one list of models: training, deploy, the scheduler and validation loop over it.</summary>
public static class ModelCatalog
{
    public static IReadOnlyList<IModelDefinition> All { get; } =
    [
        TrajectoryModel.Instance,
        ComplexityModel.Instance,
        ReworkModel.Instance,
        UnifiedModel.Instance,
        AnomalyModel.Instance,
    ];

    private static readonly Dictionary<string, IModelDefinition> ByName = All.ToDictionary(m => m.Name, StringComparer.Ordinal);
    private static readonly Dictionary<ModelKind, IModelDefinition> ByKind = All.ToDictionary(m => m.Kind);

    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToList();

    public static bool TryGet(string? name, out IModelDefinition model)
    {
        model = null!;
        return name is not null && ByName.TryGetValue(name, out model!);
    }

    /// <summary>The model called <paramref name="name"/>; an <see cref="ArgumentException"/> lists the known names otherwise.</summary>
    public static IModelDefinition Get(string name) =>
        TryGet(name, out var m) ? m
        : throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));

    public static IModelDefinition Get(ModelKind kind) =>
        ByKind.TryGetValue(kind, out var m) ? m : throw new ArgumentException($"Unknown model kind {kind}.", nameof(kind));
}
