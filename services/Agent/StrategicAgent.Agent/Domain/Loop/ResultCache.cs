using Microsoft.Extensions.Caching.Memory;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// Recent results of validated queries, per tenant and exact SQL (parameters inlined), for
/// <c>Agent:ResultCacheSeconds</c>: the same question asked again within that time is answered
/// without re-running the aggregation on the replica (its SQL is still validated). The validation
/// service's verdict on the rows is kept with them, so the same rows are not sent to be checked twice.
/// Bounded by <c>Agent:ResultCacheEntries</c>; 0 seconds turns it off. The trace says when a result came from it.
/// </summary>
public sealed class ResultCache(TimeProvider clock, int seconds, int entries) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Math.Max(1, entries), Clock = null });

    private sealed record Entry(QueryResult Result, string Shape, ResultCheck Check, DateTimeOffset At);

    /// <summary>A remembered result, the shape it was checked against and the validation service's verdict on it.</summary>
    public sealed record Hit(QueryResult Result, string Shape, ResultCheck Check, TimeSpan Age);

    public bool Enabled => seconds > 0;

    public Hit? Get(long clientId, string sql)
    {
        if (!Enabled || !_cache.TryGetValue(Key(clientId, sql), out Entry? e) || e is null)
        {
            return null;
        }
        var age = clock.GetUtcNow() - e.At;
        if (age > TimeSpan.FromSeconds(seconds))
        {
            _cache.Remove(Key(clientId, sql));
            return null;
        }
        return new Hit(e.Result, e.Shape, e.Check, age);
    }

    public void Set(long clientId, string sql, QueryResult result, string shape, ResultCheck check)
    {
        if (!Enabled)
        {
            return;
        }
        _cache.Set(Key(clientId, sql), new Entry(result, shape, check, clock.GetUtcNow()), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(seconds),
        });
    }

    private static string Key(long clientId, string sql) => clientId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\u0001" + sql;

    public void Dispose() => _cache.Dispose();
}
