using Microsoft.Extensions.Time.Testing;
using StrategicAgent.Prediction.Domain;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The tenant snapshot cache's rules with loads the test controls: one load shared by concurrent callers, a
/// load that outlives the caller who started it, a failed load not kept, a caller that cannot wait told when to
/// retry, an expired snapshot served while it refreshes.
/// </summary>
public sealed class TenantSnapshotsTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromMinutes(2);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Concurrent_callers_share_one_load()
    {
        using var snapshots = new TenantSnapshots<string>(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 50)
            .Select(_ => Task.Run(() => snapshots.GetAsync("unified", 1, Ttl, Wait, LoadTimeout, _ => release.Task, Ct).AsTask(), Ct))
            .ToList();
        await WaitUntil(() => snapshots.LoadsStarted == 1);
        release.SetResult("rows of tenant 1");

        var values = await Task.WhenAll(calls);
        Assert.All(values, v => Assert.Equal("rows of tenant 1", v));
        Assert.Equal(1, snapshots.LoadsOf("unified", 1));
        // Another tenant (or kind) has its own load.
        Assert.Equal("t2", await snapshots.GetAsync("unified", 2, Ttl, Wait, LoadTimeout, _ => Task.FromResult<string?>("t2"), Ct));
        Assert.Equal(2, snapshots.LoadsStarted);
    }

    [Fact]
    public async Task A_load_outlives_the_caller_that_started_it()
    {
        using var snapshots = new TenantSnapshots<string>(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken loadToken = default;
        using var first = new CancellationTokenSource();
        var firstCall = snapshots.GetAsync("unified", 1, Ttl, Wait, LoadTimeout, t => { loadToken = t; return release.Task; }, first.Token).AsTask();
        await WaitUntil(() => snapshots.LoadsStarted == 1);

        first.Cancel(); // the first caller's deadline passes
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => firstCall);
        Assert.False(loadToken.IsCancellationRequested, "the load must not run on the caller's token");

        var second = snapshots.GetAsync("unified", 1, Ttl, Wait, LoadTimeout, _ => Task.FromResult<string?>("a second load"), Ct).AsTask();
        release.SetResult("the first load");
        Assert.Equal("the first load", await second);
        Assert.Equal(1, snapshots.LoadsStarted);
        Assert.Equal(0, snapshots.LoadsFailed);
    }

    [Fact]
    public async Task A_failed_load_is_not_kept_the_next_caller_loads_again()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var snapshots = new TenantSnapshots<string>(time);
        var failed = await snapshots.GetAsync("unified", 1, Ttl, Wait, LoadTimeout,
            _ => Task.FromException<string?>(new TimeoutException("query cancelled")), Ct);
        Assert.Null(failed); // the caller reads its keys another way
        Assert.Equal(1, snapshots.LoadsFailed);

        // At once, not after the TTL: the failure was not cached.
        var loaded = await snapshots.GetAsync("unified", 1, Ttl, Wait, LoadTimeout, _ => Task.FromResult<string?>("loaded"), Ct);
        Assert.Equal("loaded", loaded);
        Assert.Equal(2, snapshots.LoadsOf("unified", 1));
    }

    [Fact]
    public async Task A_caller_that_cannot_wait_is_told_when_to_retry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var snapshots = new TenantSnapshots<string>(time);
        // A previous load of this kind took 8 s: that is the estimate for the next one.
        var slow = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var warm = snapshots.GetAsync("unified", 9, Ttl, Wait, LoadTimeout, _ => slow.Task, Ct).AsTask();
        await WaitUntil(() => snapshots.LoadsStarted == 1);
        time.Advance(TimeSpan.FromSeconds(8));
        slow.SetResult("t9");
        await warm;

        var release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loading = await Assert.ThrowsAsync<SnapshotLoadingException>(() =>
            snapshots.GetAsync("unified", 1, Ttl, TimeSpan.Zero, LoadTimeout, _ => release.Task, Ct).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(8), loading.RetryAfter);
        Assert.Contains("being loaded", loading.Message);
        Assert.Contains("retry in 8 s", loading.Message);

        time.Advance(TimeSpan.FromSeconds(5));
        var again = await Assert.ThrowsAsync<SnapshotLoadingException>(() =>
            snapshots.GetAsync("unified", 1, Ttl, TimeSpan.Zero, LoadTimeout, _ => release.Task, Ct).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(3), again.RetryAfter);
        Assert.Equal(1, snapshots.LoadsOf("unified", 1)); // still the one load

        release.SetResult("t1");
        await WaitUntil(() => snapshots.GetAsync("unified", 1, Ttl, TimeSpan.Zero, LoadTimeout, _ => release.Task, Ct).AsTask()
            .ContinueWith(t => t.IsCompletedSuccessfully && t.Result == "t1", TaskScheduler.Default).Result);
    }

    [Fact]
    public async Task An_expired_snapshot_serves_while_one_refresh_runs()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var snapshots = new TenantSnapshots<string>(time);
        Assert.Equal("v1", await snapshots.GetAsync("epic", 1, Ttl, Wait, LoadTimeout, _ => Task.FromResult<string?>("v1"), Ct));
        time.Advance(Ttl + TimeSpan.FromSeconds(1));

        var refresh = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < 5; i++)
        {
            // Expired: served at once, one refresh started for all of them.
            Assert.Equal("v1", await snapshots.GetAsync("epic", 1, Ttl, Wait, LoadTimeout, _ => refresh.Task, Ct));
        }
        Assert.Equal(2, snapshots.LoadsOf("epic", 1));
        refresh.SetResult("v2");
        await WaitUntil(() => snapshots.GetAsync("epic", 1, Ttl, Wait, LoadTimeout, _ => refresh.Task, Ct).AsTask().Result == "v2");
        Assert.Equal(2, snapshots.LoadsOf("epic", 1));
    }

    [Fact]
    public async Task A_load_runs_on_its_own_timeout()
    {
        using var snapshots = new TenantSnapshots<string>(TimeProvider.System);
        var value = await snapshots.GetAsync("pr", 1, Ttl, Wait, TimeSpan.FromMilliseconds(50),
            async t => { await Task.Delay(Timeout.Infinite, t); return "never"; }, Ct);
        Assert.Null(value);
        Assert.Equal(1, snapshots.LoadsFailed);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(5, Ct);
        }
    }
}
