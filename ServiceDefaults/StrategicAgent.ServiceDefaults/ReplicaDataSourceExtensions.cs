using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class ReplicaDataSourceExtensions
{
    public const string ConnectionName = "replica";
    public const string HealthCheckName = "replica";

    /// <summary>
    /// The service's <see cref="NpgsqlDataSource"/> on the logical replica (<c>ConnectionStrings:replica</c>,
    /// the unkeyed data source its stores inject) and the readiness check <c>replica</c> (tag
    /// <see cref="HealthTags.Ready"/>: a service whose replica does not answer <paramref name="probeSql"/> is
    /// out of rotation). Without the connection string the start stops, saying why the service needs it
    /// (<paramref name="requiredFor"/>).
    /// </summary>
    public static TBuilder AddReplicaDataSource<TBuilder>(this TBuilder builder, string requiredFor, string probeSql = "SELECT 1", string? applicationName = null)
        where TBuilder : IHostApplicationBuilder
    {
        if (!builder.TryAddReplicaDataSource(probeSql, applicationName))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} is required: {requiredFor}");
        }
        return builder;
    }

    /// <summary>As <see cref="AddReplicaDataSource"/> for a service that can run without a replica: false (and nothing registered) when <c>ConnectionStrings:replica</c> is not set.</summary>
    public static bool TryAddReplicaDataSource(this IHostApplicationBuilder builder, string probeSql = "SELECT 1", string? applicationName = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }
        builder.Services.AddNpgsqlDataSource(connectionString, b =>
        {
            if (applicationName is not null)
            {
                b.ConnectionStringBuilder.ApplicationName = applicationName;
            }
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(HealthCheckName,
            sp => new ReplicaHealthCheck(sp.GetRequiredService<NpgsqlDataSource>(), probeSql), failureStatus: null, tags: [HealthTags.Ready]));
        return true;
    }

    private sealed class ReplicaHealthCheck(NpgsqlDataSource replica, string probeSql) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var cmd = replica.CreateCommand(probeSql);
                await cmd.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // Our own description: the report may be on a public port, so never the exception's text.
                return HealthCheckResult.Unhealthy("The replica is unreachable (or does not answer the service's probe).", e);
            }
        }
    }
}
