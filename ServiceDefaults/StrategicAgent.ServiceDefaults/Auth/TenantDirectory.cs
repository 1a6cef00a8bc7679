using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace StrategicAgent.ServiceDefaults.Auth;

/// <summary>Whether a tenant may still be served: the check behind "an inactive tenant is refused everywhere".</summary>
public interface ITenantDirectory
{
    /// <summary>True while <c>clients.active</c> is true for the tenant; false for an inactive or unknown one.</summary>
    /// <exception cref="TenantDirectoryUnavailableException">The answer could not be read.</exception>
    ValueTask<bool> IsActiveAsync(long clientId, CancellationToken ct);
}

/// <summary>The tenant check could not run (the replica did not answer): the call fails as Unavailable, not as a bad credential.</summary>
public sealed class TenantDirectoryUnavailableException(Exception inner)
    : Exception("The tenant of the caller could not be checked: the replica is unavailable.", inner);

/// <summary>
/// Asks the replica (<c>app_tenant_active(id)</c>, migration <c>Replica/0450</c>) whether a tenant is
/// active and remembers each answer for <c>Auth:TenantCacheSeconds</c> (default 30 s): a tenant
/// deactivated on the primary is refused by every service within that time plus the replication lag,
/// whatever its tokens' remaining lifetime. While the replica does not answer, a tenant keeps its last
/// answer and a tenant never checked is refused (Unavailable). It has its own two-connection pool, so a burst of calls
/// that saturates the service's pool never delays (or deadlocks) authentication.
/// </summary>
public sealed partial class ReplicaTenantDirectory : ITenantDirectory, IAsyncDisposable
{
    private readonly NpgsqlDataSource _replica;
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly ILogger<ReplicaTenantDirectory> _logger;
    private readonly ConcurrentDictionary<long, (bool Active, long Until)> _cache = new();

    public ReplicaTenantDirectory(string replicaConnectionString, IOptions<CallerAuthOptions> options, TimeProvider time, ILogger<ReplicaTenantDirectory> logger)
    {
        var builder = new NpgsqlConnectionStringBuilder(replicaConnectionString)
        {
            MaxPoolSize = 2,
            MinPoolSize = 0,
            Timeout = 5,
            CommandTimeout = 5,
            ApplicationName = "tenant-check",
        };
        _replica = NpgsqlDataSource.Create(builder.ConnectionString);
        _time = time;
        _ttl = TimeSpan.FromSeconds(options.Value.TenantCacheSeconds);
        _logger = logger;
    }

    public async ValueTask<bool> IsActiveAsync(long clientId, CancellationToken ct)
    {
        var now = _time.GetTimestamp();
        if (_cache.TryGetValue(clientId, out var entry) && now < entry.Until)
        {
            return entry.Active;
        }
        bool active;
        try
        {
            await using var cmd = _replica.CreateCommand("SELECT app_tenant_active($1)");
            cmd.Parameters.Add(new NpgsqlParameter { Value = clientId });
            active = await cmd.ExecuteScalarAsync(ct) is true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            LogUnavailable(_logger, e, clientId);
            // Stale if error: a tenant checked before keeps its last answer through a replica outage
            // (a deactivation could not reach the replica then anyway); an unchecked one is refused.
            return _cache.TryGetValue(clientId, out var stale) ? stale.Active : throw new TenantDirectoryUnavailableException(e);
        }
        if (_ttl > TimeSpan.Zero)
        {
            _cache[clientId] = (active, now + (long)(_ttl.TotalSeconds * _time.TimestampFrequency));
        }
        return active;
    }

    public ValueTask DisposeAsync() => _replica.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check whether tenant {ClientId} is active")]
    private static partial void LogUnavailable(ILogger logger, Exception ex, long clientId);
}
