using StrategicAgent.Ml.Confidence;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;

namespace StrategicAgent.Prediction.Domain;

/// <summary>
/// One deployed model version, loaded and immutable: the ML library's predictor (thread-safe),
/// its registry entry, its feature set and what serving derives from its training statistics
/// (typical feature values for contributions and the smoke prediction). Replaced as a whole.
/// </summary>
public sealed class LoadedModel : IModelVersion
{
    public LoadedModel(ModelPredictor predictor, DateTimeOffset? deployedAt, DateTimeOffset loadedAt)
    {
        Predictor = predictor;
        Registration = predictor.Version;
        FeatureSet = FeatureSet.For(Registration.ModelName);
        DeployedAt = deployedAt;
        LoadedAt = loadedAt;
        Typical = TypicalValues(Registration.TrainingStats, FeatureSet);
    }

    public ModelPredictor Predictor { get; }
    public RegisteredModel Registration { get; }
    public FeatureSet FeatureSet { get; }
    public DateTimeOffset? DeployedAt { get; }
    public DateTimeOffset LoadedAt { get; }

    public string Name => Registration.ModelName;
    public int Version => Registration.Version;
    public long VersionId => Registration.Id;
    public string Algorithm => Registration.Algorithm;

    /// <summary>A typical training value per feature property (numeric median or most frequent category).</summary>
    public IReadOnlyDictionary<string, object> Typical { get; }

    public ModelStamp Stamp(DateTimeOffset at) => new(Name, Version, VersionId, Algorithm, at);

    /// <summary>The training distribution of a numeric feature, by property or view column name.</summary>
    public FeatureDistribution? Distribution(FeatureColumn feature)
    {
        var stats = Registration.TrainingStats?.Features;
        if (stats is null)
        {
            return null;
        }
        return stats.TryGetValue(feature.Column, out var d) ? d : stats.TryGetValue(feature.Property, out d) ? d : null;
    }

    private static Dictionary<string, object> TypicalValues(TrainingStatistics? stats, FeatureSet set)
    {
        var typical = new Dictionary<string, object>(StringComparer.Ordinal);
        if (stats is null)
        {
            return typical;
        }
        foreach (var f in set.Features)
        {
            if (f.Kind == FeatureKind.Numeric &&
                (stats.Features.TryGetValue(f.Column, out var d) || stats.Features.TryGetValue(f.Property, out d)))
            {
                typical[f.Property] = (float)Median(d);
            }
            else if (f.Kind == FeatureKind.Categorical &&
                     (stats.Categories.TryGetValue(f.Column, out var c) || stats.Categories.TryGetValue(f.Property, out c)) && c.Count > 0)
            {
                typical[f.Property] = c.MaxBy(kv => kv.Value).Key;
            }
        }
        return typical;
    }

    /// <summary>The median from decile edges and bin shares (the edge where the cumulative share crosses ½).</summary>
    internal static double Median(FeatureDistribution d)
    {
        if (d.Edges.Length == 0)
        {
            return double.IsFinite(d.Mean) ? d.Mean : 0;
        }
        var total = d.Proportions.Sum();
        var cumulative = 0.0;
        for (var k = 0; k < d.Proportions.Length; k++)
        {
            cumulative += d.Proportions[k];
            if (cumulative >= total / 2)
            {
                return k < d.Edges.Length ? d.Edges[k] : d.Max;
            }
        }
        return d.Edges[^1];
    }
}

/// <summary>The model version that produced a response, and when.</summary>
public sealed record ModelStamp(string Name, int Version, long VersionId, string Algorithm, DateTimeOffset PredictedAt);
