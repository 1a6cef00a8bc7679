using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;
using StrategicAgent.Prediction.Domain;

namespace StrategicAgent.Prediction.Data;

/// <summary>
/// Keeps <see cref="DeployedModels{TModel}"/> in step with the registry: asks which version of a
/// model is deployed (a cheap query), and only when it differs from the one in memory reads the
/// artefact, loads it through the ML library and swaps it in. A version that fails to load
/// leaves the previous one serving.
/// </summary>
public sealed partial class ModelLoader(
    NpgsqlDataSource replica,
    DeployedModels<LoadedModel> models,
    TimeProvider time,
    ILogger<ModelLoader> logger) : IModelLoadErrors
{
    private const string DeployedSql =
        """
        SELECT v.id,
               (SELECT max(d.deployed_at) FROM ml.model_deployments d WHERE d.model_name = v.model_name AND d.version_id = v.id)
        FROM ml.model_versions v
        WHERE v.model_name = $1 AND v.status = 'deployed'
        ORDER BY v.id DESC
        LIMIT 1
        """;

    private readonly ModelRegistryReader _registry = new(replica);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _errors = new(StringComparer.Ordinal);

    /// <summary>The last load failure per model (cleared by a successful load).</summary>
    public IReadOnlyDictionary<string, string> Errors => _errors;

    public async Task RefreshAllAsync(CancellationToken ct)
    {
        var complete = true;
        foreach (var name in ModelNames.All)
        {
            try
            {
                await RefreshAsync(name, ct);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                complete = false;
                LogRegistryUnavailable(logger, ex, name);
            }
        }
        if (complete && !models.Loaded)
        {
            // From now on a missing model is "not deployed" (FailedPrecondition), no longer "still loading" (Unavailable).
            models.MarkLoaded();
        }
    }

    /// <summary>Brings one model up to the registry's deployed version; true when a new version was swapped in.</summary>
    public async Task<bool> RefreshAsync(string modelName, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(modelName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            long? versionId = null;
            DateTimeOffset? deployedAt = null;
            await using (var cmd = replica.CreateCommand(DeployedSql))
            {
                cmd.Parameters.Add(new() { Value = modelName });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                if (await r.ReadAsync(ct))
                {
                    versionId = r.GetInt64(0);
                    deployedAt = r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1);
                }
            }
            var current = models.Find(modelName);
            if (versionId is null)
            {
                if (current is not null && models.Remove(modelName))
                {
                    LogWithdrawn(logger, modelName, current.Version);
                }
                return false;
            }
            if (current?.VersionId == versionId)
            {
                return false;
            }

            var version = await _registry.GetVersionAsync(versionId.Value, withArtifact: true, ct);
            if (version is null)
            {
                return false;
            }
            LoadedModel loaded;
            try
            {
                loaded = new LoadedModel(ModelPredictor.Load(version), deployedAt ?? version.CreatedAt, time.GetUtcNow());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _errors[modelName] = $"version {version.Version} (id {version.Id}) failed to load: {ex.Message}";
                LogLoadFailed(logger, ex, modelName, version.Version, current?.Version);
                return false;
            }
            if (models.TrySwap(loaded, out var previous))
            {
                _errors.TryRemove(modelName, out _);
                LogSwapped(logger, modelName, loaded.Version, loaded.VersionId, previous?.Version);
                return true;
            }
            return false;
        }
        finally
        {
            gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} now serves version {Version} (id {VersionId}); previous version {Previous}")]
    private static partial void LogSwapped(ILogger logger, string model, int version, long versionId, int? previous);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} version {Version} failed to load; still serving version {Current}")]
    private static partial void LogLoadFailed(ILogger logger, Exception ex, string model, int version, int? current);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} has no deployed version any more; version {Version} withdrawn")]
    private static partial void LogWithdrawn(ILogger logger, string model, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry unavailable while refreshing {Model}")]
    private static partial void LogRegistryUnavailable(ILogger logger, Exception ex, string model);
}

/// <summary>Loads the deployed models at start and re-checks the registry periodically (a safety net for missed events).</summary>
public sealed partial class ModelRefresher(ModelLoader loader, IOptions<PredictionOptions> options, ILogger<ModelRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RegistryPollInterval);
        do
        {
            try
            {
                await loader.RefreshAllAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Refreshing the deployed models failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception ex);
}
