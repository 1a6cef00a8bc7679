using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Options;
using StrategicAgent.Ml;
using StrategicAgent.Ml.Features;
using StrategicAgent.Ml.Modeling;

namespace StrategicAgent.Prediction.Domain;

/// <summary>
/// Serves predictions: validates the request, takes the deployed version of the model once (so
/// one response is one version), reads the tenant's features, predicts with confidence, and
/// hands every prediction to the log buffer (never waiting for the database).
/// </summary>
public sealed class PredictionServing
{
    private static readonly string[] EstimatedTypes = ["Story", "Task", "Bug"];
    private readonly DeployedModels<LoadedModel> models;
    private readonly IFeatureStore features;
    private readonly PredictionLogQueue log;
    private readonly LatencyTracker latency;
    private readonly TimeProvider time;
    private readonly ReworkRankings rankings;
    private readonly PredictionOptions _o;

    public PredictionServing(DeployedModels<LoadedModel> models, IFeatureStore features, PredictionLogQueue log, LatencyTracker latency,
        IOptions<PredictionOptions> options, TimeProvider time, ReworkRankings rankings, TenantSnapshots<IReadOnlyDictionary<string, object>> snapshots)
    {
        this.models = models;
        this.features = features;
        this.log = log;
        this.latency = latency;
        this.time = time;
        this.rankings = rankings;
        _o = options.Value;
        snapshots.Loaded += (kind, _, snapshot) =>
        {
            if (kind == FeatureKinds.PullRequests)
            {
                WarmRankings(snapshot);
            }
        };
        models.Swapped += model =>
        {
            if (model.Name == ModelNames.Rework)
            {
                foreach (var snapshot in snapshots.Ready(FeatureKinds.PullRequests))
                {
                    WarmRankings(snapshot);
                }
            }
        };
    }

    public double ReworkHighThreshold => _o.ReworkHighThreshold;
    public double ReworkMediumThreshold => _o.ReworkMediumThreshold;

    public async Task<PredictionBatch<TrajectoryResult>> TrajectoryAsync(long clientId, IReadOnlyList<string> epicKeys, CancellationToken ct)
    {
        RequestValidation.CheckTenant(clientId);
        var keys = RequestValidation.IssueKeys("epic_keys", epicKeys, _o.MaxEpicKeys);
        var model = models.Get(ModelNames.Trajectory);
        var start = Stopwatch.GetTimestamp();

        var epics = await features.EpicsAsync(clientId, keys, ct);
        var featureMs = Ms(start);

        var predictable = keys.Select(k => epics.GetValueOrDefault(k)).Where(e => e?.Row is not null).Select(e => e!).ToList();
        var modelStart = Stopwatch.GetTimestamp();
        var predictions = predictable.Count == 0 ? [] : model.Predictor.PredictRegression(predictable.Select(e => e.Row!).ToList());
        var modelMs = Ms(modelStart);
        var byId = predictions.ToDictionary(p => p.EntityId);

        var now = time.GetUtcNow();
        var results = new List<TrajectoryResult>(keys.Count);
        foreach (var key in keys)
        {
            if (!epics.TryGetValue(key, out var epic))
            {
                results.Add(TrajectoryResult.NotFound(key, $"epic '{key}' not found"));
                continue;
            }
            if (epic.IssueType != "Epic")
            {
                results.Add(TrajectoryResult.NotFound(key, $"'{key}' is a {epic.IssueType}, not an epic: use EstimateComplexity or PredictUnified for issues"));
                continue;
            }
            if (epic.Row is null || !byId.TryGetValue(epic.Id, out var p))
            {
                results.Add(TrajectoryResult.NotFound(key, $"epic '{key}' has no trajectory features (inactive or incomplete data)"));
                continue;
            }
            var current = epic.Done
                ? epic.ActualLeadTimeDays ?? Math.Max(0, ((epic.CompletedAt ?? now) - epic.StartedAt).TotalDays)
                : Math.Max(0, (now - epic.StartedAt).TotalDays);
            var completion = epic.StartedAt.AddDays(p.Value);
            var overdue = !epic.Done && now > completion;
            results.Add(new TrajectoryResult
            {
                Key = key,
                Found = true,
                Summary = epic.Summary,
                CurrentLeadTimeDays = Math.Round(current, 2),
                PredictedLeadTimeDays = Math.Round(p.Value, 2),
                LowDays = Math.Round(p.Lower, 2),
                HighDays = Math.Round(p.Upper, 2),
                StartedAt = epic.StartedAt,
                PredictedCompletion = completion,
                CompletionLow = epic.StartedAt.AddDays(p.Lower),
                CompletionHigh = epic.StartedAt.AddDays(p.Upper),
                IntervalLevel = p.Coverage,
                Confidence = Scales.IntervalConfidence(p.Value, p.Lower, p.Upper),
                Done = epic.Done,
                Overdue = overdue,
                Message = epic.Done
                    ? $"done after {current:0.#} days (predicted {p.Value:0.#})"
                    : overdue
                        ? $"open for {current:0.#} days, past the predicted {p.Value:0.#} days: the estimate reflects what was known when work started, so completion is likely later than shown"
                        : null,
            });
        }
        var totalMs = Ms(start);
        LogAll(clientId, model, now, totalMs, predictable.Select(e => (e.Key, (object)e.Row!, byId[e.Id].Value,
            (double?)Scales.IntervalConfidence(byId[e.Id].Value, byId[e.Id].Lower, byId[e.Id].Upper))));
        return new PredictionBatch<TrajectoryResult>(model.Stamp(now), results, new ServingTimings(featureMs, modelMs, totalMs));
    }

