using StrategicAgent.Ml.Features;

namespace StrategicAgent.Ml.Models.Trajectory;

/// <summary>
/// Epic trajectory: an epic's total lead time in days (trained on ln days), from what it had when
/// work started. View: <c>Migrations/Replica/Views/ml.trajectory_features.sql</c>.
/// </summary>
public sealed class TrajectoryModel : ViewModel<TrajectoryFeatures>
{
    public static TrajectoryModel Instance { get; } = new();

    public override ModelKind Kind => ModelKind.Trajectory;
    public override string Name => ModelNames.Trajectory;

    public override FeatureSet Features { get; } = FeatureSet.OfView(ModelNames.Trajectory, ModelTask.Regression, typeof(TrajectoryFeatures),
        "ml.trajectory_features",
        "total_lead_time_seconds / 86400 of epics whose status maps to Done, 0 < lead time < 1 year",
        LabelTransform.Log);

    // Word unigrams of the epic's text: bigrams were no better on the medium data and twice as slow.
    public override ModelDefaults Defaults { get; } = new()
    {
        MaxAgeDays = 30,
        MinNewRecords = 100,
        Hyperparameters = new Dictionary<string, string> { ["leaves"] = "15", ["min_leaf"] = "5", ["min_rows"] = "40", ["word_ngrams"] = "1" },
    };
}
