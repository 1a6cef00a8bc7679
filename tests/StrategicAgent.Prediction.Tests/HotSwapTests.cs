using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.Contracts;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Protos.Prediction.V1;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// Deploying a new version while requests keep coming: no request fails, every response names
/// one version, and its numbers are exactly that version's numbers (no response mixes two).
/// Once with the in-memory bus, once through a real RabbitMQ broker.
/// The candidate is deployed in the shared registry for a moment, which the fixture's own service
/// could pick up when it polls (every minute): so these tests run alone, never next to tests that
/// expect the fixture's models.
/// </summary>
[Collection(nameof(HotSwapTests))]
public sealed class HotSwapTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly SemaphoreSlim Sequential = new(1, 1);

    /// <summary>Trains a second complexity version (different seed and size) without deploying it.</summary>
    private async Task<long> TrainCandidateAsync(int seed)
    {
        var outcome = await f.Training.TrainAsync(ModelNames.Complexity, DeployStrategy.None,
            new Dictionary<string, string> { ["iterations"] = "40", ["leaves"] = "7", ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) }, Ct);
        return outcome.Version!.Id;
    }

    private static async Task<Dictionary<string, double>> PointsAsync(PredictionHost host, IReadOnlyList<string> keys)
    {
        var r = await host.ClientFor(PredictionFixture.Acme).EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { keys } }, cancellationToken: Ct);
        return r.Predictions.ToDictionary(p => p.Key, p => p.StoryPoints);
    }

    private async Task RunSwapUnderLoadAsync(PredictionHost host, Func<ModelDeployed, Task> publish)
    {
        var keys = await f.KeysAsync(PredictionFixture.StoryKeysSql, PredictionFixture.Acme, 5, Ct);
        await host.WaitForModelsAsync([ModelNames.Complexity], TimeSpan.FromSeconds(60));
        var before = host.Models.Get(ModelNames.Complexity);
        var expected = new Dictionary<long, Dictionary<string, double>> { [before.Version] = await PointsAsync(host, keys) };
        var candidate = await TrainCandidateAsync(seed: Random.Shared.Next(1000, 9999));

        var failures = new ConcurrentBag<Exception>();
        var responses = new ConcurrentBag<(long Version, Dictionary<string, double> Points, long Order)>();
        long order = 0;
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var r = await host.ClientFor(PredictionFixture.Acme).EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { keys } });
                    responses.Add((r.Model.Version, r.Predictions.ToDictionary(p => p.Key, p => p.StoryPoints), Interlocked.Increment(ref order)));
                }
                catch (Exception ex)
                {
                    failures.Add(ex);
                }
            }
        })).ToArray();

        await Task.Delay(500, Ct);
        var decision = await f.Training.DeployAsync(ModelNames.Complexity, DeployStrategy.Specific, candidate, Ct);
        Assert.True(decision.Deployed, decision.Reason);
        var swapClock = Stopwatch.StartNew();
        await publish(new ModelDeployed
        {
            ModelName = ModelNames.Complexity,
            VersionId = candidate,
            Version = decision.Version!.Value,
            PreviousVersionId = decision.PreviousVersionId,
            Strategy = decision.Strategy.ToText(),
            DeployedAt = decision.DeployedAt ?? DateTimeOffset.UtcNow,
        });
        await host.WaitForModelsAsync([ModelNames.Complexity], TimeSpan.FromSeconds(30), m => m.VersionId == candidate);
        var swapMs = swapClock.Elapsed.TotalMilliseconds;
        await Task.Delay(500, Ct);
        stop.Cancel();
        await Task.WhenAll(callers);

        var after = host.Models.Get(ModelNames.Complexity);
        expected[after.Version] = await PointsAsync(host, keys);
        Assert.Empty(failures);
        var versions = responses.Select(r => r.Version).Distinct().Order().ToList();
        Assert.Equal([before.Version, after.Version], versions);
        foreach (var r in responses)
        {
            // Every number in a response is the named version's number for that key.
            Assert.Equal(expected[r.Version], r.Points);
        }
        TestContext.Current.SendDiagnosticMessage(
            $"{responses.Count} requests during the swap v{before.Version} → v{after.Version} ({swapMs:0} ms from event to serving), 0 failed; " +
            $"{responses.Count(r => r.Version == before.Version)} answered by v{before.Version}, {responses.Count(r => r.Version == after.Version)} by v{after.Version}");

        // Put the fixture's version back for the other tests.
        await f.Training.DeployAsync(ModelNames.Complexity, DeployStrategy.Specific, before.VersionId, Ct);
        await publish(new ModelDeployed { ModelName = ModelNames.Complexity, VersionId = before.VersionId, Version = before.Version, Strategy = "specific", DeployedAt = DateTimeOffset.UtcNow });
        await f.Host.PublishAsync(new ModelDeployed { ModelName = ModelNames.Complexity, VersionId = before.VersionId, Version = before.Version, Strategy = "specific", DeployedAt = DateTimeOffset.UtcNow });
    }

    [Fact]
    public async Task A_deploy_during_continuous_requests_fails_none_and_mixes_no_versions()
    {
        await Sequential.WaitAsync(Ct);
        try
        {
            await using var host = await PredictionHost.StartAsync(f, ct: Ct);
            await RunSwapUnderLoadAsync(host, host.PublishAsync);
        }
        finally
        {
            Sequential.Release();
        }
    }

    [Fact]
    public async Task ModelDeployed_through_a_real_RabbitMQ_broker_swaps_the_model()
    {
        await Sequential.WaitAsync(Ct);
        var rabbit = new RabbitMqFixture();
        try
        {
            await rabbit.InitializeAsync();
            await using var host = await PredictionHost.StartAsync(f, new Dictionary<string, string?>
            {
                ["Messaging:Transport"] = "RabbitMq",
                ["ConnectionStrings:messaging"] = rabbit.ConnectionString,
            }, ct: Ct);

            // The publisher is a separate bus on the same broker, as the training service would be.
            var services = new ServiceCollection();
            services.AddMassTransit(x => x.UsingRabbitMq((_, cfg) => cfg.Host(rabbit.Uri)));
            await using var provider = services.BuildServiceProvider();
            var bus = provider.GetRequiredService<IBusControl>();
            await bus.StartAsync(Ct);
            try
            {
                await RunSwapUnderLoadAsync(host, m => bus.Publish(m, Ct));
            }
            finally
            {
                await bus.StopAsync(Ct);
            }
        }
        finally
        {
            await rabbit.DisposeAsync();
            Sequential.Release();
        }
    }
}

/// <summary>The hot-swap tests' collection: run after the parallel ones, alone (see <see cref="HotSwapTests"/>).</summary>
[CollectionDefinition(nameof(HotSwapTests), DisableParallelization = true)]
public sealed class HotSwapCollection;
