using System.Collections.Concurrent;

namespace StrategicAgent.Prediction.Domain;

/// <summary>What every loaded model version says about itself.</summary>
public interface IModelVersion
{
    string Name { get; }
    int Version { get; }
    long VersionId { get; }
}

/// <summary>Thrown when a request needs a model that has no deployed version.</summary>
public sealed class ModelNotDeployedException(string modelName)
    : Exception($"Model '{modelName}' has no deployed version. Train and deploy it first: POST /api/v1/models/{modelName}/train " +
                $"(or the training service's Train RPC with model_name='{modelName}' and deploy_strategy='best_score'); " +
                "the prediction service picks the new version up from the ModelDeployed event.")
{
    public string ModelName { get; } = modelName;
}

/// <summary>
/// Thrown when a request needs a model before the service has read the registry once (it has just
/// started, or the replica was unreachable since): whether the model is deployed is not known yet.
/// </summary>
public sealed class ModelsLoadingException(string modelName)
    : Exception($"The prediction service is still loading its models (it has just started); '{modelName}' is not available yet. Retry in a moment.");

/// <summary>
/// The deployed version of each model, held in memory. A loaded model is immutable and is
/// replaced by reference: a request takes the current one once and uses it throughout, so a
/// swap never mixes versions inside a response and never fails a request in flight (the old
/// version stays alive until its last request lets go of it).
/// </summary>
public sealed class DeployedModels<TModel> where TModel : class, IModelVersion
{
    private readonly ConcurrentDictionary<string, TModel> _models = new(StringComparer.Ordinal);
    private long _swaps;

    /// <summary>How many times a model was installed or replaced.</summary>
    public long Swaps => Interlocked.Read(ref _swaps);

    /// <summary>Raised after a model was installed or replaced (the new one), on the thread that swapped it.</summary>
    public event Action<TModel>? Swapped;

    public TModel? Find(string name) => _models.TryGetValue(name, out var m) ? m : null;

    /// <summary>The registry has been read once: a model missing now is not deployed (before, it may still be loading).</summary>
    public bool Loaded => Volatile.Read(ref _loaded);

    private bool _loaded;

    public void MarkLoaded() => Volatile.Write(ref _loaded, true);

    public TModel Get(string name) => Find(name) ?? throw (Loaded ? new ModelNotDeployedException(name) : new ModelsLoadingException(name));

    public IReadOnlyCollection<TModel> All => [.. _models.Values];

    /// <summary>
    /// Installs <paramref name="model"/> unless the same version is already in place. Returns the
    /// version it replaced (null when none or when nothing changed).
    /// </summary>
    public bool TrySwap(TModel model, out TModel? previous)
    {
        while (true)
        {
            if (_models.TryGetValue(model.Name, out var current))
            {
                if (current.VersionId == model.VersionId)
                {
                    previous = null;
                    return false;
                }
                if (_models.TryUpdate(model.Name, model, current))
                {
                    Interlocked.Increment(ref _swaps);
                    previous = current;
                    Swapped?.Invoke(model);
                    return true;
                }
            }
            else if (_models.TryAdd(model.Name, model))
            {
                Interlocked.Increment(ref _swaps);
                previous = null;
                Swapped?.Invoke(model);
                return true;
            }
        }
    }

    /// <summary>Forgets a model (its deployment was withdrawn).</summary>
    public bool Remove(string name) => _models.TryRemove(name, out _);
}
