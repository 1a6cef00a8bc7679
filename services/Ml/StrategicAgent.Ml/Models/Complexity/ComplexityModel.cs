using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Models.Complexity;

/// <summary>
/// Issue complexity: story points of a Story/Task/Bug from its text, type, project and the
/// project's earlier estimates. View: <c>Migrations/Replica/Views/ml.complexity_features.sql</c>.
/// </summary>
public sealed class ComplexityModel : ViewModel<ComplexityFeatures>
{
    public static ComplexityModel Instance { get; } = new();

    public override ModelKind Kind => ModelKind.Complexity;
    public override string Name => ModelNames.Complexity;

    public override FeatureSet Features { get; } = FeatureSet.OfView(ModelNames.Complexity, ModelTask.Regression, typeof(ComplexityFeatures),
        "ml.complexity_features",
        "story_points of Story/Task/Bug issues, 0 < points ≤ 21");

    public override ModelDefaults Defaults { get; } = new() { MaxAgeDays = 14, MinNewRecords = 200 };
}
