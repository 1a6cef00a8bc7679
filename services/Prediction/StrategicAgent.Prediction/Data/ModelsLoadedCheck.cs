using Microsoft.Extensions.Diagnostics.HealthChecks;
using StrategicAgent.Prediction.Domain;

namespace StrategicAgent.Prediction.Data;

/// <summary>
/// Readiness: the registry has been read once since the start. Until then a request for a model
/// cannot be told "not deployed" (it may be loading), so the service is not ready for traffic.
/// </summary>
public sealed class ModelsLoadedCheck(DeployedModels<LoadedModel> models) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(models.Loaded
            ? HealthCheckResult.Healthy($"{models.All.Count} deployed model(s) loaded.")
            : HealthCheckResult.Unhealthy("The deployed models are still being loaded from the registry."));
}
