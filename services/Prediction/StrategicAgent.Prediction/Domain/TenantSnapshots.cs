using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace StrategicAgent.Prediction.Domain;

/// <summary>
/// Tenant-wide feature snapshots, one per (kind, tenant): loaded once, served from memory for a TTL,
/// refreshed in the background while the old one keeps serving (stale-while-revalidate).
/// <list type="bullet">
/// <item>A load runs on its <b>own</b> cancellation (its timeout and the service's shutdown), never on a
/// caller's: a caller that gives up (deadline, disconnect) leaves the load running for the others.</item>
/// <item>Concurrent callers share <b>one</b> load (a lock per entry decides who starts it).</item>
/// <item>A <b>failed</b> load is not kept: the next caller starts a new one (a stale snapshot, if any,
/// keeps serving meanwhile).</item>
/// <item>A caller that finds no snapshot waits for the running load at most <c>wait</c>; past that it gets
/// <see cref="SnapshotLoadingException"/> with a retry hint instead of waiting into its deadline.</item>
/// </list>
/// Plain C# (no database types): the load is a delegate, so the behaviour is tested without one.
/// </summary>
public sealed class TenantSnapshots<TValue> : IDisposable where TValue : class
{
    private readonly ConcurrentDictionary<(string Kind, long ClientId), Entry> _entries = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _lastDuration = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time;
    private readonly Counter<long>? _loads;
    private long _started;
    private long _failed;

    public TenantSnapshots(TimeProvider time, Meter? meter = null)
    {
        _time = time;
        _loads = meter?.CreateCounter<long>("prediction.feature_snapshot.loads", description: "Tenant feature snapshot loads by kind and outcome");
    }

    /// <summary>
    /// Raised after a load succeeded (kind, tenant, the new value), on the loading thread, outside any lock: what is
    /// derived from a snapshot (e.g. repository rankings) is precomputed from it here.
    /// </summary>
    public event Action<string, long, TValue?>? Loaded;

    /// <summary>The snapshots of <paramref name="kind"/> currently held (any age), one per tenant.</summary>
    public IEnumerable<TValue> Ready(string kind) =>
        _entries.Where(kv => kv.Key.Kind == kind).Select(kv => kv.Value.Ready?.Value).OfType<TValue>();

    /// <summary>Loads started since creation (all kinds and tenants).</summary>
    public long LoadsStarted => Interlocked.Read(ref _started);

    /// <summary>Loads that failed since creation.</summary>
    public long LoadsFailed => Interlocked.Read(ref _failed);

    /// <summary>Loads started for one kind and tenant.</summary>
    public long LoadsOf(string kind, long clientId) => _entries.TryGetValue((kind, clientId), out var e) ? Interlocked.Read(ref e.Loads) : 0;

    /// <summary>
    /// The snapshot of (<paramref name="kind"/>, <paramref name="clientId"/>), loading it when there is none or it is
    /// older than <paramref name="ttl"/>. Returns null when the load failed (or returned null): the caller reads its
    /// keys another way. Throws <see cref="SnapshotLoadingException"/> when a first load is still running after
    /// <paramref name="wait"/>, and <see cref="OperationCanceledException"/> when <paramref name="ct"/> ends the wait
    /// (the load goes on).
    /// </summary>
    public async ValueTask<TValue?> GetAsync(string kind, long clientId, TimeSpan ttl, TimeSpan wait, TimeSpan loadTimeout,
        Func<CancellationToken, Task<TValue?>> load, CancellationToken ct)
    {
        var entry = _entries.GetOrAdd((kind, clientId), _ => new Entry());
        var now = _time.GetUtcNow();
        // Fast path, every request of a tenant: a lock-free read of an immutable pair.
        var ready = entry.Ready;
        if (ready is not null && now - ready.LoadedAt <= ttl)
        {
            return ready.Value;
        }
        Task<TValue?> loading;
        lock (entry)
        {
            ready = entry.Ready;
            if (ready is not null && now - ready.LoadedAt <= ttl)
            {
                return ready.Value;
            }
            loading = entry.Loading ?? Start(kind, clientId, entry, now, loadTimeout, load);
        }
        if (ready is not null)
        {
            return ready.Value; // stale while the refresh runs
        }
        try
        {
            return await loading.WaitAsync(wait, _time, ct);
        }
        catch (TimeoutException) when (!loading.IsCompleted)
        {
            DateTimeOffset started;
            lock (entry)
            {
                started = entry.LoadStarted;
            }
            var elapsed = _time.GetUtcNow() - started;
            var expected = _lastDuration.TryGetValue(kind, out var d) ? d : elapsed + elapsed;
            var remaining = expected - elapsed;
            throw new SnapshotLoadingException(kind, clientId, elapsed,
                TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(remaining.TotalSeconds), 1, 60)));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return null; // the load failed (already logged by the caller's load); read the keys another way
        }
    }

    private Task<TValue?> Start(string kind, long clientId, Entry entry, DateTimeOffset now, TimeSpan timeout, Func<CancellationToken, Task<TValue?>> load)
    {
        Interlocked.Increment(ref _started);
        Interlocked.Increment(ref entry.Loads);
        entry.LoadStarted = now;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        cts.CancelAfter(timeout);
        // Task.Run: the load never runs synchronously inside a caller's lock or on its token.
        var task = Task.Run(() => load(cts.Token), CancellationToken.None);
        // Set before the continuation is attached: a load that already finished runs it inline (this thread holds
        // the entry's lock, which is re-entrant) and must find itself to clear.
        entry.Loading = task;
        _ = task.ContinueWith(t =>
        {
            cts.Dispose();
            lock (entry)
            {
                entry.Loading = null;
                if (t.IsCompletedSuccessfully)
                {
                    entry.Ready = new ReadyValue(t.Result, now);
                    _lastDuration[kind] = _time.GetUtcNow() - now;
                }
            }
            if (!t.IsCompletedSuccessfully)
            {
                Interlocked.Increment(ref _failed);
            }
            else
            {
                Loaded?.Invoke(kind, clientId, t.Result);
            }
            _loads?.Add(1, new KeyValuePair<string, object?>("kind", kind),
                new KeyValuePair<string, object?>("outcome", t.IsCompletedSuccessfully ? "loaded" : "failed"));
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private sealed record ReadyValue(TValue? Value, DateTimeOffset LoadedAt);

    private sealed class Entry
    {
        public volatile ReadyValue? Ready;
        public Task<TValue?>? Loading;
        public DateTimeOffset LoadStarted;
        public long Loads;
    }
}

/// <summary>A tenant's feature snapshot is still loading and the caller cannot wait longer: retry after <see cref="RetryLaterException.RetryAfter"/>.</summary>
public sealed class SnapshotLoadingException(string kind, long clientId, TimeSpan elapsed, TimeSpan retryAfter)
    : RetryLaterException($"The {kind} features of this tenant are being loaded (started {elapsed.TotalSeconds:0.#} s ago); retry in {retryAfter.TotalSeconds:0} s.", retryAfter)
{
    public string Kind { get; } = kind;
    public long ClientId { get; } = clientId;
}
