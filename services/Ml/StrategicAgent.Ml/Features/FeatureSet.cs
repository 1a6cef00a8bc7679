using System.Reflection;

namespace StrategicAgent.Ml.Features;

/// <summary>One column of a feature row: the C# property, the view column, its kind and meaning.</summary>
public sealed record FeatureColumn(string Property, string Column, FeatureKind Kind, string Description);

/// <summary>
/// Everything about a model's inputs: its task, row type, view, the documented features and the
/// SQL that reads training rows (label known) and rows to predict (label unknown).
/// </summary>
public sealed class FeatureSet
{
    private FeatureSet(string modelName, ModelTask task, Type rowType, string view, string labelDescription,
        LabelTransform labelTransform, string trainingSql, string predictionSql)
    {
        ModelName = modelName;
        Task = task;
        RowType = rowType;
        View = view;
        LabelDescription = labelDescription;
        LabelTransform = labelTransform;
        TrainingSql = trainingSql;
        PredictionSql = predictionSql;
        Features = Describe(rowType);
    }

    public string ModelName { get; }
    public ModelTask Task { get; }
    public Type RowType { get; }
    /// <summary>The replica view the rows come from (schema-qualified).</summary>
    public string View { get; }
    public string LabelDescription { get; }
    /// <summary>How the label is transformed for training; predictions are transformed back.</summary>
    public LabelTransform LabelTransform { get; }
    /// <summary>Training rows, oldest first; <c>$1</c> = row cap (newest rows kept).</summary>
    public string TrainingSql { get; }
    /// <summary>Rows to predict: <c>$1</c> = client id, <c>$2</c> = entity ids (bigint[]).</summary>
    public string PredictionSql { get; }
    public IReadOnlyList<FeatureColumn> Features { get; }

    public IEnumerable<FeatureColumn> OfKind(FeatureKind kind) => Features.Where(f => f.Kind == kind);

    public static FeatureSet Trajectory { get; } = new(ModelNames.Trajectory, ModelTask.Regression, typeof(TrajectoryFeatures),
        "ml.trajectory_features",
        "total_lead_time_seconds / 86400 of epics whose status maps to Done, 0 < lead time < 1 year",
        LabelTransform.Log,
        FeatureSql.Training("ml.trajectory_features", typeof(TrajectoryFeatures)),
        FeatureSql.Prediction("ml.trajectory_features", typeof(TrajectoryFeatures)));

    public static FeatureSet Complexity { get; } = new(ModelNames.Complexity, ModelTask.Regression, typeof(ComplexityFeatures),
        "ml.complexity_features",
        "story_points of Story/Task/Bug issues, 0 < points ≤ 21",
        LabelTransform.None,
        FeatureSql.Training("ml.complexity_features", typeof(ComplexityFeatures)),
        FeatureSql.Prediction("ml.complexity_features", typeof(ComplexityFeatures)));

    public static FeatureSet Rework { get; } = new(ModelNames.Rework, ModelTask.BinaryClassification, typeof(ReworkFeatures),
        "ml.rework_features",
        "merged PRs: 1 when review_cycles > 2 OR rework_commit_count > 3",
        LabelTransform.None,
        FeatureSql.Training("ml.rework_features", typeof(ReworkFeatures)),
        FeatureSql.Prediction("ml.rework_features", typeof(ReworkFeatures)));

    public static FeatureSet Unified { get; } = new(ModelNames.Unified, ModelTask.MultiTarget, typeof(UnifiedFeatures),
        "ml.unified_features",
        "three targets per done issue with PRs: lead time (days, log-scaled), story points, reworked (0/1); each standardised",
        LabelTransform.None,
        FeatureSql.Training("ml.unified_features", typeof(UnifiedFeatures), "is_done AND (lead_time_days IS NOT NULL OR story_points IS NOT NULL OR reworked IS NOT NULL)"),
        FeatureSql.Prediction("ml.unified_features", typeof(UnifiedFeatures)));

    public static FeatureSet Anomaly { get; } = new(ModelNames.Anomaly, ModelTask.Anomaly, typeof(AnomalyFeatures),
        "ml.anomaly_features",
        "none (unsupervised); is_anomaly is used only to evaluate when present",
        LabelTransform.None,
        FeatureSql.AnomalyTraining,
        FeatureSql.AnomalyPrediction);

    public static IReadOnlyList<FeatureSet> All { get; } = [Trajectory, Complexity, Rework, Unified, Anomaly];

    public static FeatureSet For(string modelName) =>
        All.FirstOrDefault(f => f.ModelName == modelName)
        ?? throw new ArgumentException($"Unknown model '{modelName}'. Known models: {string.Join(", ", ModelNames.All)}.", nameof(modelName));

    internal static IReadOnlyList<FeatureColumn> Describe(Type rowType) =>
        rowType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, a: p.GetCustomAttribute<FeatureAttribute>()))
            .Where(x => x.a is not null)
            .Select(x => new FeatureColumn(x.p.Name, x.a!.Column, x.a.Kind, x.a.Description))
            .ToList();

    /// <summary>View columns a row type reads: meta columns and features (features computed in C#, like the unified target, excluded by the caller).</summary>
    internal static IEnumerable<(PropertyInfo Property, string Column)> Columns(Type rowType) =>
        rowType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, col: p.GetCustomAttribute<MetaColumnAttribute>()?.Column ?? p.GetCustomAttribute<FeatureAttribute>()?.Column))
            .Where(x => x.col is not null)
            .Select(x => (x.p, x.col!));
}

/// <summary>How a regression label is transformed before training.</summary>
public enum LabelTransform
{
    None,
    /// <summary>ln(y): lead times are right-skewed; intervals become multiplicative.</summary>
    Log,
}
