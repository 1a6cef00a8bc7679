using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos.Prediction.V1;
using Xunit;

namespace StrategicAgent.Prediction.Tests;

/// <summary>
/// "Riskiest open PRs of a repository" served from the tenant's snapshot with the ranking precomputed: the same
/// numbers as asking for those PRs by key, no model work per request once ranked, and a newly deployed rework
/// version ranked in the background and then served under its own stamp. Its own service (cold snapshots).
/// </summary>
public sealed class RepositoryRankingTests(PredictionFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Repository_mode_is_served_from_a_precomputed_ranking_and_reranked_on_deploy()
    {
        await using var host = await PredictionHost.StartAsync(f, ct: Ct);
        await host.WaitForModelsAsync(PredictionFixture.Predictive, TimeSpan.FromSeconds(60));
        var rankings = host.Services.GetRequiredService<ReworkRankings>();
        var request = new ReworkRequest { Repository = "api-gateway", Limit = 8 };

        var first = await host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(request, cancellationToken: Ct);
        Assert.InRange(first.Predictions.Count, 1, 8);
        Assert.All(first.Predictions, p => Assert.True(p.Found && p.Status == "open" && p.Repository == "api-gateway", p.Message));
        Assert.Equal(first.Predictions.Select(p => p.Probability).OrderDescending(), first.Predictions.Select(p => p.Probability));
        var rework = host.Models.Get(ModelNames.Rework);
        Assert.Equal(rework.VersionId, first.Model.VersionId);

        // The same numbers as asking for those PRs by key (computed per request, not from the ranking).
        var byKey = await host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest
        {
            PullRequests = { first.Predictions.Select(p => p.Key) },
        }, cancellationToken: Ct);
        Assert.Equal(first.Predictions.Select(p => (p.Probability, p.RiskLevel, string.Join(",", p.TopFeatures.Select(t => t.Feature)))),
            byKey.Predictions.Select(p => (p.Probability, p.RiskLevel, string.Join(",", p.TopFeatures.Select(t => t.Feature)))));
        // The full name finds the same repository; an unknown one is an entry, not an error.
        var full = await host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest { Repository = "acme/API-Gateway", Limit = 8 }, cancellationToken: Ct);
        Assert.Equal(first.Predictions.Select(p => p.Key), full.Predictions.Select(p => p.Key));
        var unknown = await host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest { Repository = "no-such-repo" }, cancellationToken: Ct);
        Assert.False(Assert.Single(unknown.Predictions).Found);

        // Once ranked, requests do no model work. The tenant's snapshot load ranks each of its repositories in the
        // background: wait until that has settled (no new ranking for 5 s), or a late one counts against the requests.
        await WaitUntil(() => rankings.Computed > 0);
        var computed = await SettledAsync(() => rankings.Computed);
        for (var i = 0; i < 20; i++)
        {
            var again = await host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(new ReworkRequest { Repository = "api-gateway", Limit = 1 + i % 8 }, cancellationToken: Ct);
            Assert.Equal(first.Predictions.Take(1 + i % 8).Select(p => (p.Key, p.Probability)), again.Predictions.Select(p => (p.Key, p.Probability)));
        }
        Assert.Equal(computed, rankings.Computed);

        // A new rework version (same artefact, new registry identity): ranked in the background, then served under its stamp.
        var next = new LoadedModel(ModelPredictor.Load(rework.Registration with { Id = rework.VersionId + 100_000, Version = rework.Version + 100 }),
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        Assert.True(host.Models.TrySwap(next, out _));
        await WaitUntil(() => rankings.Computed > computed);
        ReworkResponse swapped;
        do
        {
            swapped = await host.ClientFor(PredictionFixture.Acme).AssessReworkRiskAsync(request, cancellationToken: Ct);
        }
        while (swapped.Model.VersionId != next.VersionId && await Delay());
        Assert.Equal(next.Version, swapped.Model.Version);
        Assert.Equal(first.Predictions.Select(p => (p.Key, p.Probability)), swapped.Predictions.Select(p => (p.Key, p.Probability)));
    }

    /// <summary>The value once it has not changed for 5 s (at most 2 minutes).</summary>
    private static async Task<long> SettledAsync(Func<long> value)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        var last = value();
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow - since < TimeSpan.FromSeconds(5))
        {
            Assert.True(DateTime.UtcNow < deadline, $"still ranking after 2 minutes ({last} rankings)");
            await Task.Delay(100, Ct);
            if (value() != last)
            {
                last = value();
                since = DateTime.UtcNow;
            }
        }
        return last;
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(20, Ct);
        return true;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(20, Ct);
        }
    }
}
