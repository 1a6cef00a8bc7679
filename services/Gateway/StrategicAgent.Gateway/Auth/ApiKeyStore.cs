using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.Data;
using StrategicAgent.Gateway.Extensions;

namespace StrategicAgent.Gateway.Auth;

/// <summary>
/// Resolves an API key to its tenant and scopes against the primary's <c>api_keys</c> table, caching each
/// answer briefly. Cache entries are keyed by the key's hash, so clear keys never sit in memory
/// longer than the request that carried them.
/// </summary>
public sealed class ApiKeyStore([FromKeyedServices(ReplicaDataSourceExtensions.PrimaryServiceKey)] NpgsqlDataSource primary, IOptions<ApiKeyOptions> options, ILogger<ApiKeyStore> logger) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.CacheSize });
    private readonly ApiKeyOptions _options = options.Value;

    /// <summary>The tenant and scopes of an active key of an active client, or null.</summary>
    /// <exception cref="KeyStoreUnavailableException">The primary could not be asked.</exception>
    public async Task<ApiKeyIdentity?> ResolveAsync(string key, CancellationToken ct)
    {
        var hash = ApiKeys.Hash(key);
        if (_cache.TryGetValue(hash, out ApiKeyIdentity? cached))
        {
            return cached;
        }

        ApiKeyIdentity? identity;
        try
        {
            identity = await ApiKeys.ResolveIdentityAsync(primary, key, ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Could not resolve an API key against the primary");
            throw new KeyStoreUnavailableException(ex);
        }

        var ttl = TimeSpan.FromSeconds(identity is null ? _options.NegativeCacheSeconds : _options.CacheSeconds);
        if (ttl > TimeSpan.Zero)
        {
            _cache.Set(hash, identity, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = 1 });
        }
        return identity;
    }

    public void Dispose() => _cache.Dispose();
}

/// <summary>The key store (the primary) did not answer; the caller gets 503, not 401.</summary>
public sealed class KeyStoreUnavailableException(Exception inner)
    : Exception("The API key store is unavailable.", inner);
