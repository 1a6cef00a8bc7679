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

    /// <summary>A model whose rows come from a feature view read through its row class's columns.</summary>
    public static FeatureSet OfView(string modelName, ModelTask task, Type rowType, string view, string labelDescription,
        LabelTransform labelTransform = LabelTransform.None, string? trainingFilter = null) =>
        new(modelName, task, rowType, view, labelDescription, labelTransform,
            FeatureSql.Training(view, rowType, trainingFilter), FeatureSql.Prediction(view, rowType));

    /// <summary>A model whose rows are read by SQL of its own (the anomaly model's prediction log).</summary>
    public static FeatureSet Custom(string modelName, ModelTask task, Type rowType, string view, string labelDescription,
        string trainingSql, string predictionSql) =>
        new(modelName, task, rowType, view, labelDescription, LabelTransform.None, trainingSql, predictionSql);

    // The five models' feature sets, as their definitions in Models/<Name>/ declare them.
    public static FeatureSet Trajectory => Models.Trajectory.TrajectoryModel.Instance.Features;
    public static FeatureSet Complexity => Models.Complexity.ComplexityModel.Instance.Features;
    public static FeatureSet Rework => Models.Rework.ReworkModel.Instance.Features;
    public static FeatureSet Unified => Models.Unified.UnifiedModel.Instance.Features;
    public static FeatureSet Anomaly => Models.Anomaly.AnomalyModel.Instance.Features;

    /// <summary>Every catalogued model's feature set.</summary>
    public static IReadOnlyList<FeatureSet> All => Models.ModelCatalog.All.Select(m => m.Features).ToList();

    public static FeatureSet For(string modelName) => Models.ModelCatalog.Get(modelName).Features;

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
