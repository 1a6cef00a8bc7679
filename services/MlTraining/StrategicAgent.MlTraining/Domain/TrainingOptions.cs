using System.ComponentModel.DataAnnotations;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Models;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>Settings of one model: hyperparameter defaults and retraining thresholds.</summary>
public sealed class ModelTrainingOptions
{
    /// <summary>Hyperparameter defaults by name (see <see cref="Hyperparameters"/>); requests may override.</summary>
    public Dictionary<string, string> Hyperparameters { get; set; } = [];

    /// <summary>Retrain when at least this many days passed since the last successful training …</summary>
    [Range(0.0, 3650.0)]
    public double MaxAgeDays { get; set; } = 30;

    /// <summary>… and at least this many new training rows arrived since then.</summary>
    [Range(0, 100_000_000)]
    public long MinNewRecords { get; set; } = 100;

    /// <summary>Whether the scheduler considers this model at all.</summary>
    public bool Scheduled { get; set; } = true;
}

/// <summary>The <c>Training</c> configuration section.</summary>
public sealed class TrainingOptions : IValidatableObject
{
    public const string Section = "Training";

    public Dictionary<string, ModelTrainingOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often the retraining scheduler evaluates the thresholds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromHours(1);

    public bool SchedulerEnabled { get; set; } = true;

    /// <summary>Longest a single training may run before it is cancelled and recorded as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan TrainingTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Longest StartTraining waits for the message broker to take a run's TrainModel command.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the streaming Train call reads its run's row while following it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan RunPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Built-in defaults of a model (its definition's <see cref="ModelDefaults"/>), overridden by configuration.</summary>
    public static ModelTrainingOptions Default(string model) =>
        ModelCatalog.TryGet(model, out var m)
            ? new()
            {
                MaxAgeDays = m.Defaults.MaxAgeDays,
                MinNewRecords = m.Defaults.MinNewRecords,
                Hyperparameters = new Dictionary<string, string>(m.Defaults.Hyperparameters, StringComparer.Ordinal),
            }
            : new();

    public ModelTrainingOptions For(string model)
    {
        var d = Default(model);
        if (!Models.TryGetValue(model, out var configured))
        {
            return d;
        }
        // Configured hyperparameters add to (and override) the built-in ones.
        foreach (var (k, v) in d.Hyperparameters)
        {
            configured.Hyperparameters.TryAdd(k, v);
        }
        return configured;
    }

    public Hyperparameters HyperparametersFor(string model) => new Hyperparameters().With(For(model).Hyperparameters);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, m) in Models)
        {
            if (!ModelNames.IsKnown(name))
            {
                yield return new ValidationResult($"Training:Models:{name} is not a model. Known: {string.Join(", ", ModelNames.All)}.", [nameof(Models)]);
                continue;
            }
            string? error = null;
            try
            {
                new Hyperparameters().With(m.Hyperparameters);
            }
            catch (ArgumentException e)
            {
                error = e.Message;
            }
            if (error is not null)
            {
                yield return new ValidationResult($"Training:Models:{name}:Hyperparameters: {error}", [nameof(Models)]);
            }
            if (m.MaxAgeDays < 0 || m.MinNewRecords < 0)
            {
                yield return new ValidationResult($"Training:Models:{name}: MaxAgeDays and MinNewRecords must not be negative.", [nameof(Models)]);
            }
        }
    }
}
