using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Models;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Domain;

/// <summary>A deploy request that cannot be carried out as asked (no such version, nothing to roll back to …).</summary>
public sealed class DeployRejectedException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// Deploy strategies. best_score: a candidate replaces the deployed version only if it scores
/// higher on the key metric (R², AUC, unified score) evaluated on the same newest data;
/// most_recent: the newest version; rollback: the version deployed before the current one;
/// specific: a version id. Every deploy is recorded and published.
/// </summary>
public sealed class DeployService(
    ITrainingStore store,
    ModelRegistryReader registry,
    IFeatureSource source,
    ITrainingEvents events,
    IOptions<TrainingOptions> options,
    ILogger<DeployService> logger)
{
    /// <summary>The deploy step right after a training.</summary>
    public async Task<DeployDecision> AfterTrainingAsync(DeployStrategy strategy, TrainedModel trained, RegisteredModel version, CancellationToken ct)
    {
        if (strategy == DeployStrategy.None)
        {
            return new DeployDecision(false, strategy, "Not deployed: deploy strategy none.", version.Id, version.Version, null, null);
        }
        if (strategy == DeployStrategy.BestScore)
        {
            var deployed = await registry.GetDeployedAsync(trained.Set.ModelName, ct);
            if (deployed is not null)
            {
                var comparison = Compare(trained.KeyMetric, trained.KeyScore, deployed, trained.EvaluateOnTest, trained.Statistics.TestRows);
                if (!comparison.CandidateWins)
                {
                    logger.LogInformation("Kept {Model} v{Deployed}: {Reason}", trained.Set.ModelName, deployed.Version, comparison.Reason);
                    return new DeployDecision(false, strategy, comparison.Reason, version.Id, version.Version, deployed.Id, null);
                }
                return await DeployAndPublishAsync(trained.Set.ModelName, version.Id, strategy, comparison.Reason, ct);
            }
            return await DeployAndPublishAsync(trained.Set.ModelName, version.Id, strategy,
                $"No version was deployed; v{version.Version} deployed ({trained.KeyMetric} = {F(trained.KeyScore)}).", ct);
        }
        return await DeployAndPublishAsync(trained.Set.ModelName, version.Id, strategy, $"Most recent version v{version.Version} deployed.", ct);
    }

    /// <summary>An explicit deploy (admin API).</summary>
    public async Task<DeployDecision> DeployAsync(string model, DeployStrategy strategy, long? versionId, CancellationToken ct)
    {
        model = ModelCatalog.Get(model).Name;
        if (!DeployStrategies.ForDeploy.Contains(strategy))
        {
            throw new ArgumentException(
                $"Deploy strategy '{(Enum.IsDefined(strategy) ? strategy.ToText() : strategy.ToString())}' is not one a deploy can use. Use one of: {DeployStrategies.Names(DeployStrategies.ForDeploy)}.");
        }
        var versions = await registry.ListVersionsAsync(model, ct);
        var deployed = versions.FirstOrDefault(v => v.Status == VersionStatus.Deployed);
        switch (strategy)
        {
            case DeployStrategy.Specific:
                {
                    if (versionId is not > 0)
                    {
                        throw new ArgumentException("Strategy specific needs version_id (a version id from ListVersions).");
                    }
                    var v = versions.FirstOrDefault(x => x.Id == versionId)
                        ?? throw new DeployRejectedException($"Model '{model}' has no version with id {versionId}.", notFound: true);
                    EnsureDeployable(v);
                    if (deployed?.Id == v.Id) return Already(v, strategy);
                    return await DeployAndPublishAsync(model, v.Id, strategy, $"Version v{v.Version} (id {v.Id}) deployed on request.", ct);
                }
            case DeployStrategy.Rollback:
                {
                    var last = await store.LatestDeploymentAsync(model, ct)
                        ?? throw new DeployRejectedException($"Model '{model}' has never been deployed: nothing to roll back.");
                    if (last.PreviousVersionId is not { } previous)
                    {
                        throw new DeployRejectedException($"Model '{model}' has no version deployed before the current one: nothing to roll back to.");
                    }
                    var v = versions.First(x => x.Id == previous);
                    EnsureDeployable(v);
                    return await DeployAndPublishAsync(model, v.Id, strategy, $"Rolled back to v{v.Version} (id {v.Id}).", ct);
                }
            case DeployStrategy.MostRecent:
                {
                    var v = versions.Where(x => x.Status != VersionStatus.Failed).MaxBy(x => x.Version)
                        ?? throw new DeployRejectedException($"Model '{model}' has no trained version yet: train it first.");
                    if (deployed?.Id == v.Id) return Already(v, strategy);
                    return await DeployAndPublishAsync(model, v.Id, strategy, $"Most recent version v{v.Version} deployed.", ct);
                }
            default:
                {
                    var candidate = versions.Where(x => x.Status is VersionStatus.Trained or VersionStatus.Retired && x.Id != deployed?.Id).MaxBy(x => x.Version)
                        ?? throw new DeployRejectedException($"Model '{model}' has no undeployed version to compare with the deployed one: train it first.");
                    if (deployed is null)
                    {
                        return await DeployAndPublishAsync(model, candidate.Id, strategy, $"No version was deployed; v{candidate.Version} deployed.", ct);
                    }
                    var h = options.Value.HyperparametersFor(model);
                    var (evaluate, testRows) = await NewestEvaluatorAsync(model, h, ct);
                    var full = await registry.GetVersionAsync(candidate.Id, withArtifact: true, ct) ?? throw new DeployRejectedException("The candidate vanished.", true);
                    var key = Ml.Modeling.Metrics.KeyMetric(FeatureSet.For(model).Task);
                    var score = evaluate(ModelPredictor.Load(full)).GetValueOrDefault(key, double.NaN);
                    var comparison = Compare(key, score, deployed, evaluate, testRows, candidate.Version);
                    if (!comparison.CandidateWins)
                    {
                        return new DeployDecision(false, strategy, comparison.Reason, candidate.Id, candidate.Version, deployed.Id, null);
                    }
                    return await DeployAndPublishAsync(model, candidate.Id, strategy, comparison.Reason, ct);
                }
        }
    }

    private (bool CandidateWins, string Reason) Compare(string key, double candidateScore, RegisteredModel deployedSummary,
        Func<ModelPredictor, Dictionary<string, double>> evaluate, int testRows, int? candidateVersion = null)
    {
        double deployedScore;
        try
        {
            var deployed = deployedSummary.Artifact is null ? registry.GetVersionAsync(deployedSummary.Id, true, CancellationToken.None).GetAwaiter().GetResult()! : deployedSummary;
            deployedScore = evaluate(ModelPredictor.Load(deployed)).GetValueOrDefault(key, double.NaN);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A deployed version that cannot even be evaluated (schema changed, artefact unreadable) loses.
            logger.LogWarning(e, "Deployed {Model} v{Version} could not be evaluated on the newest data", deployedSummary.ModelName, deployedSummary.Version);
            return (true, $"The deployed v{deployedSummary.Version} could not be evaluated on the newest data ({e.Message}); the candidate replaces it.");
        }
        var who = candidateVersion is { } cv ? $"v{cv}" : "The new version";
        if (double.IsNaN(candidateScore))
        {
            return (false, $"{who} has no {key} on the newest data; v{deployedSummary.Version} stays deployed.");
        }
        if (double.IsNaN(deployedScore) || candidateScore > deployedScore)
        {
            return (true, $"{who} is better on the same {testRows} newest rows: {key} {F(candidateScore)} > {F(deployedScore)} of the deployed v{deployedSummary.Version}.");
        }
        return (false, $"{who} is not better on the same {testRows} newest rows: {key} {F(candidateScore)} ≤ {F(deployedScore)} of the deployed v{deployedSummary.Version}, which stays deployed.");
    }

    private async Task<DeployDecision> DeployAndPublishAsync(string model, long versionId, DeployStrategy strategy, string reason, CancellationToken ct)
    {
        var decision = await store.DeployAsync(model, versionId, strategy, reason, ct);
        logger.LogInformation("Deployed {Model} v{Version} (id {VersionId}) by {Strategy}: {Reason}", model, decision.Version, versionId, strategy.ToText(), reason);
        await events.DeployedAsync(model, decision, CancellationToken.None);
        return decision;
    }

    private static DeployDecision Already(RegisteredModel v, DeployStrategy strategy) =>
        new(false, strategy, $"v{v.Version} (id {v.Id}) is already deployed.", v.Id, v.Version, null, null);

    private static void EnsureDeployable(RegisteredModel v)
    {
        if (v.Status == VersionStatus.Failed)
        {
            throw new DeployRejectedException($"Version v{v.Version} (id {v.Id}) of '{v.ModelName}' failed to train ({v.FailureReason}) and has no model to deploy.");
        }
    }

    /// <summary>The evaluation the trainer would use: the newest test slice of the model's current rows.</summary>
    private async Task<(Func<ModelPredictor, Dictionary<string, double>> Evaluate, int TestRows)> NewestEvaluatorAsync(string model, Hyperparameters h, CancellationToken ct)
    {
        var test = await ModelCatalog.Get(model).NewestTestAsync(source, h, ct);
        return (test.Evaluate, test.TestRows);
    }

    private static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
}
