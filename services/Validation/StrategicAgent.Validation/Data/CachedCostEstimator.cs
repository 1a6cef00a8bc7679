using System.Globalization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StrategicAgent.Validation.Domain;

namespace StrategicAgent.Validation.Data;

/// <summary>
/// Remembers EXPLAIN estimates for <c>Validation:Cost:CacheSeconds</c>, keyed by tenant, the text the cost check
/// plans (<see cref="PlanSafeSql"/>: every literal a typed parameter, so two queries that differ only in their
/// values — the same question over another window — are the same key) with its parameter types, and the caller's
/// parameter count. That is exact, not an approximation: the estimate is of the generic plan of that text
/// (<c>EXPLAIN EXECUTE</c> with NULLs), which binds no value, so the values cannot change it.
/// The tenant is part of the key because the planner may evaluate row-level security's
/// stable <c>app_current_client_id()</c> while estimating selectivity, so a large tenant's estimate can
/// differ from a small one's. Only estimates are kept (plan errors and unreachable replicas are never
/// cached, SQL the cost check cannot make plan-safe is never looked up), and the limits are applied to a
/// remembered estimate exactly as to a fresh one. Statistics change only when the replica is analysed, so a
/// short lifetime loses nothing.
/// </summary>
public sealed class CachedCostEstimator(ICostEstimator inner, IOptions<ValidationOptions> options) : ICostEstimator, IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.Cost.CacheEntries });
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(options.Value.Cost.CacheSeconds);

    public async Task<CostOutcome> EstimateAsync(string sql, PlanSafeSql safe, int parameterCount, long clientId, CancellationToken ct)
    {
        if (_ttl <= TimeSpan.Zero || safe.Error is not null)
        {
            return await inner.EstimateAsync(sql, safe, parameterCount, clientId, ct);
        }
        var key = (clientId, safe.Text, string.Join(",", safe.ParameterTypes), parameterCount);
        if (_cache.TryGetValue(key, out CostOutcome? known) && known is not null)
        {
            return known with { Cached = true };
        }
        var outcome = await inner.EstimateAsync(sql, safe, parameterCount, clientId, ct);
        if (outcome.Error is null)
        {
            _cache.Set(key, outcome, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _ttl, Size = 1 });
        }
        return outcome;
    }

    public void Dispose() => _cache.Dispose();

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{inner} with a {_ttl.TotalSeconds:0} s estimate cache");
}
