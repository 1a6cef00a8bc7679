using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Data;
using StrategicAgent.MlTraining.Domain;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// Trains models with the training service's own code (TrainingRunner: read the replica's feature
/// views, train, calibrate, register, deploy) on the fixture's data, with fast hyperparameters.
/// Deploy decisions are captured so a test can publish ModelDeployed itself, as the training
/// service would.
/// </summary>
public sealed class Training : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public Training(string replicaConnectionString)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(NpgsqlDataSource.Create(replicaConnectionString));
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<TrainingOptions>();
        services.AddSingleton<ModelRegistryReader>();
        services.AddSingleton<StrategicAgent.Ml.Training.IFeatureSource, FeatureSource>();
        services.AddSingleton<ITrainingStore, TrainingStore>();
        services.AddSingleton(Events);
        services.AddSingleton<ITrainingEvents>(Events);
        services.AddSingleton<DeployService>();
        services.AddSingleton<TrainingRunner>();
        _services = services.BuildServiceProvider();
    }

    public CapturedEvents Events { get; } = new();

    /// <summary>Fast settings: fewer, smaller trees; no side-by-side comparison models.</summary>
    public static IReadOnlyDictionary<string, string> Fast(string model) => model switch
    {
        "anomaly" => new Dictionary<string, string> { ["min_rows"] = "200", ["pca_rank"] = "3" },
        "unified" => new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15", ["compare_separate"] = "false" },
        "trajectory" => new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15", ["min_leaf"] = "5", ["min_rows"] = "40" },
        _ => new Dictionary<string, string> { ["iterations"] = "80", ["leaves"] = "15" },
    };

    public async Task<TrainingOutcome> TrainAsync(string model, DeployStrategy deployStrategy = DeployStrategy.MostRecent,
        IReadOnlyDictionary<string, string>? hyperparameters = null, CancellationToken ct = default)
    {
        var runner = _services.GetRequiredService<TrainingRunner>();
        var outcome = await runner.RunAsync(new TrainingRequest
        {
            RequestId = $"prediction-tests-{model}-{Guid.NewGuid():N}",
            ModelName = model,
            DeployStrategy = deployStrategy,
            Hyperparameters = hyperparameters ?? Fast(model),
            RequestedBy = "prediction-tests",
        }, progress: null, ct);
        if (outcome.Status != RunStatus.Succeeded || outcome.Duplicate)
        {
            throw new InvalidOperationException($"Training {model} did not succeed: {outcome.Status.ToText()}{(outcome.Duplicate ? " (duplicate)" : "")} {outcome.FailureReason}");
        }
        return outcome;
    }

    public Task<DeployDecision> DeployAsync(string model, DeployStrategy strategy, long? versionId, CancellationToken ct = default) =>
        _services.GetRequiredService<DeployService>().DeployAsync(model, strategy, versionId, ct);

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    public sealed class CapturedEvents : ITrainingEvents
    {
        public List<(string Model, DeployDecision Decision)> Deployed { get; } = [];

        public Task TrainedAsync(TrainingOutcome outcome, CancellationToken ct) => Task.CompletedTask;

        public Task DeployedAsync(string modelName, DeployDecision decision, CancellationToken ct)
        {
            lock (Deployed)
            {
                Deployed.Add((modelName, decision));
            }
            return Task.CompletedTask;
        }
    }
}
