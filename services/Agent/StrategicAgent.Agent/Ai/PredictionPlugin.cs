using System.ComponentModel;
using Microsoft.SemanticKernel;
using StrategicAgent.Agent.Domain.Predictions;
using StrategicAgent.Agent.Grpc;

namespace StrategicAgent.Agent.Ai;

/// <summary>
/// Prediction functions a chat model may call on the LLM path (the offline path calls the same
/// tool through <see cref="PredictionIntentParser"/>). Each returns the prediction service's
/// answer as text, confidence and model version included, so the model can quote rather than invent.
/// </summary>
public sealed class PredictionPlugin(GrpcPredictionTool tool, long clientId)
{
    public int Calls { get; private set; }

    /// <summary>The confidence of the last answer a function returned (the LLM path reports it).</summary>
    public double LastConfidence { get; private set; }

    private string Record(Domain.Loop.PredictionAnswer answer)
    {
        Calls++;
        LastConfidence = answer.Confidence;
        return answer.Text;
    }

    [KernelFunction("predict_epic_completion"), Description("Predicts when epics will finish: completion date with an 80% interval, lead time in days and a confidence. Input: epic keys like PAY-12 (comma-separated, at most 50).")]
    public async Task<string> PredictEpicCompletionAsync([Description("epic keys, e.g. PAY-12, API-3")] string epicKeys, CancellationToken ct = default)
    {
        return Record(await tool.EpicsAsync(clientId, Keys(epicKeys), ct));
    }

    [KernelFunction("estimate_story_points"), Description("Estimates story points of issues (rounded to 0.1, nearest Fibonacci value, 80% interval, confidence). Input: issue keys like PAY-301.")]
    public async Task<string> EstimateStoryPointsAsync([Description("issue keys, e.g. PAY-301")] string issueKeys, CancellationToken ct = default)
    {
        return Record(await tool.PointsAsync(clientId, Keys(issueKeys), ct));
    }

    [KernelFunction("assess_rework_risk"), Description("Calibrated probability that pull requests will need rework, with risk level and the features driving it. Give either a repository name (its open PRs, riskiest first) or PR keys like api-gateway#42.")]
    public async Task<string> AssessReworkRiskAsync(
        [Description("repository name for its open PRs, or empty")] string repository,
        [Description("PR keys 'repository#number', comma-separated, or empty")] string pullRequests,
        [Description("how many PRs to list for a repository (1-50)")] int limit = 10,
        CancellationToken ct = default)
    {
        var keys = Keys(pullRequests);
        var intent = string.IsNullOrWhiteSpace(repository) || keys.Count > 0
            ? new PredictionIntent(PredictionKind.ReworkRisk, keys, null, keys.Count)
            : new PredictionIntent(PredictionKind.ReworkRisk, [], repository.Trim(), Math.Clamp(limit, 1, PredictionIntentParser.MaxKeys));
        return Record(await tool.ReworkAsync(clientId, intent, ct));
    }

    [KernelFunction("predict_issue_outlook"), Description("The unified model's lead time (days, 80% interval), story points and rework probability for issues (Story/Task/Bug with a pull request).")]
    public async Task<string> PredictIssueOutlookAsync([Description("issue keys, e.g. PAY-301")] string issueKeys, CancellationToken ct = default)
    {
        return Record(await tool.OutlookAsync(clientId, Keys(issueKeys), ct));
    }

    private static List<string> Keys(string raw) =>
        raw.Split([',', ' ', ';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase).Take(PredictionIntentParser.MaxKeys).ToList();
}
