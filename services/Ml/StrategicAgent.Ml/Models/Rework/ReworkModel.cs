using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Models.Rework;

/// <summary>
/// Pull-request rework risk: calibrated probability that a merged PR needed rework, from what was
/// known when it opened. View: <c>Migrations/Replica/Views/ml.rework_features.sql</c>.
/// </summary>
public sealed class ReworkModel : ViewModel<ReworkFeatures>
{
    public static ReworkModel Instance { get; } = new();

    public override ModelKind Kind => ModelKind.Rework;
    public override string Name => ModelNames.Rework;

    public override FeatureSet Features { get; } = FeatureSet.OfView(ModelNames.Rework, ModelTask.BinaryClassification, typeof(ReworkFeatures),
        "ml.rework_features",
        "merged PRs: 1 when review_cycles > 2 OR rework_commit_count > 3");

    public override ModelDefaults Defaults { get; } = new() { MaxAgeDays = 21, MinNewRecords = 50 };
}
