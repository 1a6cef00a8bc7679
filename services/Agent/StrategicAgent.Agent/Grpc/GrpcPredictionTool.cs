using System.Globalization;
using System.Text;
using Grpc.Core;
using Microsoft.SemanticKernel;
using StrategicAgent.Agent.Ai;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Predictions;
using StrategicAgent.Protos.Prediction.V1;

namespace StrategicAgent.Agent.Grpc;

/// <summary>
/// Answers prediction questions through the prediction service: the offline intent parser picks
/// the call (trajectory, complexity, rework, unified), the answer states the prediction with its
/// interval or calibrated probability, the model version, and a confidence. A model that is not
/// deployed or a service that is down is said plainly, never guessed around.
/// </summary>
public sealed partial class GrpcPredictionTool(
    PredictionService.PredictionServiceClient client,
    IVocabularySource vocabulary,
    ILogger<GrpcPredictionTool> logger,
    PredictionLlm? llm = null) : IPredictionTool
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
                    return new PredictionAnswer(true, answer.Text, [], [], answer.Confidence);
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
        try
        {
            return intent.Kind switch
            {
                PredictionKind.EpicCompletion => await EpicsAsync(clientId, intent.Keys, ct),
                PredictionKind.StoryPoints => await PointsAsync(clientId, intent.Keys, ct),
                PredictionKind.ReworkRisk => await ReworkAsync(clientId, intent, ct),
                _ => await OutlookAsync(clientId, intent.Keys, ct),
            };
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            return new PredictionAnswer(false, "The prediction service could not answer: " + ex.Status.Detail, [], [], 0);
        }
        catch (RpcException ex)
        {
            LogUnavailable(logger, ex, ex.StatusCode);
            return new PredictionAnswer(false, $"The prediction service is not reachable right now ({ex.StatusCode}); I won't estimate without it.", [], [], 0);
        }
    }

    public async Task<PredictionAnswer> EpicsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var r = await client.PredictTrajectoryAsync(new TrajectoryRequest { EpicKeys = { keys } }, cancellationToken: ct);
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
            string.Create(Inv, $"(model {r.Model.Name} v{r.Model.Version}; intervals are {level * 100:0}% conformal intervals from held-out residuals)"),
            ["epic", "status", "predicted_completion", "completion_low", "completion_high", "predicted_lead_time_days", "current_lead_time_days", "confidence"]);
    }

    public async Task<PredictionAnswer> PointsAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var r = await client.EstimateComplexityAsync(new ComplexityRequest { IssueKeys = { keys } }, cancellationToken: ct);
        return Compose(r.Predictions, p => p.Found ? null : $"{p.Key}: {p.Message}.", p =>
            {
                var actual = p.HasActual ? $" (it is currently estimated at {p.ActualStoryPoints:0.#})" : "";
                return (string.Create(Inv, $"{p.Key} is about {p.StoryPoints:0.#} story points — {p.Fibonacci:0} on the Fibonacci scale ({p.IntervalLevel * 100:0}% interval {p.Low:0.#} to {p.High:0.#}){actual}. Confidence {p.Confidence:0.00}."),
                    [p.Key, p.StoryPoints, p.Fibonacci, p.Low, p.High, p.HasActual ? p.ActualStoryPoints : null, Math.Round(p.Confidence, 2)], p.Confidence);
            },
            $"(model {r.Model.Name} v{r.Model.Version})",
            ["issue", "story_points", "fibonacci", "low", "high", "current_estimate", "confidence"]);
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
        var r = await client.AssessReworkRiskAsync(request, cancellationToken: ct);
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
                var why = string.Join(", ", p.TopFeatures.Where(f => f.Contribution > 0).Select(f => $"{f.Feature} = {f.Value:0.##}"));
                return (string.Create(Inv, $"- {p.Key} \"{p.Title}\": {p.Probability * 100:0}% ({p.RiskLevel} risk){(why.Length > 0 ? "; driven by " + why : "")}."),
                    [p.Key, p.Title, Math.Round(p.Probability, 3), p.RiskLevel, string.Join("; ", p.TopFeatures.Select(f => $"{f.Feature} {f.Contribution:+0.00;-0.00}"))],
                    Math.Max(p.Probability, 1 - p.Probability));
            },
            $"(model {r.Model.Name} v{r.Model.Version})",
            ["pull_request", "title", "probability", "risk", "top_features"], text);
    }

    public async Task<PredictionAnswer> OutlookAsync(long clientId, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var r = await client.PredictUnifiedAsync(new UnifiedRequest { IssueKeys = { keys } }, cancellationToken: ct);
        return Compose(r.Predictions, p => p.Found ? null : $"{p.Key}: {p.Message}.", p =>
            (string.Create(Inv, $"{p.Key}: lead time about {p.LeadTimeDays:0.#} days ({p.IntervalLevel * 100:0}% interval {p.LeadTimeLowDays:0.#}–{p.LeadTimeHighDays:0.#}), " +
             $"about {p.StoryPoints:0.#} story points ({p.StoryPointsLow:0.#}–{p.StoryPointsHigh:0.#}), rework probability {p.ReworkProbability * 100:0}% ({p.ReworkRiskLevel})."),
             [p.Key, p.LeadTimeDays, p.LeadTimeLowDays, p.LeadTimeHighDays, p.StoryPoints, p.ReworkProbability],
             1.0 / (1.0 + (p.LeadTimeHighDays - p.LeadTimeLowDays) / Math.Max(p.LeadTimeDays, 1e-6))),
            $"(model {r.Model.Name} v{r.Model.Version})",
            ["issue", "lead_time_days", "lead_time_low", "lead_time_high", "story_points", "rework_probability"]);
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prediction service call failed with {Status}")]
    private static partial void LogUnavailable(ILogger logger, Exception ex, StatusCode status);
}