    public async Task<PredictionBatch<ComplexityResult>> ComplexityAsync(long clientId, IReadOnlyList<string> issueKeys,
        IReadOnlyList<NewIssueInput> newIssues, CancellationToken ct)
    {
        RequestValidation.CheckTenant(clientId);
        RequestValidation.CheckCount("issue_keys + new_issues", issueKeys.Count + newIssues.Count, _o.MaxIssueKeys);
        var keys = RequestValidation.IssueKeys("issue_keys", issueKeys, _o.MaxIssueKeys, newIssues.Count, "PAY-301");
        var fresh = newIssues.Select(ValidateNewIssue).ToList();
        var model = models.Get(ModelNames.Complexity);
        var start = Stopwatch.GetTimestamp();

        var existing = keys.Count == 0 ? new Dictionary<string, IssueInput>() : await features.IssuesAsync(clientId, keys, ct);
        var built = await features.NewIssuesAsync(clientId, fresh, ct);
        var featureMs = Ms(start);

        var rows = new List<(string Key, ComplexityFeatures Row)>();
        rows.AddRange(keys.Select(k => existing.GetValueOrDefault(k)).Where(i => i?.Row is not null).Select(i => (i!.Key, i.Row!)));
        rows.AddRange(built.Where(b => b.Row is not null).Select(b => ("new:" + b.Index, b.Row!)));
        var modelStart = Stopwatch.GetTimestamp();
        var predictions = rows.Count == 0 ? [] : model.Predictor.PredictRegression(rows.Select(r => r.Row).ToList());
        var modelMs = Ms(modelStart);
        var byKey = rows.Select((r, i) => (r.Key, P: predictions[i])).ToDictionary(x => x.Key, x => x.P, StringComparer.Ordinal);

        var results = new List<ComplexityResult>(keys.Count + fresh.Count);
        foreach (var key in keys)
        {
            if (!existing.TryGetValue(key, out var issue))
            {
                results.Add(ComplexityResult.NotFound(key, $"issue '{key}' not found"));
            }
            else if (!EstimatedTypes.Contains(issue.IssueType))
            {
                results.Add(ComplexityResult.NotFound(key, $"'{key}' is a {issue.IssueType}: story points are estimated for Story, Task and Bug"));
            }
            else if (!byKey.TryGetValue(key, out var p))
            {
                results.Add(ComplexityResult.NotFound(key, $"issue '{key}' has no complexity features"));
            }
            else
            {
                results.Add(Complexity(key, p, issue.StoryPoints));
            }
        }
        foreach (var b in built)
        {
            var key = "new:" + b.Index;
            results.Add(byKey.TryGetValue(key, out var p) ? Complexity(key, p, null) : ComplexityResult.NotFound(key, b.Problem ?? "no features"));
        }
        var now = time.GetUtcNow();
        var totalMs = Ms(start);
        LogAll(clientId, model, now, totalMs, rows.Select(r => (r.Key, (object)r.Row, byKey[r.Key].Value,
            (double?)Scales.IntervalConfidence(byKey[r.Key].Value, byKey[r.Key].Lower, byKey[r.Key].Upper))));
        return new PredictionBatch<ComplexityResult>(model.Stamp(now), results, new ServingTimings(featureMs, modelMs, totalMs));
    }

