using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos.Prediction.V1;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// The tenant snapshot load as the service runs it, over gRPC against the real replica (each test its own
/// service, so its snapshots start cold): a failed load is not served afterwards, concurrent first callers share
/// one load, a load outlives the caller whose deadline passed, and a caller that cannot wait is told when to retry.
/// </summary>
public sealed class SnapshotServingTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TenantSnapshots<IReadOnlyDictionary<string, object>> Snapshots(PredictionHost host) =>
        host.Services.GetRequiredService<TenantSnapshots<IReadOnlyDictionary<string, object>>>();

    private async Task<PredictionHost> StartAsync(Dictionary<string, string?>? overrides = null)
    {
        var host = await PredictionHost.StartAsync(f, overrides, ct: Ct);
        await host.WaitForModelsAsync(PredictionFixture.Predictive, TimeSpan.FromSeconds(60));
        return host;
    }

    private static void AssertServed(UnifiedResponse response, IReadOnlyList<string> keys)
    {
        Assert.Equal(keys, response.Predictions.Select(p => p.Key));
        foreach (var p in response.Predictions)
        {
            Assert.True(p.Found, p.Message);
            Assert.InRange(p.LeadTimeDays, p.LeadTimeLowDays, p.LeadTimeHighDays);
            Assert.InRange(p.StoryPoints, p.StoryPointsLow, p.StoryPointsHigh);
            Assert.InRange(p.ReworkProbability, 0, 1);
            Assert.Equal(0.8, p.IntervalLevel, 3);
        }
    }

    [Fact]
    public async Task A_failed_load_is_not_served_afterwards_the_next_call_loads_again()
    {
        await using var proxy = new TcpProxy(f.ReplicaPort); // not started: the replica is unreachable for feature reads
        await using var host = await StartAsync(new() { ["ConnectionStrings:replica-reader"] = proxy.Via(f.ReplicaReaderConnectionString) });
        var keys = await f.KeysAsync(PredictionFixture.UnifiedKeysSql, PredictionFixture.Acme, 10, Ct);

        var down = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.PredictUnifiedAsync(new UnifiedRequest { ClientId = PredictionFixture.Acme, IssueKeys = { keys } }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, down.StatusCode); // never Unknown
        Assert.Contains("replica", down.Status.Detail);
        Assert.Equal(1, Snapshots(host).LoadsFailed);

        proxy.Start();
        // At once (not after the 30 s TTL): the failure was not kept.
        var response = await host.Client.PredictUnifiedAsync(new UnifiedRequest { ClientId = PredictionFixture.Acme, IssueKeys = { keys } }, cancellationToken: Ct);
        AssertServed(response, keys);
        Assert.Equal(2, Snapshots(host).LoadsOf("unified", PredictionFixture.Acme));
    }

    [Fact]
    public async Task Concurrent_first_callers_share_one_load()
    {
        await using var host = await StartAsync();
        var keys = await f.KeysAsync(PredictionFixture.UnifiedKeysSql, PredictionFixture.Globex, 40, Ct);
        var calls = Enumerable.Range(0, 16).Select(i =>
        {
            var mine = keys.Skip(i * 2).Take(3).ToList();
            return (Keys: mine, Call: host.Client.PredictUnifiedAsync(new UnifiedRequest { ClientId = PredictionFixture.Globex, IssueKeys = { mine } },
                cancellationToken: Ct).ResponseAsync);
        }).ToList();
        await Task.WhenAll(calls.Select(c => c.Call));

        foreach (var (mine, call) in calls)
        {
            AssertServed(await call, mine);
        }
        Assert.Equal(1, Snapshots(host).LoadsOf("unified", PredictionFixture.Globex));
        Assert.Equal(0, Snapshots(host).LoadsFailed);
    }

    [Fact]
    public async Task A_load_outlives_the_caller_whose_deadline_passed()
    {
        await using var host = await StartAsync();
        var keys = await f.KeysAsync(PredictionFixture.UnifiedKeysSql, 3, 5, Ct);
        var snapshots = Snapshots(host);

        // Hold the load: a lock on a small table every feature load reads (released within seconds).
        await using var locker = await f.OpenReplicaAsync(Ct);
        await using var tx = await locker.BeginTransactionAsync(Ct);
        await using (var lockCmd = new NpgsqlCommand("LOCK TABLE status_mappings IN ACCESS EXCLUSIVE MODE", locker, tx))
        {
            await lockCmd.ExecuteNonQueryAsync(Ct);
        }
        var first = host.Client.PredictUnifiedAsync(new UnifiedRequest { ClientId = 3, IssueKeys = { keys } },
            deadline: DateTime.UtcNow.AddMilliseconds(800), cancellationToken: Ct).ResponseAsync;
        var ended = await Assert.ThrowsAsync<RpcException>(() => first);
        Assert.Contains(ended.StatusCode, new[] { StatusCode.DeadlineExceeded, StatusCode.Cancelled });
        Assert.Equal(1, snapshots.LoadsOf("unified", 3)); // the first caller started it

        var second = host.Client.PredictUnifiedAsync(new UnifiedRequest { ClientId = 3, IssueKeys = { keys } }, cancellationToken: Ct).ResponseAsync;
        await Task.Delay(200, Ct);
        await tx.RollbackAsync(Ct); // the load goes on

        AssertServed(await second, keys);
        Assert.Equal(1, snapshots.LoadsOf("unified", 3)); // the same load served the second caller
        Assert.Equal(0, snapshots.LoadsFailed);
    }

    [Fact]
    public async Task A_caller_that_cannot_wait_gets_Unavailable_with_a_retry_hint()
    {
        await using var host = await StartAsync(new() { ["Prediction:TenantSnapshotWait"] = "00:00:00" });
        var keys = await f.KeysAsync(PredictionFixture.UnifiedKeysSql, PredictionFixture.Acme, 5, Ct);
        var request = new UnifiedRequest { ClientId = PredictionFixture.Acme, IssueKeys = { keys } };

        var loading = await Assert.ThrowsAsync<RpcException>(() => host.Client.PredictUnifiedAsync(request, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, loading.StatusCode);
        Assert.Contains("unified features of this tenant are being loaded", loading.Status.Detail);
        var retryAfter = int.Parse(loading.Trailers.GetValue(Grpc.PredictionGrpcService.RetryAfterTrailer)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);

        // Retrying (sooner than the hint: the test does not wait seconds) is served once the load is done.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                AssertServed(await host.Client.PredictUnifiedAsync(request, cancellationToken: Ct), keys);
                break;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, Ct);
            }
        }
        Assert.Equal(1, Snapshots(host).LoadsOf("unified", PredictionFixture.Acme));
    }
}
