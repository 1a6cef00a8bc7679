using System.Runtime.CompilerServices;
using StrategicAgent.Ml.Features;

namespace StrategicAgent.Prediction.Domain;

/// <summary>A repository's open PRs ranked by one rework model version: riskiest first, with the feature row of each.</summary>
public sealed record ReworkRanking(LoadedModel Model, IReadOnlyList<ReworkResult> Ranked, IReadOnlyList<ReworkFeatures?> Rows)
{
    /// <summary>How long computing it took.</summary>
    public double ComputeMs { get; init; }
}

/// <summary>
/// "Riskiest open PRs of a repository", precomputed: the ranking (calibrated probabilities, risk levels, the
/// features that move each most — about 17 model passes per PR) is kept with the repository's open-PR list of the
/// tenant snapshot it was computed from, for one model version. When a snapshot (re)loads or a rework version is
/// deployed, <see cref="Warm"/> ranks in the background; meanwhile the previous ranking keeps answering, stamped with
/// the version that produced it (a response never mixes versions). A request waits only for a list that was never
/// ranked, and then for the one computation under way. Memory follows the snapshots: a ranking lives as long as its
/// list (a weak table).
/// </summary>
public sealed class ReworkRankings
{
    private readonly ConditionalWeakTable<OpenPullRequests, Holder> _holders = new();
    private long _computed;

    /// <summary>Rankings computed so far (in the background or for a request).</summary>
    public long Computed => Interlocked.Read(ref _computed);

    /// <summary>
    /// The ranking of <paramref name="open"/> for <paramref name="model"/> when it is ready; the previous version's while
    /// this one is computed; otherwise the computation under way (started if none is).
    /// </summary>
    public async ValueTask<ReworkRanking> GetAsync(OpenPullRequests open, LoadedModel model, Func<OpenPullRequests, LoadedModel, ReworkRanking> rank,
        CancellationToken ct)
    {
        var holder = _holders.GetValue(open, _ => new Holder());
        var current = holder.Ranking;
        if (current is not null && current.Model.VersionId == model.VersionId)
        {
            return current;
        }
        var pending = Start(holder, open, model, rank);
        return current ?? await pending.WaitAsync(ct);
    }

    /// <summary>Ranks <paramref name="open"/> for <paramref name="model"/> in the background unless that is done or under way.</summary>
    public void Warm(OpenPullRequests open, LoadedModel model, Func<OpenPullRequests, LoadedModel, ReworkRanking> rank) =>
        Start(_holders.GetValue(open, _ => new Holder()), open, model, rank);

    private Task<ReworkRanking> Start(Holder holder, OpenPullRequests open, LoadedModel model, Func<OpenPullRequests, LoadedModel, ReworkRanking> rank)
    {
        lock (holder)
        {
            if (holder.Ranking is { } ready && ready.Model.VersionId == model.VersionId)
            {
                return Task.FromResult(ready);
            }
            if (holder.Pending is { } running && holder.PendingVersion == model.VersionId)
            {
                return running;
            }
            var task = Task.Run(() =>
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                var ranking = rank(open, model) with { ComputeMs = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds };
                Interlocked.Increment(ref _computed);
                return ranking;
            });
            holder.Pending = task;
            holder.PendingVersion = model.VersionId;
            _ = task.ContinueWith(t =>
            {
                lock (holder)
                {
                    // An older version finishing after a newer one was asked for only fills an empty holder.
                    if (t.IsCompletedSuccessfully && (holder.Ranking is null || t.Result.Model.VersionId == holder.PendingVersion))
                    {
                        holder.Ranking = t.Result;
                    }
                    if (ReferenceEquals(holder.Pending, t))
                    {
                        holder.Pending = null; // a failure is not kept: the next request ranks again
                    }
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }
    }

    private sealed class Holder
    {
        public volatile ReworkRanking? Ranking;
        public Task<ReworkRanking>? Pending;
        public long PendingVersion;
    }
}
