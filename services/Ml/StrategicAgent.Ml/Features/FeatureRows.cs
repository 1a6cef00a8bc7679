namespace StrategicAgent.Ml.Features;

/// <summary>
/// The columns every feature row has besides its features: which entity, which tenant, when its
/// label became known (the time-ordered split sorts on it) and the label in natural units (NaN
/// when unknown, i.e. for rows to predict).
/// </summary>
public interface IFeatureRow
{
    long EntityId { get; set; }
    long ClientId { get; set; }
    DateTime LabelKnownAt { get; set; }
    float Label { get; set; }
}
