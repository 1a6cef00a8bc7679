using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.Ml.Models;

/// <summary>The catalogued models (the proto's <c>ModelName</c> enum maps onto it one to one).</summary>
public enum ModelKind
{
    Trajectory = 1,
    Complexity = 2,
    Rework = 3,
    Unified = 4,
    Anomaly = 5,
}

/// <summary>
/// A model's built-in settings: hyperparameters that differ from <see cref="Hyperparameters"/>'
/// defaults, and when the retraining scheduler considers it due (configuration overrides both).
/// </summary>
public sealed record ModelDefaults
{
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    /// <summary>Retrain when at least this many days passed since the last successful training …</summary>
    public double MaxAgeDays { get; init; } = 30;
    /// <summary>… and at least this many new training rows arrived since then.</summary>
    public long MinNewRecords { get; init; } = 100;
}

/// <summary>The newest test slice of a model's current rows and how to score any version on it.</summary>
public sealed record TestEvaluation(Func<ModelPredictor, Dictionary<string, double>> Evaluate, int TestRows);

/// <summary>
/// Everything about one model, in its folder under <c>Models/&lt;Name&gt;/</c>: its name, its
/// features (row class, view, SQL), its defaults, how it is trained and how a version is evaluated
/// on the newest data. Training, deploy and the scheduler loop over <see cref="ModelCatalog"/>;
/// adding a model is a new folder, one line in the catalog and its feature view script.
/// </summary>
public interface IModelDefinition
{
    ModelKind Kind { get; }

    /// <summary>The registry's <c>model_name</c> and the API's lowercase name.</summary>
    string Name { get; }

    FeatureSet Features { get; }

    ModelDefaults Defaults { get; }

    /// <summary>Reads the model's rows and trains, calibrates and evaluates it (no registry writes).</summary>
    Task<TrainedModel> TrainAsync(IFeatureSource source, Hyperparameters h, IProgress<TrainingProgress>? progress, CancellationToken ct);

    /// <summary>The evaluation a training would use now: the newest test slice of the current rows (deploy compares versions on it).</summary>
    Task<TestEvaluation> NewestTestAsync(IFeatureSource source, Hyperparameters h, CancellationToken ct);
}

/// <summary>
/// A model trained on the rows of one feature view with the shared regression or binary
/// pipeline (trajectory, complexity, rework): the definition only declares its rows and defaults.
/// </summary>
public abstract class ViewModel<TRow> : IModelDefinition where TRow : class, IFeatureRow, new()
{
    public abstract ModelKind Kind { get; }
    public abstract string Name { get; }
    public abstract FeatureSet Features { get; }
    public virtual ModelDefaults Defaults { get; } = new();

    public async Task<TrainedModel> TrainAsync(IFeatureSource source, Hyperparameters h, IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var rows = await source.ReadAsync<TRow>(Features, h.MaxRows, ct);
        return await Task.Run(() => Train(rows, h, progress), ct);
    }

    /// <summary>Trains on rows already read (tests and the benchmark call it directly).</summary>
    public TrainedModel Train(IReadOnlyList<TRow> rows, Hyperparameters h, IProgress<TrainingProgress>? progress = null) =>
        Features.Task == ModelTask.BinaryClassification
            ? ModelTrainer.TrainBinary(Features, rows, h, progress)
            : ModelTrainer.TrainRegression(Features, rows, h, progress);

    public async Task<TestEvaluation> NewestTestAsync(IFeatureSource source, Hyperparameters h, CancellationToken ct)
    {
        var slice = TimeSplit.Split(await source.ReadAsync<TRow>(Features, h.MaxRows, ct), h).Test;
        var log = Features.LabelTransform == LabelTransform.Log;
        return Features.Task == ModelTask.BinaryClassification
            ? new TestEvaluation(p => ModelTrainer.EvaluateBinary(p, slice), slice.Count)
            : new TestEvaluation(p => ModelTrainer.EvaluateRegression(p, slice, log), slice.Count);
    }
}
