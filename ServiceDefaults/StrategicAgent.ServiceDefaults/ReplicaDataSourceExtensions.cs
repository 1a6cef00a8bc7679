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
        builder.Services.AddNpgsqlDataSource(connectionString, b => SetApplicationName(b, applicationName));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(HealthCheckName,
            sp => new DataSourceHealthCheck(sp.GetRequiredService<NpgsqlDataSource>(), probeSql, "replica"), failureStatus: null, tags: [HealthTags.Ready]));
        return true;
    }

    /// <summary>
    /// The service's <see cref="NpgsqlDataSource"/> on the primary (<c>ConnectionStrings:primary</c>), keyed
    /// <see cref="PrimaryServiceKey"/> so it is never taken for the replica by a store that injects the unkeyed
    /// one, and the readiness check <c>primary</c> (tag <see cref="HealthTags.Ready"/>). Without the connection
    /// string the start stops, saying why the service needs it (<paramref name="requiredFor"/>).
    /// </summary>
    public static TBuilder AddPrimaryDataSource<TBuilder>(this TBuilder builder, string requiredFor, string probeSql = "SELECT 1", string? applicationName = null)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(PrimaryServiceKey);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"ConnectionStrings:{PrimaryServiceKey} is required: {requiredFor}");
        }
        builder.Services.AddNpgsqlDataSource(connectionString, b => SetApplicationName(b, applicationName), serviceKey: PrimaryServiceKey);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(PrimaryServiceKey,
            sp => new DataSourceHealthCheck(sp.GetRequiredKeyedService<NpgsqlDataSource>(PrimaryServiceKey), probeSql, "primary"), failureStatus: null, tags: [HealthTags.Ready]));
        return builder;
    }

    /// <summary>Connection name, service key and health check name of the primary's data source.</summary>
    public const string PrimaryServiceKey = "primary";

    private static void SetApplicationName(NpgsqlDataSourceBuilder builder, string? applicationName)
    {
        if (applicationName is not null)
        {
            builder.ConnectionStringBuilder.ApplicationName = applicationName;
        }
    }

    private sealed class DataSourceHealthCheck(NpgsqlDataSource dataSource, string probeSql, string server) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var cmd = dataSource.CreateCommand(probeSql);
                await cmd.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // Our own description: the report may be on a public port, so never the exception's text.
                return HealthCheckResult.Unhealthy($"The {server} is unreachable (or does not answer the service's probe).", e);
            }
        }
    }
}
