using System.Globalization;
using System.Text;
using Grpc.Core;
using Microsoft.SemanticKernel;
using StrategicAgent.Agent.Ai;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Predictions;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Prediction.V1;

namespace StrategicAgent.Agent.Grpc;

/// <summary>
/// Answers prediction questions through the prediction service: the offline intent parser (or the
/// router) picks the call — trajectory, complexity (by key or for a described new issue), rework
/// risk, unified, alerts — and the answer states the prediction with its interval or calibrated
/// probability, the model version, a reading line and a confidence. Keys the service does not
/// find are said to be not found, never answered with another entity's figure. A model that is not
/// deployed or a service that is down is said plainly, never guessed around.
/// </summary>
public sealed partial class GrpcPredictionTool(
    PredictionService.PredictionServiceClient client,
    IVocabularySource vocabulary,
    ILogger<GrpcPredictionTool> logger,
    PredictionLlm? llm = null,
    TimeProvider? clock = null) : IPredictionTool
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public async Task<PredictionAnswer> AnswerAsync(string question, long clientId, CancellationToken ct)
    {
        var intent = PredictionIntentParser.Parse(question, await vocabulary.GetAsync(clientId, ct));
        if (intent.Kind == PredictionKind.None && llm is not null)
        {
            try
            {
                if (await llm.AnswerAsync(question, new PredictionPlugin(this, clientId), ct) is { } answer)
                {
                    return new PredictionAnswer(true, answer.Text, [], [], answer.Confidence) { Reading = "Computed: answered by the language model from the prediction service's functions." };
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or KernelException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogLlmFailed(logger, ex);
            }
        }
        if (intent.Kind == PredictionKind.None)
        {
            return new PredictionAnswer(false, $"This looks like a prediction question, but I could not tell which prediction: {intent.Reason}.", [], [], 0);
        }
        return await AnswerAsync(intent, clientId, DateOnly.FromDateTime((clock ?? TimeProvider.System).GetUtcNow().UtcDateTime), ct);
    }

    public async Task<PredictionAnswer> AnswerAsync(PredictionIntent intent, long clientId, DateOnly today, CancellationToken ct)
    {
        try
        {
            return intent.Kind switch
            {
                PredictionKind.EpicCompletion => await EpicsAsync(clientId, intent.Keys, ct),
                PredictionKind.StoryPoints => await PointsAsync(clientId, intent.Keys, ct),
                PredictionKind.ReworkRisk => await ReworkAsync(clientId, intent, ct),
                PredictionKind.IssueOutlook => await OutlookAsync(clientId, intent.Keys, ct),
                PredictionKind.NewIssueEstimate => await NewIssueAsync(clientId, intent, ct),
                PredictionKind.EpicOdds => await OddsAsync(clientId, intent, today, ct),
                PredictionKind.OpenAlerts => await AlertsAsync(clientId, intent, ct),
                _ => new PredictionAnswer(false, $"The prediction service does not answer {intent.Kind} questions on its own.", [], [], 0),
            };
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            return new PredictionAnswer(false, "The prediction service could not answer: " + ex.Status.Detail, [], [], 0);
        }
        catch (RpcException ex)
        {
            LogUnavailable(logger, ex, ex.StatusCode);
            return new PredictionAnswer(false, Unreachable(ex) + "; I won't estimate without it.", [], [], 0);
        }
    }

    /// <summary>How long in all the agent waits for a tenant's data to load in the prediction service (the gateway gives an ask 2 min).</summary>
    public static readonly TimeSpan MaxLoadingWait = TimeSpan.FromSeconds(90);

    /// <summary>The prediction service's trailer on an Unavailable it answers on purpose (PredictionGrpcService.RetryAfterTrailer).</summary>
    private const string RetryAfterTrailer = "retry-after";

    private static TimeSpan? RetryAfter(RpcException ex) =>
        ex.StatusCode == StatusCode.Unavailable && int.TryParse(ex.Trailers.GetValue(RetryAfterTrailer), NumberStyles.Integer, Inv, out var seconds)
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60)) : null;

    private static string Unreachable(RpcException ex) => RetryAfter(ex) is { } after
        ? string.Create(Inv, $"The prediction service is still loading this tenant's data (it says to retry in {after.TotalSeconds:0} s)")
        : $"The prediction service is not reachable right now ({ex.StatusCode})";

    /// <summary>
    /// One call to the prediction service. While a tenant's data is loading there (a cold tenant's first call), the
    /// service answers Unavailable with a retry-after trailer: the agent waits as told and calls again, up to
    /// <see cref="MaxLoadingWait"/> in all, instead of calling the service down.
    /// </summary>
    private async Task<T> Call<T>(Func<AsyncUnaryCall<T>> call, CancellationToken ct)
    {
        var waited = TimeSpan.Zero;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (RetryAfter(ex) is { } after && waited + after <= MaxLoadingWait)
            {
                LogLoading(logger, after.TotalSeconds);
                await Task.Delay(after, ct); // real time: the service loads in real time (the clock only says which day it is)
                waited += after;
            }
        }
    }

    public async Task<EpicForecastBatch> ForecastEpicsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var forecasts = new List<EpicForecast>();
        var notForecast = new List<(string Key, string Reason)>();
        var models = new SortedSet<string>(StringComparer.Ordinal);
        var draws = 0;
        try
        {
            foreach (var batch in keys.Chunk(PredictionIntentParser.MaxKeys))
            {
                await ForecastAsync(batch);
            }
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
        {
            LogUnavailable(logger, ex, ex.StatusCode);
            throw new PredictionUnavailableException(char.ToLowerInvariant(Unreachable(ex)[0]) + Unreachable(ex)[1..], ex);
        }
        return new EpicForecastBatch(forecasts, notForecast, draws, string.Join(", ", models));

        // The service answers all or nothing: a batch it refuses for one epic (done, or nothing to forecast from) is
        // halved until the epic is alone, so one epic never costs the others their forecast.
        async Task ForecastAsync(IReadOnlyList<string> batch)
        {
            try
            {
                var r = await Call(() => client.ForecastEpicsAsync(new ForecastRequest { EpicKeys = { batch } }, cancellationToken: ct), ct);
                forecasts.AddRange(r.Forecasts.Select(f => ToForecast(f, r.AsOf)));
                draws = r.Draws;
                models.UnionWith(Models(r));
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
            {
                if (batch.Count == 1)
                {
                    notForecast.Add((batch[0], ex.Status.Detail));
                    return;
                }
                await ForecastAsync(batch.Take(batch.Count / 2).ToList());
                await ForecastAsync(batch.Skip(batch.Count / 2).ToList());
            }
        }
    }

    private static IEnumerable<string> Models(ForecastResponse r) =>
        new[] { r.TrajectoryModel, r.ComplexityModel }.Where(m => m is not null).Select(m => string.Create(Inv, $"{m.Name.ToWire()} v{m.Version}"));

    private static DateTime Time(Google.Protobuf.WellKnownTypes.Timestamp t) => t.ToDateTime();

    private static EpicForecast ToForecast(EpicCompletionForecast f, Google.Protobuf.WellKnownTypes.Timestamp asOf) => new(
        f.Key,
        f.Method switch
        {
            ForecastMethod.MonteCarlo => EpicForecastMethod.MonteCarlo,
            ForecastMethod.Trajectory => EpicForecastMethod.Trajectory,
            _ => EpicForecastMethod.Blend,
        },
        f.MonteCarloWeight, f.StartedAt is null ? null : Time(f.StartedAt), Time(asOf), Time(f.P50), Time(f.P80), Time(f.P95),
        f.HasProbabilityBy ? f.ProbabilityBy : null, f.RemainingChildren, f.RemainingPoints, f.EstimatedChildren, f.Progress, f.ThroughputWeeks, f.MeanWeeklyPoints);

    public async Task<PredictionAnswer> EpicsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var r = await Call(() => client.PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { keys } }, cancellationToken: ct), ct);
        var level = r.Predictions.FirstOrDefault(p => p.Found)?.IntervalLevel ?? 0.8;
        return Compose(r.Predictions, p => p.Found ? null : $"{p.Key}: {p.Message}.", p =>
            {
                var when = p.PredictedCompletion.ToDateTime();
                var line = p.Done
                    ? string.Create(Inv, $"{p.Key} ({p.Summary}) is already done: it took {p.CurrentLeadTimeDays:0.#} days (the model would have predicted {p.PredictedLeadTimeDays:0.#}).")
                    : string.Create(Inv, $"{p.Key} ({p.Summary}) is predicted to finish on {when:yyyy-MM-dd} ({p.IntervalLevel * 100:0}% interval {p.CompletionLow.ToDateTime():yyyy-MM-dd} to {p.CompletionHigh.ToDateTime():yyyy-MM-dd}), " +
                      $"a lead time of {p.PredictedLeadTimeDays:0.#} days; it has been in progress for {p.CurrentLeadTimeDays:0.#} days. Confidence {p.Confidence:0.00}.");
                if (p.Overdue)
                {
                    line += " It is already past that date: " + p.Message + ".";
                }
                return (line, [p.Key, p.Done ? "done" : "open", when.ToString("yyyy-MM-dd", Inv), p.CompletionLow.ToDateTime().ToString("yyyy-MM-dd", Inv),
                    p.CompletionHigh.ToDateTime().ToString("yyyy-MM-dd", Inv), Math.Round(p.PredictedLeadTimeDays, 1), Math.Round(p.CurrentLeadTimeDays, 1), Math.Round(p.Confidence, 2)], p.Confidence);
            },
            string.Create(Inv, $"(model {r.Model.Name.ToWire()} v{r.Model.Version}; intervals are {level * 100:0}% conformal intervals from held-out residuals)"),
            ["epic", "status", "predicted_completion", "completion_low", "completion_high", "predicted_lead_time_days", "current_lead_time_days", "confidence"])
            with { Reading = $"Computed: predicted completion date of {Keys(keys)} from the trajectory model (median and {level * 100:0}% interval)." };
    }

    public async Task<PredictionAnswer> PointsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var r = await Call(() => client.EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { keys } }, cancellationToken: ct), ct);
        return Compose(r.Predictions, p => p.Found ? null : $"{p.Key}: {p.Message}.", p => Points(p, p.Key),
            $"(model {r.Model.Name.ToWire()} v{r.Model.Version})",
            ["issue", "story_points", "fibonacci", "low", "high", "current_estimate", "confidence"])
            with { Reading = $"Computed: story points of {Keys(keys)} estimated by the complexity model (rounded to 0.1, nearest Fibonacci value, 80% interval)." };
    }

    private static (string Line, object?[] Row, double Confidence) Points(ComplexityPrediction p, string name)
    {
        var actual = p.HasActual ? $" (it is currently estimated at {p.ActualStoryPoints:0.#})" : "";
        return (string.Create(Inv, $"{name} is about {p.StoryPoints:0.#} story points — {p.Fibonacci:0} on the Fibonacci scale ({p.IntervalLevel * 100:0}% interval {p.Low:0.#} to {p.High:0.#}){actual}. Confidence {p.Confidence:0.00}."),
            [name, p.StoryPoints, p.Fibonacci, p.Low, p.High, p.HasActual ? p.ActualStoryPoints : null, Math.Round(p.Confidence, 2)], p.Confidence);
    }

    /// <summary>
    /// "Estimate story points for a new story: '…'": the complexity model on the described issue's text,
    /// in the project named, or — the project's history being part of the estimate — in each of the
    /// tenant's projects when none is named (never one picked silently).
    /// </summary>
    public async Task<PredictionAnswer> NewIssueAsync(long clientId, PredictionIntent intent, CancellationToken ct)
    {
        var projects = intent.ProjectKey is { } named ? [named]
            : (await vocabulary.GetAsync(clientId, ct)).Projects.Select(p => p.Key).Distinct().Take(100).ToList();
        if (projects.Count == 0)
        {
            return new PredictionAnswer(false, "I can't estimate a new issue without a project: this tenant has no projects.", [], [], 0);
        }
        var request = new ComplexityRequest();
        request.NewIssues.Add(projects.Select(p => new NewIssue { Summary = intent.Text!, IssueType = intent.IssueType, ProjectKey = p }));
        var r = await Call(() => client.EstimateComplexityAsync(request, cancellationToken: ct), ct);
        var type = intent.IssueType.ToLowerInvariant();
        var text = new StringBuilder();
        if (intent.ProjectKey is null && projects.Count > 1)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"You named no project, and a project's history is part of the estimate, so here it is in each of your {projects.Count} projects (name one, e.g. \"for project {projects[0]}\", for a single figure):");
        }
        var index = 0;
        return Compose(r.Predictions, p => p.Found ? null : $"The new {type} \"{intent.Text}\": {p.Message}.", p =>
            {
                var project = projects[Math.Min(index++, projects.Count - 1)];
                var (line, row, confidence) = Points(p, $"The new {type} \"{intent.Text}\" in {project}");
                row[0] = project;
                return (line, row, confidence);
            },
            $"(model {r.Model.Name.ToWire()} v{r.Model.Version}, from the title and the project only)",
            ["project", "story_points", "fibonacci", "low", "high", "current_estimate", "confidence"], text)
            with { Reading = $"Computed: story points the complexity model estimates for a new {type} from its title, {(intent.ProjectKey is null ? "per project" : $"in project {intent.ProjectKey}")} (no such issue exists yet; 80% interval)." };
    }

    /// <summary>
    /// "What are the odds PAY-12 is done by March 1?": the epic forecast (<c>ForecastEpics</c>, Monte Carlo over the
    /// team's throughput blended with the trajectory model) asked for that date — by the end of the day, UTC — with
    /// its P50/P80/P95 dates and the method. A date in the past, an unknown epic, a done epic or a key that is not an
    /// epic is refused with the reason, never answered with a number.
    /// </summary>
    public async Task<PredictionAnswer> OddsAsync(long clientId, PredictionIntent intent, DateOnly today, CancellationToken ct)
    {
        var by = intent.By!.Value;
        if (by < today)
        {
            return new PredictionAnswer(false, EpicOdds.PastDate(by, today), [], [], 0);
        }
        ForecastResponse r;
        try
        {
            r = await Call(() => client.ForecastEpicsAsync(new ForecastRequest
            {
                EpicKeys = { intent.Keys },
                By = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(EpicOdds.EndOfDay(by)),
            }, cancellationToken: ct), ct);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            var why = ex.StatusCode == StatusCode.NotFound ? " I give odds only for an open epic of yours, named by its key."
                : ex.StatusCode == StatusCode.FailedPrecondition ? " So there are no odds to give." : "";
            return new PredictionAnswer(false, $"No odds: {ex.Status.Detail}{why}", [], [], 0);
        }
        var date = by.ToString("yyyy-MM-dd", Inv);
        var text = new StringBuilder();
        var rows = new List<object?[]>();
        foreach (var f in r.Forecasts.Select(x => ToForecast(x, r.AsOf)))
        {
            var p = f.ProbabilityBy ?? 0;
            var estimated = f.EstimatedChildren > 0 ? string.Create(Inv, $", {f.EstimatedChildren} of them without points and estimated") : "";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{f.Key}: {p * 100:0}% chance of being done by {date} (end of day, UTC). Completion dates: P50 {f.P50:yyyy-MM-dd}, P80 {f.P80:yyyy-MM-dd}, P95 {f.P95:yyyy-MM-dd} " +
                $"— {f.Method.Describe(f.MonteCarloWeight)}. Remaining: {f.RemainingChildren} child issue(s), {f.RemainingPoints:0.#} points{estimated}; {f.Progress * 100:0}% done; " +
                $"the team's throughput {f.MeanWeeklyPoints:0.#} points per active epic per week over {f.ThroughputWeeks} weeks.");
            rows.Add([f.Key, date, Math.Round(p, 3), f.P50.ToString("yyyy-MM-dd", Inv), f.P80.ToString("yyyy-MM-dd", Inv), f.P95.ToString("yyyy-MM-dd", Inv),
                f.Method.ToString(), f.RemainingChildren, f.RemainingPoints, Math.Round(f.Progress, 3)]);
        }
        var models = string.Join(", ", Models(r));
        text.Append(CultureInfo.InvariantCulture, $"({r.Draws:N0} seeded draws (seed {r.Seed}) as of {r.AsOf.ToDateTime():yyyy-MM-dd}{(models.Length > 0 ? "; " + models : "")})");
        var methods = string.Join("; ", r.Forecasts.Select(x => ToForecast(x, r.AsOf).Method).Distinct().Select(m => m.Describe()));
        // A probability is its own confidence: how sure the call "done by then" or "not done by then" is.
        var confidence = rows.Select(x => (double)x[2]!).Select(p => Math.Max(p, 1 - p)).DefaultIfEmpty(0).Min();
        return new PredictionAnswer(rows.Count > 0, text.ToString(), ["epic", "by", "probability_by", "p50", "p80", "p95", "method", "remaining_children", "remaining_points", "progress"], rows, Math.Round(confidence, 2))
        {
            Reading = string.Create(Inv, $"Computed: the probability that {Keys(intent.Keys)} is done by {date} (end of day, UTC), with the P50/P80/P95 completion dates, from the epic forecast ({methods}; {r.Draws:N0} seeded draws)."),
        };
    }

    public async Task<PredictionAnswer> ReworkAsync(long clientId, PredictionIntent intent, CancellationToken ct)
    {
        var request = new ReworkRequest();
        if (intent.Repository is not null)
        {
            request.Repository = intent.Repository;
            request.Limit = intent.Limit;
        }
        else
        {
            request.PullRequests.Add(intent.Keys);
        }
        var r = await Call(() => client.AssessReworkRiskAsync(request, cancellationToken: ct), ct);
        var text = new StringBuilder();
        if (intent.Repository is not null)
        {
            text.AppendLine(r.Predictions.Any(p => p.Found)
                ? $"The open pull requests in {intent.Repository} most likely to need rework (calibrated probabilities; high > {r.HighThreshold:0.##}, medium > {r.MediumThreshold:0.##}):"
                : $"{intent.Repository}: {r.Predictions.FirstOrDefault()?.Message ?? "no open pull requests"}.");
        }
        // A calibrated probability is its own confidence: the answer's is how sure the call on each PR is.
        return Compose(r.Predictions, p => p.Found ? null : intent.Repository is null ? $"{p.Key}: {p.Message}." : "", p =>
            {
                var factors = string.Join(", ", p.TopFeatures.Select(f => string.Create(Inv, $"{f.Feature}{(double.IsNaN(f.Value) ? "" : $" = {f.Value:0.##}")} ({(f.Contribution >= 0 ? "raises" : "lowers")} it by {Math.Abs(f.Contribution) * 100:0.#} points)")));
                return (string.Create(Inv, $"- {p.Key} \"{p.Title}\" ({p.Status}): {p.Probability * 100:0}% chance of needing rework ({p.RiskLevel.ToWire()} risk){(factors.Length > 0 ? "; top factors: " + factors : "")}."),
                    [p.Key, p.Title, Math.Round(p.Probability, 3), p.RiskLevel.ToWire(), string.Join("; ", p.TopFeatures.Select(f => $"{f.Feature} {f.Contribution:+0.00;-0.00}"))],
                    Math.Max(p.Probability, 1 - p.Probability));
            },
            $"(model {r.Model.Name.ToWire()} v{r.Model.Version}; high > {r.HighThreshold:0.##}, medium > {r.MediumThreshold:0.##})",
            ["pull_request", "title", "probability", "risk", "top_features"], text)
            with
            {
                Reading = intent.Repository is null
                    ? $"Computed: rework risk of pull request {Keys(intent.Keys)} — the rework model's calibrated probability that it needs rework, with the features that move it most (not the repository's historical rework rate)."
                    : $"Computed: the {intent.Limit} open pull requests of {intent.Repository} with the highest predicted rework probability (rework model).",
            };
    }

    public async Task<PredictionAnswer> OutlookAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var r = await Call(() => client.PredictUnifiedAsync(new UnifiedRequest { IssueKeys = { keys } }, cancellationToken: ct), ct);
        return Compose(r.Predictions, p => p.Found ? null : $"{p.Key}: {p.Message}.", p =>
            (string.Create(Inv, $"{p.Key}: lead time about {p.LeadTimeDays:0.#} days ({p.IntervalLevel * 100:0}% interval {p.LeadTimeLowDays:0.#}–{p.LeadTimeHighDays:0.#}), " +
             $"about {p.StoryPoints:0.#} story points ({p.StoryPointsLow:0.#}–{p.StoryPointsHigh:0.#}), rework probability {p.ReworkProbability * 100:0}% ({p.ReworkRiskLevel.ToWire()})."),
             [p.Key, p.LeadTimeDays, p.LeadTimeLowDays, p.LeadTimeHighDays, p.StoryPoints, p.ReworkProbability],
             1.0 / (1.0 + (p.LeadTimeHighDays - p.LeadTimeLowDays) / Math.Max(p.LeadTimeDays, 1e-6))),
            $"(model {r.Model.Name.ToWire()} v{r.Model.Version})",
            ["issue", "lead_time_days", "lead_time_low", "lead_time_high", "story_points", "rework_probability"])
            with { Reading = $"Computed: the unified model's lead time, story points and rework probability for {Keys(keys)}." };
    }

    /// <summary>"Any anomalies in the predictions?": the tenant's open (unacknowledged) anomaly alerts.</summary>
    public async Task<PredictionAnswer> AlertsAsync(long clientId, PredictionIntent intent, CancellationToken ct)
    {
        var request = new ListAlertsRequest { Acknowledged = false, Limit = intent.Limit };
        if (WireNames.TryParse<Severity>(intent.Severity, out var severity))
        {
            request.Severity = severity;
        }
        var r = await Call(() => client.ListAlertsAsync(request, cancellationToken: ct), ct);
        var of = intent.Severity is null ? "" : intent.Severity + "-severity ";
        var reading = $"Computed: open (unacknowledged) {of}anomaly alerts on this tenant's predictions, newest first (at most {intent.Limit}).";
        if (r.Alerts.Count == 0)
        {
            return new PredictionAnswer(true, $"No open {of}anomaly alerts: the anomaly model has flagged nothing unacknowledged in your predictions.",
                ["alert", "model", "severity", "score", "created_at", "recommended_action"], [], 1) { Reading = reading };
        }
        var text = new StringBuilder(string.Create(Inv, $"{r.Alerts.Count}{(r.Alerts.Count == intent.Limit ? " or more" : "")} open {of}anomaly alert(s): "));
        text.AppendJoin(", ", r.Alerts.GroupBy(a => a.Severity).OrderByDescending(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToWire()}")).Append('.');
        foreach (var a in r.Alerts.Take(5))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n- #{a.Id} {a.ModelName.ToWire()}, {a.Severity.ToWire()} (score {a.Score:0.###}) at {a.CreatedAt.ToDateTime():yyyy-MM-dd HH:mm} UTC: {a.RecommendedAction}");
        }
        if (r.Alerts.Count > 5)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n… and {r.Alerts.Count - 5} more in the table.");
        }
        var rows = r.Alerts.Select(a => new object?[] { a.Id, a.ModelName.ToWire(), a.Severity.ToWire(), Math.Round(a.Score, 4), a.CreatedAt.ToDateTime().ToString("yyyy-MM-ddTHH:mm:ssZ", Inv), a.RecommendedAction }).ToList();
        return new PredictionAnswer(true, text.ToString(), ["alert", "model", "severity", "score", "created_at", "recommended_action"], rows, 1) { Reading = reading };
    }

    private static string Keys(IReadOnlyList<string> keys) => string.Join(", ", keys);

    /// <summary>
    /// One answer from a batch of per-key predictions: for each key found a line of text, a table row and a
    /// confidence; for each other key the line <paramref name="missing"/> gives (empty: left out); then the
    /// model line. The answer's confidence is the mean over the keys found.
    /// </summary>
    private static PredictionAnswer Compose<T>(IEnumerable<T> predictions, Func<T, string?> missing,
        Func<T, (string Line, object?[] Row, double Confidence)> describe, string footer, string[] columns, StringBuilder? text = null)
    {
        text ??= new StringBuilder();
        var rows = new List<object?[]>();
        var confidences = new List<double>();
        foreach (var p in predictions)
        {
            if (missing(p) is { } line)
            {
                if (line.Length > 0)
                {
                    text.AppendLine(line);
                }
                continue;
            }
            var (found, row, confidence) = describe(p);
            text.AppendLine(found);
            rows.Add(row);
            confidences.Add(confidence);
        }
        text.Append(footer);
        return new PredictionAnswer(rows.Count > 0, text.ToString(), columns, rows, rows.Count == 0 ? 0 : Math.Round(confidences.Average(), 2));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The language model could not answer a prediction question; falling back to the offline intents")]
    private static partial void LogLlmFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "The prediction service is loading this tenant's data; calling again in {Seconds} s")]
    private static partial void LogLoading(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prediction service call failed with {Status}")]
    private static partial void LogUnavailable(ILogger logger, Exception ex, StatusCode status);
}
