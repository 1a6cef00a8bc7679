namespace StrategicAgent.Ml.Features;

/// <summary>How a feature enters the ML.NET pipeline.</summary>
public enum FeatureKind
{
    /// <summary>A float used as is (trees need no scaling).</summary>
    Numeric,
    /// <summary>A string one-hot encoded (unknown values at prediction time map to all-zero).</summary>
    Categorical,
    /// <summary>Free text featurised into word and character n-grams.</summary>
    Text,
}

/// <summary>
/// Marks a property of a feature row as a model input, names the view column it is read from and
/// says what it means. <see cref="FeatureSet"/> turns these into the documented feature schema.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class FeatureAttribute(string column, FeatureKind kind, string description) : Attribute
{
    public string Column { get; } = column;
    public FeatureKind Kind { get; } = kind;
    public string Description { get; } = description;
}

/// <summary>A non-feature column of a feature row (key, tenant, time, label) and its view column.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class MetaColumnAttribute(string column) : Attribute
{
    public string Column { get; } = column;
}
