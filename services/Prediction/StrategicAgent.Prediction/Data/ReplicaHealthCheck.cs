using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace StrategicAgent.Prediction.Data;

/// <summary>Ready only while the replica answers (features, models and the log all live there).</summary>
public sealed class ReplicaHealthCheck(NpgsqlDataSource replica) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var cmd = replica.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("replica unreachable", ex);
        }
    }
}