    private static ComplexityResult Complexity(string key, RegressionPrediction p, double? actual)
    {
        var points = Math.Max(0.1, Scales.RoundPoints(p.Value));
        return new ComplexityResult
        {
            Key = key,
            Found = true,
            StoryPoints = points,
            Low = Scales.RoundPoints(p.Lower),
            High = Scales.RoundPoints(p.Upper),
            IntervalLevel = p.Coverage,
            Fibonacci = Scales.NearestFibonacci(p.Value),
            Confidence = Scales.IntervalConfidence(p.Value, p.Lower, p.Upper),
            ActualStoryPoints = actual,
        };
    }

    private static NewIssueInput ValidateNewIssue(NewIssueInput issue, int index)
    {
        var field = $"new_issues[{index}]";
        var summary = RequestValidation.Required(field + ".summary", issue.Summary, 1000);
        if (issue.Description is { Length: > 100_000 })
        {
            throw new InvalidRequestException(field + ".description", $"{field}.description is {issue.Description.Length} characters long, at most 100000 are accepted.");
        }
        var type = RequestValidation.Required(field + ".issue_type", issue.IssueType, 20);
        var canonical = EstimatedTypes.FirstOrDefault(t => string.Equals(t, type, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidRequestException(field + ".issue_type", $"{field}.issue_type = '{type}': story points are estimated for Story, Task or Bug.");
        var project = RequestValidation.Required(field + ".project_key", issue.ProjectKey, 20).ToUpperInvariant();
        if (!project.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || !char.IsAsciiLetter(project[0]))
        {
            throw new InvalidRequestException(field + ".project_key", $"{field}.project_key = '{project}' is not a project key like 'PAY'.");
        }
        return new NewIssueInput(summary, issue.Description, canonical, project, string.IsNullOrWhiteSpace(issue.Priority) ? null : issue.Priority.Trim());
    }

    public async Task<PredictionBatch<ReworkResult>> ReworkAsync(long clientId, IReadOnlyList<string> pullRequests, string? repository, int limit, CancellationToken ct)
    {
        RequestValidation.CheckTenant(clientId);
        var byRepository = !string.IsNullOrWhiteSpace(repository);
        if (byRepository && pullRequests.Count > 0)
        {
            throw new InvalidRequestException("repository", "Give either pull_requests or repository, not both.");
        }
        IReadOnlyList<PullRequestKey> keys = [];
        string repo = "";
        if (byRepository)
        {
            repo = RequestValidation.Required("repository", repository, 200);
            if (limit < 0 || limit > _o.MaxPullRequestKeys)
            {
                throw new InvalidRequestException("limit", $"limit = {limit}: at most {_o.MaxPullRequestKeys} pull requests per request (0 = default 10).");
            }
            limit = limit == 0 ? 10 : limit;
        }
        else
        {
            keys = RequestValidation.PullRequestKeys("pull_requests", pullRequests, _o.MaxPullRequestKeys);
        }
        var model = models.Get(ModelNames.Rework);
        var start = Stopwatch.GetTimestamp();

        if (byRepository)
        {
            var open = await features.OpenPullRequestsAsync(clientId, repo, ct);
            if (open is null)
            {
                var now0 = time.GetUtcNow();
                return new PredictionBatch<ReworkResult>(model.Stamp(now0),
                    [ReworkResult.NotFound(repo, $"repository '{repo}' not found")], new ServingTimings(Ms(start), 0, Ms(start)));
            }
            var repoFeatureMs = Ms(start);
            var rankStart = Stopwatch.GetTimestamp();
            // Precomputed with the snapshot's list (or the previous version's while a new one is ranked): a lookup.
            var ranking = await rankings.GetAsync(open, model, Rank, ct);
            var rankMs = Ms(rankStart);
            var served = ranking.Ranked.Take(limit).ToList();
            var nowRepo = time.GetUtcNow();
            var repoTotalMs = Ms(start);
            LogAll(clientId, ranking.Model, nowRepo, repoTotalMs, served.Select((r, i) => (r, Row: ranking.Rows[i]))
                .Where(x => x.r.Found && x.Row is not null)
                .Select(x => (x.r.Key, (object)x.Row!, x.r.Probability, (double?)Math.Max(x.r.Probability, 1 - x.r.Probability))));
            return new PredictionBatch<ReworkResult>(ranking.Model.Stamp(nowRepo), served, new ServingTimings(repoFeatureMs, rankMs, repoTotalMs));
        }

        var found = await features.PullRequestsAsync(clientId, keys, ct);
        var featureMs = Ms(start);
        var modelStart = Stopwatch.GetTimestamp();
        var (results, rows, byKey) = ScoreRework(model, found, keys.Select(k => k.ToString()).ToList());
        var modelMs = Ms(modelStart);
        var now = time.GetUtcNow();
        var totalMs = Ms(start);
        LogAll(clientId, model, now, totalMs, rows.Select(r => (r.Key, (object)r.Row!, byKey[r.Key], (double?)Math.Max(byKey[r.Key], 1 - byKey[r.Key]))));
        return new PredictionBatch<ReworkResult>(model.Stamp(now), results, new ServingTimings(featureMs, modelMs, totalMs));
    }

    /// <summary>A repository's open PRs ranked by <paramref name="model"/>: riskiest first (then by number), each with its feature row.</summary>
    private ReworkRanking Rank(OpenPullRequests open, LoadedModel model)
    {
        var (results, _, _) = ScoreRework(model, open.Open, open.Open.Select(p => p.Key).ToList());
        var ordered = results.Select((r, i) => (Result: r, open.Open[i].Row))
            .OrderByDescending(x => x.Result.Probability).ThenBy(x => x.Result.Number).ToList();
        return new ReworkRanking(model, ordered.Select(x => x.Result).ToList(), ordered.Select(x => x.Row).ToList());
    }

    /// <summary>One result per requested key (in that order): probability, risk level and top features, or why there is none.</summary>
    private (List<ReworkResult> Results, List<PullRequestInput> Rows, Dictionary<string, double> ByKey) ScoreRework(
        LoadedModel model, IReadOnlyList<PullRequestInput> found, IReadOnlyList<string> requested)
    {
        var rows = found.Where(f => f.Row is not null).ToList();
        var probabilities = rows.Count == 0 ? [] : model.Predictor.PredictProbability(rows.Select(r => r.Row!).ToList());
        var byKey = rows.Select((r, i) => (r.Key, P: probabilities[i].Probability)).ToDictionary(x => x.Key, x => x.P, StringComparer.Ordinal);
        var contributions = Contributions(model, rows.Select(r => r.Row!).ToList(), probabilities.Select(p => p.Probability).ToList());

        var foundByKey = found.ToDictionary(f => f.Key, StringComparer.Ordinal);
        var results = new List<ReworkResult>(requested.Count);
        foreach (var key in requested)
        {
            if (!foundByKey.TryGetValue(key, out var pr))
            {
                results.Add(ReworkResult.NotFound(key, $"pull request '{key}' not found"));
            }
            else if (pr.Problem is not null)
            {
                results.Add(ReworkResult.NotFound(key, pr.Problem));
            }
            else if (!byKey.TryGetValue(key, out var p))
            {
                results.Add(ReworkResult.NotFound(key, $"pull request '{key}' has no rework features"));
            }
            else
            {
                results.Add(new ReworkResult
                {
                    Key = key,
                    Found = true,
                    Probability = Math.Round(p, 4),
                    RiskLevel = Scales.RiskLevel(p, _o.ReworkHighThreshold, _o.ReworkMediumThreshold),
                    TopFeatures = contributions.GetValueOrDefault(pr.Row!) ?? [],
                    Repository = pr.Repository,
                    Number = pr.Number,
                    Title = pr.Title,
                    Status = pr.Status,
                });
            }
        }
        return (results, rows, byKey);
    }

    /// <summary>
    /// Precomputes repository rankings when their inputs change: a tenant's PR snapshot (re)loaded ranks its
    /// repositories' open PRs with the deployed rework version; a newly deployed rework version ranks every loaded
    /// snapshot's repositories again. In the background; requests meanwhile get the previous ranking.
    /// </summary>
    private void WarmRankings(IReadOnlyDictionary<string, object>? snapshot)
    {
        if (snapshot is null || models.Find(ModelNames.Rework) is not { } model)
        {
            return;
        }
        foreach (var open in snapshot.Values.OfType<OpenPullRequests>().Distinct())
        {
            rankings.Warm(open, model, Rank);
        }
    }

    private static readonly Func<object, object> Clone = (Func<object, object>)Delegate.CreateDelegate(typeof(Func<object, object>),
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!);

    /// <summary>
    /// What pushed each probability up or down: each feature in turn is set to its typical
    /// training value (median, or most frequent category) and the change in calibrated probability
    /// is its contribution. Model-agnostic and in probability units, so it reads plainly.
    /// </summary>
    private Dictionary<ReworkFeatures, IReadOnlyList<Contribution>> Contributions(LoadedModel model, IReadOnlyList<ReworkFeatures> rows, IReadOnlyList<double> probabilities)
    {
        var result = new Dictionary<ReworkFeatures, IReadOnlyList<Contribution>>(ReferenceEqualityComparer.Instance);
        var candidates = model.FeatureSet.Features
            .Where(f => f.Kind != FeatureKind.Text && model.Typical.ContainsKey(f.Property))
            .Select(f => (Feature: f, Property: typeof(ReworkFeatures).GetProperty(f.Property)!))
            .ToList();
        if (rows.Count == 0 || candidates.Count == 0)
        {
            return result;
        }
        var perturbed = new List<ReworkFeatures>(rows.Count * candidates.Count);
        foreach (var row in rows)
        {
            foreach (var (f, prop) in candidates)
            {
                var copy = (ReworkFeatures)Clone(row);
                prop.SetValue(copy, model.Typical[f.Property]);
                perturbed.Add(copy);
            }
        }
        var p = model.Predictor.PredictProbability(perturbed);
        for (var i = 0; i < rows.Count; i++)
        {
            var list = new List<Contribution>(candidates.Count);
            for (var j = 0; j < candidates.Count; j++)
            {
                var (f, prop) = candidates[j];
                var value = prop.GetValue(rows[i]);
                list.Add(new Contribution(f.Column, value is float v ? v : double.NaN, Math.Round(probabilities[i] - p[i * candidates.Count + j].Probability, 4)));
            }
            result[rows[i]] = [.. list.OrderByDescending(c => Math.Abs(c.Delta)).Take(_o.TopFeatures)];
        }
        return result;
    }

    public async Task<PredictionBatch<UnifiedResult>> UnifiedAsync(long clientId, IReadOnlyList<string> issueKeys, CancellationToken ct)
    {
        RequestValidation.CheckTenant(clientId);
        var keys = RequestValidation.IssueKeys("issue_keys", issueKeys, _o.MaxUnifiedKeys, example: "PAY-301");
        var model = models.Get(ModelNames.Unified);
        var start = Stopwatch.GetTimestamp();
        var issues = await features.UnifiedAsync(clientId, keys, ct);
        var featureMs = Ms(start);

        var rows = keys.Select(k => issues.GetValueOrDefault(k)).Where(i => i?.Row is not null).Select(i => i!).ToList();
        var modelStart = Stopwatch.GetTimestamp();
        var predictions = rows.Count == 0 ? [] : model.Predictor.PredictUnified(rows.Select(r => r.Row!).ToList());
        var modelMs = Ms(modelStart);
        var byKey = rows.Select((r, i) => (r.Key, P: predictions[i])).ToDictionary(x => x.Key, x => x.P, StringComparer.Ordinal);

        var results = new List<UnifiedResult>(keys.Count);
        foreach (var key in keys)
        {
            if (!issues.TryGetValue(key, out var issue))
            {
                results.Add(UnifiedResult.NotFound(key, $"issue '{key}' not found"));
            }
            else if (!EstimatedTypes.Contains(issue.IssueType))
            {
                results.Add(UnifiedResult.NotFound(key, $"'{key}' is a {issue.IssueType}: the unified model predicts Story, Task and Bug issues"));
            }
            else if (!byKey.TryGetValue(key, out var p))
            {
                results.Add(UnifiedResult.NotFound(key, $"'{key}' has no pull request yet: the unified model predicts from an issue's first pull request"));
            }
            else
            {
                results.Add(new UnifiedResult
                {
                    Key = key,
                    Found = true,
                    LeadTimeDays = Math.Round(p.LeadTimeDays.Value, 2),
                    LeadTimeLowDays = Math.Round(p.LeadTimeDays.Lower, 2),
                    LeadTimeHighDays = Math.Round(p.LeadTimeDays.Upper, 2),
                    StoryPoints = Math.Max(0.1, Scales.RoundPoints(p.StoryPoints.Value)),
                    StoryPointsLow = Scales.RoundPoints(p.StoryPoints.Lower),
                    StoryPointsHigh = Scales.RoundPoints(p.StoryPoints.Upper),
                    IntervalLevel = p.LeadTimeDays.Coverage,
                    ReworkProbability = Math.Round(p.Rework.Probability, 4),
                    ReworkRiskLevel = Scales.RiskLevel(p.Rework.Probability, _o.ReworkHighThreshold, _o.ReworkMediumThreshold),
                });
            }
        }
        var now = time.GetUtcNow();
        var totalMs = Ms(start);
        // One log entry per issue, valued by its lead time (the unified model's primary output).
        LogAll(clientId, model, now, totalMs, rows.Select(r => (r.Key, (object)r.Row!, byKey[r.Key].LeadTimeDays.Value,
            (double?)Scales.IntervalConfidence(byKey[r.Key].LeadTimeDays.Value, byKey[r.Key].LeadTimeDays.Lower, byKey[r.Key].LeadTimeDays.Upper))));
        return new PredictionBatch<UnifiedResult>(model.Stamp(now), results, new ServingTimings(featureMs, modelMs, totalMs));
    }

    private void LogAll(long clientId, LoadedModel model, DateTimeOffset now, double totalMs,
        IEnumerable<(string Key, object Row, double Value, double? Confidence)> predictions)
    {
        latency.Record(model.Name, totalMs);
        // One spool write for the request's entries, before the response: a crash after it loses none.
        log.TryEnqueue(predictions.Select(p => new PredictionLogEntry
        {
            ClientId = clientId,
            ModelName = model.Name,
            ModelVersion = model.Version,
            Key = p.Key,
            Value = p.Value,
            Confidence = p.Confidence,
            Features = p.Row,
            ResponseTimeMs = totalMs,
            CreatedAt = now,
        }).ToList());
    }

    private static double Ms(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
